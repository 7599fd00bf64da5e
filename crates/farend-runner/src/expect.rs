//! Measuring a played step's recording and judging it against the step's expectations.
//!
//! Pure: samples in, measurements, checks and at most one failure out.

use farend_dsp::delay::{DelayEstimate, estimate_delay};
use farend_dsp::level::{ActiveLevel, active_level_dbov};
use farend_report::{Check, FailureKind, Measurement};
use farend_scenario::Expectations;

/// Active speech level below which a recording counts as silent (dBov, ITU-T P.56).
pub const AUDIO_FLOOR_DBOV: f64 = -50.0;
/// The largest mouth-to-ear delay searched for, in seconds.
pub const MAX_DELAY_S: f64 = 2.0;

/// What was measured on one direction of a played step.
#[derive(Debug, Clone)]
pub struct PlayAnalysis {
    /// Active speech level of the recording, if any activity was found.
    pub level: Option<ActiveLevel>,
    /// Delay of the recording behind the reference, if they correlate.
    pub delay: Option<DelayEstimate>,
}

impl PlayAnalysis {
    /// Whether audio arrived: activity above [`AUDIO_FLOOR_DBOV`].
    pub fn audio_present(&self) -> bool {
        self.level.is_some_and(|l| l.level_dbov > AUDIO_FLOOR_DBOV)
    }
}

/// Measures a recording against the reference that was played (same rate, same start).
pub fn analyze(reference: &[f32], recording: &[f32], rate: u32) -> PlayAnalysis {
    PlayAnalysis {
        level: active_level_dbov(recording, rate),
        delay: estimate_delay(reference, recording, rate, MAX_DELAY_S),
    }
}

/// Measurements, checks and the first failure of one played step.
#[derive(Debug, Default)]
pub struct Evaluation {
    /// Everything measured, for the report.
    pub measurements: Vec<Measurement>,
    /// Every expectation with what it found.
    pub checks: Vec<Check>,
    /// The first expectation that failed, if one did.
    pub failure: Option<(FailureKind, String)>,
}

impl Evaluation {
    fn check(
        &mut self,
        step: usize,
        name: &str,
        expected: String,
        actual: String,
        failure: Option<(FailureKind, String)>,
    ) {
        self.checks.push(Check {
            step,
            name: name.to_string(),
            expected,
            actual,
            passed: failure.is_none(),
        });
        if self.failure.is_none() {
            self.failure = failure;
        }
    }
}

fn bounds_text(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(lo), Some(hi)) => format!("{lo} ..= {hi}"),
        (Some(lo), None) => format!(">= {lo}"),
        (None, Some(hi)) => format!("<= {hi}"),
        (None, None) => "any".into(),
    }
}

/// Judges one direction of a played step. `direction` reads like `a->b`.
pub fn evaluate(
    step: usize,
    direction: &str,
    expect: &Expectations,
    analysis: &PlayAnalysis,
) -> Evaluation {
    let mut eval = Evaluation::default();
    let measure = |name: &str, value: f64, unit: &str| Measurement {
        step,
        name: name.to_string(),
        value,
        unit: unit.to_string(),
        direction: Some(direction.to_string()),
    };
    if let Some(level) = analysis.level {
        eval.measurements
            .push(measure("level_dbov", level.level_dbov, "dBov"));
        eval.measurements
            .push(measure("activity", level.activity, "ratio"));
    }
    if let Some(delay) = analysis.delay {
        eval.measurements.push(measure("delay_ms", delay.ms, "ms"));
        eval.measurements
            .push(measure("delay_correlation", delay.correlation, "ratio"));
    }
    let present = analysis.audio_present();
    let level_text = analysis.level.map_or_else(
        || "no activity".to_string(),
        |l| format!("{:.1} dBov", l.level_dbov),
    );

    if let Some(want) = expect.audio_present {
        let failure = (want != present).then(|| {
            if want {
                (FailureKind::NoAudio, format!("{direction}: no audio arrived ({level_text}, floor {AUDIO_FLOOR_DBOV} dBov)"))
            } else {
                (FailureKind::UnexpectedState, format!("{direction}: audio arrived ({level_text}) where silence was expected"))
            }
        });
        eval.check(
            step,
            "audio_present",
            want.to_string(),
            present.to_string(),
            failure,
        );
    }
    if let Some(bounds) = &expect.delay_ms {
        let expected = bounds_text(bounds.min, bounds.max);
        let (actual, failure) = match analysis.delay {
            _ if !present => (
                "no audio".to_string(),
                Some((
                    FailureKind::NoAudio,
                    format!(
                        "{direction}: no audio arrived, delay cannot be measured ({level_text})"
                    ),
                )),
            ),
            None => (
                "no correlation".to_string(),
                Some((
                    FailureKind::WrongAudio,
                    format!("{direction}: the recording does not correlate with the reference"),
                )),
            ),
            Some(d) => {
                let low = bounds.min.is_some_and(|m| d.ms < m);
                let high = bounds.max.is_some_and(|m| d.ms > m);
                let failure = (low || high).then(|| {
                    (
                        FailureKind::DelayTooHigh,
                        format!("{direction}: delay {:.1} ms outside {expected} ms", d.ms),
                    )
                });
                (format!("{:.1}", d.ms), failure)
            }
        };
        eval.check(step, "delay_ms", expected, actual, failure);
    }
    eval
}

