//! FFT helpers shared by the method's steps: Hann-windowed power spectra of frames and
//! zero-phase filtering of a whole signal by a tabulated frequency response.

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// Hann-windowed power spectra of fixed-length frames of a signal.
pub struct Spectra {
    forward: Arc<dyn RealToComplex<f64>>,
    window: Vec<f64>,
    input: Vec<f64>,
    output: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
}

impl Spectra {
    /// Spectra of `len`-sample frames.
    pub fn new(len: usize) -> Self {
        let forward = RealFftPlanner::<f64>::new().plan_fft_forward(len);
        let window = hann(len);
        let input = forward.make_input_vec();
        let output = forward.make_output_vec();
        let scratch = forward.make_scratch_vec();
        Spectra {
            forward,
            window,
            input,
            output,
            scratch,
        }
    }

    /// Power spectrum (|X|², bins 0..=len/2) of the frame of `signal` starting at `start`;
    /// samples outside the signal count as zero.
    pub fn power(&mut self, signal: &[f64], start: isize) -> Vec<f64> {
        let len = self.window.len();
        for (i, slot) in self.input.iter_mut().enumerate() {
            let at = start + i as isize;
            let v = if at >= 0 && (at as usize) < signal.len() {
                signal[at as usize]
            } else {
                0.0
            };
            *slot = v * self.window[i];
        }
        let _ = len;
        // Lengths are fixed by construction, so the transform cannot fail.
        let _ =
            self.forward
                .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch);
        self.output.iter().map(|c| c.norm_sqr()).collect()
    }
}

/// Periodic Hann window of `len` samples.
pub fn hann(len: usize) -> Vec<f64> {
    (0..len)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / len as f64).cos())
        .collect()
}

/// A frequency response given as (Hz, dB) points; linear in dB between points.
pub type Response = &'static [(f64, f64)];

/// Gain in dB of `response` at `hz`.
pub fn gain_db(response: Response, hz: f64) -> f64 {
    let (first, last) = (response[0], response[response.len() - 1]);
    if hz <= first.0 {
        return first.1;
    }
    if hz >= last.0 {
        return last.1;
    }
    for pair in response.windows(2) {
        let ((f0, g0), (f1, g1)) = (pair[0], pair[1]);
        if hz <= f1 {
            return g0 + (g1 - g0) * (hz - f0) / (f1 - f0);
        }
    }
    last.1
}

/// Filters a whole signal through `response` in the frequency domain (zero phase).
pub fn filter(signal: &[f64], rate: u32, response: Response) -> Vec<f64> {
    let len = signal.len().next_power_of_two().max(2);
    let mut planner = RealFftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(len);
    let inverse = planner.plan_fft_inverse(len);
    let mut input = vec![0.0; len];
    input[..signal.len()].copy_from_slice(signal);
    let mut spectrum = forward.make_output_vec();
    let _ = forward.process(&mut input, &mut spectrum);
    let hz_per_bin = rate as f64 / len as f64;
    for (k, c) in spectrum.iter_mut().enumerate() {
        let gain = 10f64.powf(gain_db(response, k as f64 * hz_per_bin) / 20.0);
        *c *= gain / len as f64;
    }
    let mut out = inverse.make_output_vec();
    let _ = inverse.process(&mut spectrum, &mut out);
    out.truncate(signal.len());
    out
}
