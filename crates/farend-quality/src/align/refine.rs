//! Fine delay of a stretch of speech (P.862 §10.1.3.2; Rix et al., Part I, §3.3): 64 ms Hann
//! windows with 75 % overlap are cross-correlated, each window votes for the lag of its
//! correlation peak with a weight that grows with the peak's strength, and the smoothed
//! histogram's maximum gives the delay; its share of all votes is the confidence.

use crate::spectrum::hann;
use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealToComplex};
use std::sync::Arc;

/// The vote of one window: the lag of its correlation peak and its weight.
#[derive(Clone, Copy, Debug)]
pub struct Vote {
    /// Lag in samples relative to the window's trial delay.
    pub lag: isize,
    /// Vote weight (0 for a window without correlation).
    pub weight: f64,
}

/// Cross-correlates windows of two signals.
pub struct WindowCorrelator {
    len: usize,
    window: Vec<f64>,
    forward: Arc<dyn RealToComplex<f64>>,
    inverse: Arc<dyn ComplexToReal<f64>>,
    a: Vec<f64>,
    b: Vec<f64>,
    fa: Vec<Complex<f64>>,
    fb: Vec<Complex<f64>>,
    out: Vec<f64>,
}

/// Exponent applied to the normalised correlation peak to weight a window's vote.
const VOTE_EXPONENT: f64 = 0.125;

impl WindowCorrelator {
    /// A correlator for windows of 64 ms at `rate`.
    pub fn new(rate: u32) -> Self {
        let len = window_len(rate);
        let forward = crate::spectrum::forward(2 * len);
        let inverse = crate::spectrum::inverse(2 * len);
        WindowCorrelator {
            len,
            window: hann(len),
            a: forward.make_input_vec(),
            b: forward.make_input_vec(),
            fa: forward.make_output_vec(),
            fb: forward.make_output_vec(),
            out: inverse.make_output_vec(),
            forward,
            inverse,
        }
    }

    /// Window length in samples.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The vote of the reference window at `start` against the degraded signal at
    /// `start + delay`, for lags within ±len/2.
    pub fn vote(
        &mut self,
        reference: &[f64],
        degraded: &[f64],
        start: isize,
        delay: isize,
    ) -> Vote {
        let len = self.len;
        let mut energy_a = 0.0;
        let mut energy_b = 0.0;
        for (target, signal, at) in [
            (&mut self.a, reference, start),
            (&mut self.b, degraded, start + delay),
        ] {
            windowed(signal, at, &self.window, &mut target[..len]);
        }
        for i in 0..len {
            energy_a += self.a[i] * self.a[i];
            energy_b += self.b[i] * self.b[i];
        }
        self.a[len..].fill(0.0);
        self.b[len..].fill(0.0);
        if energy_a <= 0.0 || energy_b <= 0.0 {
            return Vote {
                lag: 0,
                weight: 0.0,
            };
        }
        let _ = self.forward.process(&mut self.a, &mut self.fa);
        let _ = self.forward.process(&mut self.b, &mut self.fb);
        for (x, y) in self.fa.iter_mut().zip(&self.fb) {
            *x = x.conj() * y;
        }
        let n = self.fa.len();
        self.fa[0].im = 0.0;
        self.fa[n - 1].im = 0.0;
        let _ = self.inverse.process(&mut self.fa, &mut self.out);
        let full = 2 * len;
        let half = (len / 2) as isize;
        // Lags -half..=-1 sit at the end of the circular correlation, 0..=half at its start;
        // scanned in lag order, the first of equal peaks wins.
        let negative = (full - half as usize..full).map(|i| (i as isize - full as isize, i));
        let positive = (0..=half as usize).map(|i| (i as isize, i));
        let mut best = (0isize, f64::MIN);
        for (lag, idx) in negative.chain(positive) {
            let v = self.out[idx];
            if v > best.1 {
                best = (lag, v);
            }
        }
        let peak = best.1 / full as f64 / (energy_a * energy_b).sqrt();
        Vote {
            lag: best.0,
            weight: if peak > 0.0 {
                peak.powf(VOTE_EXPONENT)
            } else {
                0.0
            },
        }
    }
}

/// Writes `signal[at..at + window.len()]` times `window` into `out`; samples outside the
/// signal count as zero.
fn windowed(signal: &[f64], at: isize, window: &[f64], out: &mut [f64]) {
    let len = window.len() as isize;
    let first = at.clamp(0, signal.len() as isize);
    let last = (at + len).clamp(0, signal.len() as isize);
    out.fill(0.0);
    if first < last {
        let offset = (first - at) as usize;
        let inside = &signal[first as usize..last as usize];
        for ((slot, &v), &w) in out[offset..].iter_mut().zip(inside).zip(&window[offset..]) {
            *slot = v * w;
        }
    }
}

/// Window length: 64 ms.
pub fn window_len(rate: u32) -> usize {
    rate as usize * 64 / 1000
}

/// Delay and confidence from a set of votes: triangular smoothing of the lag histogram over
/// ±1 ms, then its peak.
pub fn histogram_peak(votes: &[Vote], half_range: isize, rate: u32) -> Option<(isize, f64)> {
    let size = (2 * half_range + 1) as usize;
    let mut histogram = vec![0.0; size];
    let mut total = 0.0;
    for v in votes {
        if v.weight > 0.0 && v.lag.abs() <= half_range {
            histogram[(v.lag + half_range) as usize] += v.weight;
            total += v.weight;
        }
    }
    if total <= 0.0 {
        return None;
    }
    let spread = (rate as isize / 1000).max(1);
    let mut best = (0usize, f64::MIN);
    // Only bins within the smoothing spread of a vote can hold the peak.
    let mut candidates = Vec::new();
    let mut next = 0usize;
    for (j, _) in histogram.iter().enumerate().filter(|(_, w)| **w > 0.0) {
        let from = (j as isize - spread).max(0) as usize;
        let to = ((j as isize + spread) as usize).min(size - 1);
        candidates.extend(from.max(next)..=to);
        next = next.max(to + 1);
    }
    for i in candidates {
        let mut s = 0.0;
        for k in -spread..=spread {
            let j = i as isize + k;
            if j >= 0 && (j as usize) < size {
                s += histogram[j as usize] * (spread + 1 - k.abs()) as f64 / (spread + 1) as f64;
            }
        }
        if s > best.1 {
            best = (i, s);
        }
    }
    Some((best.0 as isize - half_range, best.1 / total))
}
