//! Signal levels: RMS level, peak level and the ITU-T P.56 active speech level.
//!
//! # Reference level
//!
//! All `dBov` figures are relative to the RMS of a full-scale square wave, as ITU-T P.56
//! and its reference software do: a signal whose samples are all ±1.0 is 0 dBov, a
//! full-scale sine is −3.01 dBov, and a sine of amplitude `a` is `20·log10(a/√2)` dBov.
//! `dBFS` (used by [`peak_dbfs`]) is the absolute sample peak relative to 1.0.

use serde::{Deserialize, Serialize};

/// Mean power below which a signal is treated as digital silence (−150 dBov).
const SILENCE_POWER: f64 = 1e-15;

/// Time constant of the P.56 envelope detector, in seconds.
const ENVELOPE_TIME_CONSTANT_S: f64 = 0.03;
/// Hangover of the P.56 activity detector, in seconds.
const HANGOVER_S: f64 = 0.2;
/// Margin between the active level and the activity threshold, in dB (P.56 method B).
const MARGIN_DB: f64 = 15.9;
/// Lowest envelope threshold tried, in dB relative to full scale.
const LOWEST_THRESHOLD_DB: f64 = -120.0;
/// Spacing of the envelope thresholds, in dB.
const THRESHOLD_STEP_DB: f64 = 1.0;

/// RMS level of `x` in dBov (0 dBov = RMS of a full-scale square wave, i.e. 1.0).
///
/// Returns `f64::NEG_INFINITY` for an empty or digitally silent signal.
pub fn rms_dbov(x: &[f32]) -> f64 {
    if x.is_empty() {
        return f64::NEG_INFINITY;
    }
    let power = sum_squares(x) / x.len() as f64;
    if power < SILENCE_POWER {
        return f64::NEG_INFINITY;
    }
    10.0 * power.log10()
}

/// Absolute peak of `x` in dBFS (0 dBFS = a sample of magnitude 1.0).
///
/// Returns `f64::NEG_INFINITY` for an empty or all-zero signal.
pub fn peak_dbfs(x: &[f32]) -> f64 {
    let peak = x.iter().fold(0.0f64, |m, &s| m.max(f64::from(s).abs()));
    if peak <= 0.0 {
        return f64::NEG_INFINITY;
    }
    20.0 * peak.log10()
}

/// Result of an active speech level measurement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ActiveLevel {
    /// Active speech level in dBov (power averaged over the active parts only).
    pub level_dbov: f64,
    /// Activity factor, 0..1: the fraction of the signal counted as active.
    pub activity: f64,
}

/// Active speech level of `x` sampled at `rate` Hz, after ITU-T P.56 method B.
///
/// The rectified signal is smoothed by two cascaded one-pole filters with a 0.03 s time
/// constant to form the envelope. For each threshold `c` (every 1 dB from −120 dB up to
/// full scale) a sample counts as active when the envelope is at or above `c`, or within
/// 0.2 s (hangover) after it last was. The active power for a threshold is the total
/// energy divided by its active sample count; the active level is where that power sits
/// 15.9 dB above the threshold, found by linear interpolation (in dB) between the two
/// thresholds that bracket the margin. The activity factor is the long-term power divided
/// by the active power.
///
/// Returns `None` for an empty or digitally silent signal, or a zero rate.
pub fn active_level_dbov(x: &[f32], rate: u32) -> Option<ActiveLevel> {
    if x.is_empty() || rate == 0 {
        return None;
    }
    let energy = sum_squares(x);
    let n = x.len() as f64;
    if energy / n < SILENCE_POWER {
        return None;
    }

    let steps = (-LOWEST_THRESHOLD_DB / THRESHOLD_STEP_DB).round() as usize + 1;
    let thresholds_db: Vec<f64> = (0..steps)
        .map(|j| LOWEST_THRESHOLD_DB + j as f64 * THRESHOLD_STEP_DB)
        .collect();
    let thresholds: Vec<f64> = thresholds_db
        .iter()
        .map(|db| 10f64.powf(db / 20.0))
        .collect();

    let g = (-1.0 / (f64::from(rate) * ENVELOPE_TIME_CONSTANT_S)).exp();
    let hangover = (HANGOVER_S * f64::from(rate)).round() as u64;

    let mut active = vec![0u64; steps];
    // Samples since the envelope was last at or above each threshold; starts "expired".
    let mut since = vec![u64::MAX; steps];
    let mut p = 0.0f64;
    let mut q = 0.0f64;
    for &s in x {
        p = g * p + (1.0 - g) * f64::from(s).abs();
        q = g * q + (1.0 - g) * p;
        // Thresholds are ascending: every threshold up to the first one above q is met.
        let met = thresholds.partition_point(|&c| c <= q);
        for j in 0..steps {
            if j < met {
                active[j] += 1;
                since[j] = 0;
            } else if since[j] < hangover {
                active[j] += 1;
                since[j] += 1;
            } else {
                // Once one threshold has expired, all higher ones have too.
                if since[j] == u64::MAX {
                    break;
                }
                since[j] = u64::MAX;
            }
        }
    }

    // delta_j = active level for threshold j minus threshold j, in dB; decreasing in j.
    let delta = |j: usize| -> Option<(f64, f64)> {
        if active[j] == 0 {
            return None;
        }
        let level = 10.0 * (energy / active[j] as f64).log10();
        Some((level, level - thresholds_db[j]))
    };

    let (first_level, first_delta) = delta(0)?;
    if first_delta <= MARGIN_DB {
        // Even the lowest threshold is within the margin: the whole signal is active.
        return Some(finish(first_level, energy, n));
    }
    let mut prev = (first_level, first_delta);
    for j in 1..steps {
        match delta(j) {
            Some((level, d)) if d > MARGIN_DB => prev = (level, d),
            Some((level, d)) => {
                // Interpolate between j-1 and j where delta crosses the margin.
                let t = (prev.1 - MARGIN_DB) / (prev.1 - d);
                let lvl = prev.0 + t * (level - prev.0);
                return Some(finish(lvl, energy, n));
            }
            None => break,
        }
    }
    // No threshold crossed the margin before activity vanished: use the last one with
    // any activity (only happens for extremely short bursts).
    Some(finish(prev.0, energy, n))
}