#[cfg(test)]
mod tests {
    use super::*;
    use farend_scenario::Bounds;

    fn speechlike(rate: u32, seconds: f64) -> Vec<f32> {
        // A deterministic noise burst train: broadband, so the correlation peak is sharp.
        let n = (rate as f64 * seconds) as usize;
        let mut x = 0x1234_5678_u32;
        (0..n)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let burst = if (i / (rate as usize / 4)).is_multiple_of(2) {
                    0.3
                } else {
                    0.0
                };
                burst * ((x as f32 / u32::MAX as f32) * 2.0 - 1.0)
            })
            .collect()
    }

    fn delayed(x: &[f32], samples: usize) -> Vec<f32> {
        let mut y = vec![0.0; samples];
        y.extend_from_slice(&x[..x.len() - samples]);
        y
    }

    #[test]
    fn delay_within_bounds_passes_and_is_measured() {
        let rate = 16000;
        let reference = speechlike(rate, 3.0);
        let recording = delayed(&reference, 960); // 60 ms
        let analysis = analyze(&reference, &recording, rate);
        let expect = Expectations {
            audio_present: Some(true),
            delay_ms: Some(Bounds {
                min: None,
                max: Some(400.0),
            }),
            ..Default::default()
        };
        let eval = evaluate(3, "a->b", &expect, &analysis);
        assert!(eval.failure.is_none(), "{:?}", eval.failure);
        let delay = eval
            .measurements
            .iter()
            .find(|m| m.name == "delay_ms")
            .unwrap();
        assert!((delay.value - 60.0).abs() < 1.0, "{}", delay.value);
        assert_eq!(eval.checks.len(), 2);
    }

    #[test]
    fn delay_above_max_fails_with_delay_too_high() {
        let rate = 16000;
        let reference = speechlike(rate, 3.0);
        let recording = delayed(&reference, 8000); // 500 ms
        let expect = Expectations {
            delay_ms: Some(Bounds {
                min: None,
                max: Some(400.0),
            }),
            ..Default::default()
        };
        let eval = evaluate(1, "a->b", &expect, &analyze(&reference, &recording, rate));
        assert_eq!(eval.failure.map(|f| f.0), Some(FailureKind::DelayTooHigh));
    }

    #[test]
    fn silence_fails_audio_present_with_no_audio() {
        let rate = 16000;
        let reference = speechlike(rate, 2.0);
        let recording = vec![0.0; reference.len()];
        let expect = Expectations {
            audio_present: Some(true),
            ..Default::default()
        };
        let eval = evaluate(1, "b->a", &expect, &analyze(&reference, &recording, rate));
        let (kind, message) = eval.failure.expect("silence must fail");
        assert_eq!(kind, FailureKind::NoAudio);
        assert!(message.contains("b->a"), "{message}");
    }
}
