//! FFT helpers shared by the method's steps: one planner per thread, Hann-windowed power
//! spectra of frames, the spectrum of a whole signal (its band power and zero-phase
//! filtering by a tabulated frequency response). Cross-correlation is
//! `farend_dsp::correlation`'s.

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

thread_local! {
    /// Plans are kept per thread: planning a transform costs more than running it once.
    static PLANNER: RefCell<RealFftPlanner<f64>> = RefCell::new(RealFftPlanner::new());
}

/// The forward real transform of `len` points, planned once per thread.
pub fn forward(len: usize) -> Arc<dyn RealToComplex<f64>> {
    PLANNER.with(|p| p.borrow_mut().plan_fft_forward(len))
}

thread_local! {
    /// Single-precision plans, for the window correlations of time alignment (only the lag
    /// of a correlation peak and its rough strength are used there) and the whole-signal
    /// transforms of 16-bit audio: half the memory and twice the transform speed matter
    /// more than digits far below the samples' own quantisation.
    static PLANNER_SINGLE: RefCell<RealFftPlanner<f32>> = RefCell::new(RealFftPlanner::new());
}

/// The single-precision forward real transform of `len` points, planned once per thread.
pub fn forward_single(len: usize) -> Arc<dyn RealToComplex<f32>> {
    PLANNER_SINGLE.with(|p| p.borrow_mut().plan_fft_forward(len))
}

/// The single-precision inverse real transform of `len` points, planned once per thread.
pub fn inverse_single(len: usize) -> Arc<dyn ComplexToReal<f32>> {
    PLANNER_SINGLE.with(|p| p.borrow_mut().plan_fft_inverse(len))
}

/// Hann-windowed power spectra of fixed-length frames of a signal.
pub struct Spectra {
    forward: Arc<dyn RealToComplex<f64>>,
    window: Vec<f64>,
    input: Vec<f64>,
    output: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
    power: Vec<f64>,
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
            power: vec![0.0; output.len()],
            output,
            scratch,
        }
    }

    /// Power spectrum (|X|², bins 0..=len/2) of the frame of `signal` starting at `start`;
    /// samples outside the signal count as zero.
    pub fn power(&mut self, signal: &[f64], start: isize) -> &[f64] {
        for (i, slot) in self.input.iter_mut().enumerate() {
            let at = start + i as isize;
            let v = if at >= 0 && (at as usize) < signal.len() {
                signal[at as usize]
            } else {
                0.0
            };
            *slot = v * self.window[i];
        }
        // Lengths are fixed by construction, so the transform cannot fail.
        let _ =
            self.forward
                .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch);
        for (p, c) in self.power.iter_mut().zip(&self.output) {
            *p = c.norm_sqr();
        }
        &self.power
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

/// Which gains: the response's address and length, the sample rate and the transform length.
type GainKey = (usize, usize, u32, usize);

thread_local! {
    /// Gains of the responses used so far on this thread: both signals of a pair, and every
    /// pair of a batch, have the same transform length, so their gains are computed once.
    static GAINS: RefCell<Vec<(GainKey, Rc<[f64]>)>> = const { RefCell::new(Vec::new()) };
}

/// How many response/length combinations [`GAINS`] keeps.
const CACHED_GAINS: usize = 8;

/// Linear gains of `response` at the `count` bins of a `len`-point transform at `rate`.
fn cached_gains(response: Response, rate: u32, len: usize, count: usize) -> Rc<[f64]> {
    // A response is a static table, so its address and length identify it.
    let key = (response.as_ptr() as usize, response.len(), rate, len);
    GAINS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((_, gains)) = cache.iter().find(|(k, g)| *k == key && g.len() == count) {
            return Rc::clone(gains);
        }
        let gains: Rc<[f64]> = linear_gains(response, rate as f64 / len as f64, count).into();
        if cache.len() == CACHED_GAINS {
            cache.remove(0);
        }
        cache.push((key, Rc::clone(&gains)));
        gains
    })
}

/// Linear gain of `response` at `count` frequencies `hz_per_step` apart from 0 Hz: linear
/// between the table's points in dB, found with one walk along the table.
fn linear_gains(response: Response, hz_per_step: f64, count: usize) -> Vec<f64> {
    let (first, last) = (response[0], response[response.len() - 1]);
    let mut pair = 0;
    // Flat stretches of a response repeat one dB value: its power is computed once.
    let mut previous = (f64::NAN, 0.0);
    (0..count)
        .map(|k| {
            let hz = k as f64 * hz_per_step;
            let db = if hz <= first.0 {
                first.1
            } else if hz >= last.0 {
                last.1
            } else {
                while hz > response[pair + 1].0 {
                    pair += 1;
                }
                let ((f0, g0), (f1, g1)) = (response[pair], response[pair + 1]);
                g0 + (g1 - g0) * (hz - f0) / (f1 - f0)
            };
            if db != previous.0 {
                previous = (db, 10f64.powf(db / 20.0));
            }
            previous.1
        })
        .collect()
}

thread_local! {
    /// Input and scratch buffers of whole-signal transforms, kept between signals: at
    /// megabytes each, having the system provide them afresh costs more than the transform.
    static WHOLE_SIGNAL_BUFFERS: RefCell<(Vec<f32>, Vec<Complex<f32>>)> =
        const { RefCell::new((Vec::new(), Vec::new())) };
}