fn finish(level_dbov: f64, energy: f64, n: f64) -> ActiveLevel {
    let long_term = energy / n;
    let active_power = 10f64.powf(level_dbov / 10.0);
    ActiveLevel {
        level_dbov,
        activity: (long_term / active_power).clamp(0.0, 1.0),
    }
}

fn sum_squares(x: &[f32]) -> f64 {
    x.iter().map(|&s| f64::from(s) * f64::from(s)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, amp: f64, secs: f64, rate: u32) -> Vec<f32> {
        let n = (secs * f64::from(rate)) as usize;
        (0..n)
            .map(|i| {
                (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin())
                    as f32
            })
            .collect()
    }

    #[test]
    fn rms_of_full_scale_sine_and_square() {
        let s = sine(1000.0, 1.0, 1.0, 8000);
        assert!((rms_dbov(&s) + 3.0103).abs() < 0.01, "{}", rms_dbov(&s));
        let sq: Vec<f32> = (0..800)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        assert!(rms_dbov(&sq).abs() < 1e-9);
        assert_eq!(rms_dbov(&[0.0; 100]), f64::NEG_INFINITY);
        assert_eq!(rms_dbov(&[]), f64::NEG_INFINITY);
    }

    #[test]
    fn peak_of_half_scale_sine() {
        let s = sine(1000.0, 0.5, 0.1, 8000);
        assert!((peak_dbfs(&s) + 6.0206).abs() < 0.05, "{}", peak_dbfs(&s));
        assert_eq!(peak_dbfs(&[0.0; 10]), f64::NEG_INFINITY);
    }

    #[test]
    fn active_level_of_continuous_sine_equals_its_rms() {
        for &(amp, rate) in &[(0.0708, 8000u32), (0.01, 16000), (0.5, 48000)] {
            let s = sine(440.0, amp, 3.0, rate);
            let expected = 20.0 * (amp / 2f64.sqrt()).log10();
            let al = active_level_dbov(&s, rate).expect("level");
            assert!(
                (al.level_dbov - expected).abs() < 0.3,
                "amp {amp}: {} vs {expected}",
                al.level_dbov
            );
            assert!(al.activity > 0.95, "activity {}", al.activity);
        }
    }

    #[test]
    fn active_level_ignores_silence() {
        let rate = 16000;
        let amp = 0.0708; // about -26 dBov
        let mut x = sine(500.0, amp, 2.0, rate);
        x.extend(std::iter::repeat_n(0.0, 2 * rate as usize));
        let expected = 20.0 * (amp / 2f64.sqrt()).log10();
        let al = active_level_dbov(&x, rate).expect("level");
        // Hangover counts 0.2 s of silence as active: about 2.2 s of 4 s.
        assert!(
            (al.level_dbov - expected).abs() < 0.6,
            "{} vs {expected}",
            al.level_dbov
        );
        assert!(
            al.activity > 0.48 && al.activity < 0.6,
            "activity {}",
            al.activity
        );
        // The plain RMS level is lower by the activity factor.
        let rms = rms_dbov(&x);
        assert!(rms < al.level_dbov - 2.0);
        assert!((rms - (al.level_dbov + 10.0 * al.activity.log10())).abs() < 1e-6);
    }

    #[test]
    fn silence_has_no_active_level() {
        assert_eq!(active_level_dbov(&[0.0; 8000], 8000), None);
        assert_eq!(active_level_dbov(&[], 8000), None);
        assert_eq!(active_level_dbov(&[0.1; 10], 0), None);
    }
}
