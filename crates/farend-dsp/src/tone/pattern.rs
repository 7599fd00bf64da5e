//! Tone patterns ("1 kHz for 2 s, 1 s silence, three times"): generation and matching.

use super::{ToneSegment, add_sine, samples_for};
use serde::Serialize;

/// One step of a pattern: simultaneous frequencies (empty for silence) for a duration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatternStep {
    /// Frequencies in Hz sounding together; empty means silence.
    pub freqs: Vec<f64>,
    /// Duration in ms.
    pub duration_ms: f64,
}

/// A sequence of steps played `repeat` times.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TonePattern {
    /// The steps of one cycle.
    pub steps: Vec<PatternStep>,
    /// How many times the cycle is played (at least 1).
    pub repeat: u32,
}

/// Errors of [`TonePattern::parse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// A step is not `FREQ[+FREQ...]/MS`, `0/MS` or `-/MS`.
    #[error("bad pattern step '{0}': expected FREQ[+FREQ...]/MS, 0/MS (silence) or xN (repeat)")]
    BadStep(String),
    /// The pattern has no tone at all.
    #[error("pattern has no tone")]
    NoTone,
}

impl TonePattern {
    /// Parses `"1000/2000, 0/1000, x3"`: comma-separated steps `FREQ[+FREQ...]/MS`
    /// (`0/MS` or `-/MS` for silence), optionally ending with a repeat count `xN`.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let mut steps = Vec::new();
        let mut repeat = 1;
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || PatternError::BadStep(part.to_owned());
            if let Some(n) = part.strip_prefix(['x', 'X', '*']) {
                repeat = n.trim().parse::<u32>().map_err(|_| bad())?.max(1);
                continue;
            }
            let (f, d) = part.split_once('/').ok_or_else(bad)?;
            let duration_ms: f64 = d
                .trim()
                .trim_end_matches("ms")
                .trim()
                .parse()
                .map_err(|_| bad())?;
            if !duration_ms.is_finite() || duration_ms <= 0.0 {
                return Err(bad());
            }
            let f = f.trim();
            let freqs = if f == "0" || f == "-" {
                Vec::new()
            } else {
                f.split('+')
                    .map(|v| {
                        v.trim()
                            .parse::<f64>()
                            .ok()
                            .filter(|x| x.is_finite() && *x > 0.0)
                    })
                    .collect::<Option<Vec<f64>>>()
                    .ok_or_else(bad)?
            };
            steps.push(PatternStep { freqs, duration_ms });
        }
        if steps.iter().all(|s| s.freqs.is_empty()) {
            return Err(PatternError::NoTone);
        }
        Ok(Self { steps, repeat })
    }

    /// Total duration of all repetitions in ms.
    pub fn duration_ms(&self) -> f64 {
        self.steps.iter().map(|s| s.duration_ms).sum::<f64>() * f64::from(self.repeat.max(1))
    }

    /// Generates the pattern at `rate`, each frequency at `level_dbov` dBov (P.56).
    pub fn generate(&self, level_dbov: f64, rate: u32) -> Vec<f32> {
        let mut out = Vec::new();
        for _ in 0..self.repeat.max(1) {
            for step in &self.steps {
                let mut seg = vec![0.0f32; samples_for(step.duration_ms / 1000.0, rate)];
                for &f in &step.freqs {
                    add_sine(&mut seg, f, level_dbov, rate);
                }
                out.extend_from_slice(&seg);
            }
        }
        out
    }

    /// The tones of all repetitions as (freqs, start offset ms, duration ms), with touching
    /// steps of the same frequencies merged.
    fn tones(&self) -> Vec<(Vec<f64>, f64, f64)> {
        let mut out: Vec<(Vec<f64>, f64, f64)> = Vec::new();
        let mut t = 0.0;
        for _ in 0..self.repeat.max(1) {
            for step in &self.steps {
                if !step.freqs.is_empty() {
                    match out.last_mut() {
                        Some(last)
                            if last.0 == step.freqs && (last.1 + last.2 - t).abs() < 1e-9 =>
                        {
                            last.2 += step.duration_ms
                        }
                        _ => out.push((step.freqs.clone(), t, step.duration_ms)),
                    }
                }
                t += step.duration_ms;
            }
        }
        out
    }
}

/// How closely detected segments must follow a pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternTolerance {
    /// Largest frequency error as a fraction (0.01 = 1%).
    pub freq: f64,
    /// Largest error of every segment edge in ms.
    pub timing_ms: f64,
}

impl Default for PatternTolerance {
    fn default() -> Self {
        Self {
            freq: 0.01,
            timing_ms: 20.0,
        }
    }
}

/// Where and how well a pattern was found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatternMatch {
    /// Start of the first tone in ms.
    pub start_ms: f64,
    /// End of the last tone in ms.
    pub end_ms: f64,
    /// Largest frequency error seen, as a fraction.
    pub max_freq_error: f64,
    /// Largest edge error seen in ms.
    pub max_timing_error_ms: f64,
}

/// Largest relative error between a segment's components and `freqs`, or `None` when they do
/// not correspond one to one within `tol`.
fn freq_error(seg: &ToneSegment, freqs: &[f64], tol: f64) -> Option<f64> {
    let top = seg.components.first()?.level_dbov;
    let strong: Vec<f64> = seg
        .components
        .iter()
        .filter(|c| c.level_dbov > top - 10.0)
        .map(|c| c.freq_hz)
        .collect();
    let mut worst = 0.0f64;
    for &f in freqs {
        let e = seg
            .components
            .iter()
            .map(|c| (c.freq_hz - f).abs() / f)
            .fold(f64::INFINITY, f64::min);
        if e > tol {
            return None;
        }
        worst = worst.max(e);
    }
    for g in strong {
        if !freqs.iter().any(|&f| (g - f).abs() <= tol * f) {
            return None;
        }
    }
    Some(worst)
}

/// Finds the first occurrence of `pattern` in `segments` (as returned by
/// [`super::detect_tones`]): every tone of every repetition must appear with matching
/// frequencies and both edges within the tolerances.
pub fn match_pattern(
    segments: &[ToneSegment],
    pattern: &TonePattern,
    tol: &PatternTolerance,
) -> Option<PatternMatch> {
    let tones = pattern.tones();
    let (f0, off0, _) = tones.first()?;
    'start: for first in segments {
        if freq_error(first, f0, tol.freq).is_none() {
            continue;
        }
        let t0 = first.start_ms - off0;
        let mut worst_f = 0.0f64;
        let mut worst_t = 0.0f64;
        let mut end = first.end_ms;
        for (freqs, off, dur) in &tones {
            let (s, e) = (t0 + off, t0 + off + dur);
            let found = segments.iter().find_map(|g| {
                let fe = freq_error(g, freqs, tol.freq)?;
                let te = (g.start_ms - s).abs().max((g.end_ms - e).abs());
                (te <= tol.timing_ms).then_some((fe, te, g.end_ms))
            });
            let Some((fe, te, ge)) = found else {
                continue 'start;
            };
            worst_f = worst_f.max(fe);
            worst_t = worst_t.max(te);
            end = ge;
        }
        return Some(PatternMatch {
            start_ms: first.start_ms,
            end_ms: end,
            max_freq_error: worst_f,
            max_timing_error_ms: worst_t,
        });
    }
    None
}
