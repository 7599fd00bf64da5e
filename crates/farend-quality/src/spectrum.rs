//! FFT helpers shared by the method's steps: one planner per thread, Hann-windowed power
//! spectra of frames, the spectrum of a whole signal (its band power and zero-phase
//! filtering by a tabulated frequency response) and cross-correlation.

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use std::cell::RefCell;
use std::sync::Arc;

thread_local! {
    /// Plans are kept per thread: planning a transform costs more than running it once.
    static PLANNER: RefCell<RealFftPlanner<f64>> = RefCell::new(RealFftPlanner::new());
}

/// The forward real transform of `len` points, planned once per thread.
pub fn forward(len: usize) -> Arc<dyn RealToComplex<f64>> {
    PLANNER.with(|p| p.borrow_mut().plan_fft_forward(len))
}

/// The inverse real transform of `len` points, planned once per thread.
pub fn inverse(len: usize) -> Arc<dyn ComplexToReal<f64>> {
    PLANNER.with(|p| p.borrow_mut().plan_fft_inverse(len))
}

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
        let forward = forward(len);
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

/// The spectrum of a whole signal, zero-padded to a power of two: computed once, then
/// measured in a band and filtered as often as needed.
pub struct WholeSpectrum {
    len: usize,
    samples: usize,
    rate: u32,
    bins: Vec<Complex<f64>>,
}

impl WholeSpectrum {
    /// Transforms `signal` sampled at `rate`.
    pub fn new(signal: &[f64], rate: u32) -> Self {
        let len = signal.len().next_power_of_two().max(2);
        let plan = forward(len);
        let mut input = vec![0.0; len];
        input[..signal.len()].copy_from_slice(signal);
        let mut bins = plan.make_output_vec();
        // Lengths are fixed by construction, so the transform cannot fail.
        let _ = plan.process(&mut input, &mut bins);
        WholeSpectrum {
            len,
            samples: signal.len(),
            rate,
            bins,
        }
    }

    fn gains(&self, response: Response) -> impl Iterator<Item = f64> + '_ {
        let hz_per_bin = self.rate as f64 / self.len as f64;
        (0..self.bins.len())
            .map(move |k| 10f64.powf(gain_db(response, k as f64 * hz_per_bin) / 20.0))
    }

    /// Mean power per sample of the signal filtered by `response` (Parseval, so no inverse
    /// transform is needed).
    pub fn band_power(&self, response: Response) -> f64 {
        let last = self.bins.len() - 1;
        let sum: f64 = self
            .bins
            .iter()
            .zip(self.gains(response))
            .enumerate()
            .map(|(k, (c, g))| {
                let both_halves = if k == 0 || k == last { 1.0 } else { 2.0 };
                both_halves * c.norm_sqr() * g * g
            })
            .sum();
        sum / self.len as f64 / self.samples.max(1) as f64
    }

    /// The signal filtered by `response` (zero phase) and scaled by `scale`.
    pub fn filtered(&self, response: Response, scale: f64) -> Vec<f64> {
        let mut bins: Vec<Complex<f64>> = self
            .bins
            .iter()
            .zip(self.gains(response))
            .map(|(c, g)| c * (g * scale / self.len as f64))
            .collect();
        let plan = inverse(self.len);
        let mut out = plan.make_output_vec();
        let _ = plan.process(&mut bins, &mut out);
        out.truncate(self.samples);
        out
    }
}

/// `out[k] = Σ a[i] · b[i + k]` for `k` in `0..lags`, by FFT (`b` may be longer than `a`).
pub fn cross_correlation(a: &[f64], b: &[f64], lags: usize) -> Vec<f64> {
    let len = (a.len() + b.len()).next_power_of_two().max(2);
    let (fwd, inv) = (forward(len), inverse(len));
    let mut x = vec![0.0; len];
    x[..a.len()].copy_from_slice(a);
    let mut y = vec![0.0; len];
    y[..b.len()].copy_from_slice(b);
    let mut fx = fwd.make_output_vec();
    let mut fy = fwd.make_output_vec();
    let _ = fwd.process(&mut x, &mut fx);
    let _ = fwd.process(&mut y, &mut fy);
    for (p, q) in fx.iter_mut().zip(&fy) {
        *p = p.conj() * q / len as f64;
    }
    let last = fx.len() - 1;
    fx[0].im = 0.0;
    fx[last].im = 0.0;
    let mut out = inv.make_output_vec();
    let _ = inv.process(&mut fx, &mut out);
    out.truncate(lags.min(len));
    out
}
