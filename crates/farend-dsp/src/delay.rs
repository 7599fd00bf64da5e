//! Delay between a reference signal and its recording, by FFT cross-correlation.
//!
//! Sign convention: a recording that arrives *later* than the reference has a *positive*
//! delay. The correlation is taken on magnitudes, so a polarity-inverted path is found as
//! well (its `correlation` is still reported as a positive number).

use crate::correlation::cross_correlation;
use serde::{Deserialize, Serialize};

/// Mean power below which a signal is treated as digital silence (−150 dBov).
const SILENCE_POWER: f64 = 1e-15;
/// Lowest normalised correlation accepted as a match.
const MIN_CORRELATION: f64 = 0.1;
/// How much the main peak must exceed the best peak outside its own lobe.
const MIN_PEAK_RATIO: f64 = 1.1;

/// Estimated delay of a recording relative to its reference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DelayEstimate {
    /// Delay in whole samples at the analysis rate (positive: recording is later).
    pub samples: i64,
    /// Delay in milliseconds, refined to a fraction of a sample by parabolic interpolation.
    pub ms: f64,
    /// Normalised peak of the cross-correlation, 0..1 (1 = the recording is an exact,
    /// scaled, shifted copy of the reference).
    pub correlation: f64,
}

/// Estimates how much later `recording` is than `reference` (both at `rate` Hz).
///
/// Lags from `-max_delay_s` to `+max_delay_s` are searched. The cross-correlation is
/// normalised by the square root of the product of both signals' energies. Returns `None`
/// when either signal is empty or silent, when `rate` is zero, when the normalised peak is
/// below 0.1, or when the peak is not distinct (the best peak outside the main lobe reaches
/// more than 1/1.1 of it, as with a steady tone whose delay is ambiguous).
pub fn estimate_delay(
    reference: &[f32],
    recording: &[f32],
    rate: u32,
    max_delay_s: f64,
) -> Option<DelayEstimate> {
    if reference.is_empty() || recording.is_empty() || rate == 0 || !max_delay_s.is_finite() {
        return None;
    }
    let e_ref = energy(reference);
    let e_rec = energy(recording);
    if e_ref / reference.len() as f64 <= SILENCE_POWER
        || e_rec / recording.len() as f64 <= SILENCE_POWER
    {
        return None;
    }

    let max_lag = (max_delay_s.abs() * f64::from(rate)).round();
    let max_lag = if max_lag > 1e12 {
        1e12 as i64
    } else {
        max_lag as i64
    };
    // Lags with any overlap: -(len_ref - 1) ..= len_rec - 1.
    let lo = (-max_lag).max(-(reference.len() as i64 - 1));
    let hi = max_lag.min(recording.len() as i64 - 1);

    let corr = cross_correlation(reference, recording);
    let len = corr.len() as i64;
    let at = |k: i64| -> f64 { corr[k.rem_euclid(len) as usize].abs() };

    let norm = (e_ref * e_rec).sqrt();
    let mut best_k = lo;
    let mut best = -1.0;
    for k in lo..=hi {
        let v = at(k);
        if v > best {
            best = v;
            best_k = k;
        }
    }
    let correlation = best / norm;
    if correlation < MIN_CORRELATION {
        return None;
    }

    // Main lobe: walk down both sides while the magnitude keeps falling.
    let mut left = best_k;
    while left > lo && at(left - 1) <= at(left) {
        left -= 1;
    }
    let mut right = best_k;
    while right < hi && at(right + 1) <= at(right) {
        right += 1;
    }
    let second = (lo..left)
        .chain(right + 1..=hi)
        .map(at)
        .fold(0.0f64, f64::max);
    if second * MIN_PEAK_RATIO > best {
        return None;
    }

    let frac = if best_k > lo && best_k < hi {
        let (ym, y0, yp) = (at(best_k - 1), best, at(best_k + 1));
        let den = ym - 2.0 * y0 + yp;
        if den.abs() > f64::EPSILON * y0 {
            (0.5 * (ym - yp) / den).clamp(-0.5, 0.5)
        } else {
            0.0
        }
    } else {
        0.0
    };
    Some(DelayEstimate {
        samples: best_k,
        ms: (best_k as f64 + frac) * 1000.0 / f64::from(rate),
        correlation: correlation.min(1.0),
    })
}