/// The spectrum of a whole signal, zero-padded to a length of small prime factors: computed
/// once, then measured in a band and filtered as often as needed.
///
/// Single precision: the signals come from 16-bit samples, whose quantisation lies 30 dB
/// above the transform's rounding noise, and half the memory of a transform of the whole
/// file is a good part of what one score costs.
pub struct WholeSpectrum {
    len: usize,
    samples: usize,
    rate: u32,
    bins: Vec<Complex<f32>>,
}

impl WholeSpectrum {
    /// Transforms `signal` sampled at `rate`.
    pub fn new(signal: &[f64], rate: u32) -> Self {
        let len = whole_signal_len(signal.len());
        let plan = forward_single(len);
        let mut bins = plan.make_output_vec();
        WHOLE_SIGNAL_BUFFERS.with(|buffers| {
            let (input, scratch) = &mut *buffers.borrow_mut();
            input.clear();
            input.extend(signal.iter().map(|&v| v as f32));
            input.resize(len, 0.0);
            scratch.resize(plan.get_scratch_len(), Complex::default());
            // Lengths are fixed by construction, so the transform cannot fail.
            let _ = plan.process_with_scratch(input, &mut bins, scratch);
        });
        WholeSpectrum {
            len,
            samples: signal.len(),
            rate,
            bins,
        }
    }

    fn gains(&self, response: Response) -> Rc<[f64]> {
        cached_gains(response, self.rate, self.len, self.bins.len())
    }

    /// Mean power per sample of the signal filtered by `response` (Parseval, so no inverse
    /// transform is needed).
    pub fn band_power(&self, response: Response) -> f64 {
        let last = self.bins.len() - 1;
        let sum: f64 = self
            .bins
            .iter()
            .zip(self.gains(response).iter())
            .enumerate()
            .map(|(k, (c, g))| {
                let both_halves = if k == 0 || k == last { 1.0 } else { 2.0 };
                both_halves * f64::from(c.norm_sqr()) * g * g
            })
            .sum();
        sum / self.len as f64 / self.samples.max(1) as f64
    }

    /// The signal filtered by `response` (zero phase) and scaled by `scale`.
    pub fn into_filtered(mut self, response: Response, scale: f64) -> Vec<f64> {
        let gains = self.gains(response);
        for (c, g) in self.bins.iter_mut().zip(gains.iter()) {
            *c *= (g * scale / self.len as f64) as f32;
        }
        let plan = inverse_single(self.len);
        WHOLE_SIGNAL_BUFFERS.with(|buffers| {
            let (out, scratch) = &mut *buffers.borrow_mut();
            out.resize(self.len, 0.0);
            scratch.resize(plan.get_scratch_len(), Complex::default());
            // Lengths are fixed by construction, so the transform cannot fail.
            let _ = plan.process_with_scratch(&mut self.bins, out, scratch);
            out[..self.samples].iter().map(|&v| f64::from(v)).collect()
        })
    }
}

/// The shortest even length of the form 2^a·3^b that holds `samples`: beyond a thousand
/// samples at most 1.125 times `samples`, where the next power of two may be twice it, and
/// as fast per point. A whole
/// file's transform, its plan (whose twiddle factors a process computes afresh) and its
/// memory shrink with it; the bins then lie on another frequency grid, which moves the
/// tabulated filter responses by less than their own interpolation does.
fn whole_signal_len(samples: usize) -> usize {
    let mut best = samples.max(2).next_power_of_two();
    let mut threes = 1;
    while threes < best {
        let mut len = threes * 2;
        while len < samples {
            len *= 2;
        }
        best = best.min(len);
        threes *= 3;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_transform_is_short_and_of_small_factors() {
        for samples in [1, 2, 3, 100, 64_001, 67_200, 131_072, 134_440, 999_999] {
            let len = whole_signal_len(samples);
            assert!(
                len >= samples && len.is_multiple_of(2),
                "{samples} -> {len}"
            );
            if samples >= 1000 {
                assert!(len <= samples * 9 / 8, "{samples} -> {len}");
            }
            let mut rest = len;
            for p in [2, 3] {
                while rest.is_multiple_of(p) {
                    rest /= p;
                }
            }
            assert_eq!(rest, 1, "{samples} -> {len}");
        }
    }

    /// Gain in dB of `response` at `hz`, looked up on its own.
    fn gain_db(response: Response, hz: f64) -> f64 {
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

    const RESPONSE: Response = &[(0.0, -30.0), (100.0, -30.0), (250.0, 0.0), (1000.0, 6.0)];

    #[test]
    fn walked_gains_equal_gains_looked_up_per_frequency() {
        let gains = linear_gains(RESPONSE, 7.8125, 200);
        for (k, g) in gains.iter().enumerate() {
            let db = gain_db(RESPONSE, k as f64 * 7.8125);
            assert_eq!(g.to_bits(), 10f64.powf(db / 20.0).to_bits(), "bin {k}");
        }
        assert_eq!(gains[0], 10f64.powf(-1.5));
        assert_eq!(gains[199], 10f64.powf(0.3));
    }
}