fn energy(x: &[f32]) -> f64 {
    x.iter().map(|&s| f64::from(s) * f64::from(s)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic white noise in -0.5..0.5 (xorshift).
    fn noise(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.max(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect()
    }

    fn delayed(x: &[f32], d: usize, total: usize) -> Vec<f32> {
        let mut y = vec![0.0; total];
        for (i, &v) in x.iter().enumerate() {
            if i + d < total {
                y[i + d] = v;
            }
        }
        y
    }

    #[test]
    fn finds_known_delays_in_noise() {
        let rate = 8000;
        let reference = noise(16000, 7);
        for &d in &[0usize, 1, 37, 800, 2400] {
            let mut rec = delayed(&reference, d, 16000 + 3000);
            let extra = noise(rec.len(), 99);
            for (r, e) in rec.iter_mut().zip(extra) {
                *r = 0.5 * *r + 0.2 * e;
            }
            let est = estimate_delay(&reference, &rec, rate, 0.5).expect("estimate");
            assert_eq!(est.samples, d as i64, "delay {d}");
            assert!((est.ms - d as f64 / 8.0).abs() < 0.1, "ms {}", est.ms);
            assert!(est.correlation > 0.5 && est.correlation <= 1.0);
        }
    }

    #[test]
    fn recording_earlier_than_reference_is_negative() {
        let reference = noise(8000, 3);
        let rec: Vec<f32> = reference[100..].to_vec();
        let est = estimate_delay(&reference, &rec, 8000, 0.1).expect("estimate");
        assert_eq!(est.samples, -100);
        assert!((est.ms + 12.5).abs() < 0.05);
    }

    #[test]
    fn respects_max_delay() {
        let reference = noise(8000, 5);
        let rec = delayed(&reference, 2000, 10000);
        // 2000 samples = 250 ms, outside a 100 ms window.
        let est = estimate_delay(&reference, &rec, 8000, 0.1);
        assert!(est.is_none_or(|e| e.samples != 2000));
        assert_eq!(
            estimate_delay(&reference, &rec, 8000, 0.3).map(|e| e.samples),
            Some(2000)
        );
    }

    #[test]
    fn through_a_lowpass_with_subsample_delay() {
        // Reference: noise; recording: 3-tap smoothing (group delay 1 sample) + 50 samples
        // + inverted polarity. Expected delay 51 samples.
        let reference = noise(16000, 11);
        let mut rec = vec![0.0f32; 17000];
        for i in 0..16000 {
            let a = reference[i];
            let b = if i >= 1 { reference[i - 1] } else { 0.0 };
            let c = if i >= 2 { reference[i - 2] } else { 0.0 };
            rec[i + 50] = -(0.25 * a + 0.5 * b + 0.25 * c);
        }
        let est = estimate_delay(&reference, &rec, 16000, 0.2).expect("estimate");
        assert_eq!(est.samples, 51);
        assert!((est.ms - 51.0 / 16.0).abs() < 0.02, "ms {}", est.ms);

        // Two-tap average: group delay of half a sample, 10.5 samples in total.
        let mut rec2 = vec![0.0f32; 17000];
        for i in 0..16000 {
            let b = if i >= 1 { reference[i - 1] } else { 0.0 };
            rec2[i + 10] = 0.5 * (reference[i] + b);
        }
        let est = estimate_delay(&reference, &rec2, 16000, 0.2).expect("estimate");
        assert!(est.samples == 10 || est.samples == 11);
        assert!((est.ms - 10.5 / 16.0).abs() < 0.02, "ms {}", est.ms);
    }

    #[test]
    fn silence_and_ambiguity_give_none() {
        let reference = noise(4000, 1);
        assert!(estimate_delay(&reference, &[0.0; 4000], 8000, 0.1).is_none());
        assert!(estimate_delay(&[0.0; 4000], &reference, 8000, 0.1).is_none());
        assert!(estimate_delay(&[], &reference, 8000, 0.1).is_none());
        // A steady tone correlates equally well at every period: ambiguous.
        let tone: Vec<f32> = (0..8000)
            .map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 8000.0).sin())
            .collect();
        assert!(estimate_delay(&tone, &tone, 8000, 0.05).is_none());
        // Unrelated noise does not match.
        assert!(estimate_delay(&reference, &noise(4000, 2), 8000, 0.1).is_none());
    }
}
