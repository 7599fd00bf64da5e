//! Measuring a played step's recording and judging it against the step's expectations.
//!
//! Pure: samples in, measurements, checks and at most one failure out. Every play step is
//! measured in full (level, delay, gaps, clipping, noise floor, MOS-LQO); DTMF, tones,
//! call-progress tones and the fingerprint are looked for only when the step expects them.

use farend_dsp::fingerprint::Index;
use farend_dsp::verdict::{AnalyzeOptions, PathAnalysis, analyze_path, analyze_path_with_library};
use farend_quality::{Band, QualityError, Score, ScoreOptions};
use farend_report::{Check, FailureKind, Measurement};
use farend_scenario::{Bounds, Expectations};

/// Active speech level below which a recording counts as silent (dBov, ITU-T P.56).
pub const AUDIO_FLOOR_DBOV: f64 = -50.0;
/// The largest mouth-to-ear delay searched for, in seconds.
pub const MAX_DELAY_S: f64 = 2.0;
/// How far a detected tone's frequency may be from the expected one (ratio).
pub const TONE_FREQ_TOLERANCE: f64 = 0.015;

/// What was measured on one direction of a played step.
#[derive(Debug, Clone)]
pub struct PlayAnalysis {
    /// Level, delay, gaps, clipping, noise floor and (with a library) the identity.
    pub path: PathAnalysis,
    /// The MOS-LQO of the recording against the reference, or why there is none; not
    /// computed (`None`) for tone references unless the step expects a MOS.
    pub quality: Option<Result<Score, QualityError>>,
    /// DTMF digits found, when the step expects digits.
    pub dtmf: Option<farend_dsp::dtmf::DtmfResult>,
    /// Tone segments found, when the step expects a tone.
    pub tones: Option<Vec<farend_dsp::tone::ToneSegment>>,
    /// The call-progress tone found, when the step expects one.
    pub progress: Option<Option<farend_dsp::progress::ProgressMatch>>,
}

/// The reference library's fingerprints, for the `fingerprint` expectation.
pub struct Library<'a> {
    /// The index of every reference.
    pub index: &'a Index,
    /// The reference that was played.
    pub played: &'a str,
}

/// Takes the lab's known fixed latencies (sound cards, cabling; `fixed_ms`) out of the
/// measured delay, so reports and `delay_ms` expectations see the path under test only.
pub fn remove_fixed_delay(analysis: &mut PlayAnalysis, fixed_ms: f64) {
    if let Some(delay) = analysis.path.delay.as_mut() {
        delay.delay_ms -= fixed_ms;
    }
    if let Some(ms) = analysis.path.delay_ms.as_mut() {
        *ms -= fixed_ms;
    }
}

/// Measures a recording against the reference that was played (same rate, same start).
/// `speech` says whether the reference is speech (MOS-LQO is only meaningful for speech).
pub fn analyze(
    reference: &[f32],
    recording: &[f32],
    rate: u32,
    speech: bool,
    expect: &Expectations,
    library: Option<Library<'_>>,
) -> PlayAnalysis {
    let options = AnalyzeOptions {
        max_delay_s: MAX_DELAY_S,
        presence_dbov: AUDIO_FLOOR_DBOV,
        ..AnalyzeOptions::default()
    };
    let path = match library {
        Some(lib) => {
            analyze_path_with_library(reference, recording, rate, &options, lib.index, lib.played)
        }
        None => analyze_path(reference, recording, rate, &options),
    };
    let band = match expect.mos_lqo.as_ref().map(|m| m.band) {
        Some(farend_scenario::Band::Wb) => Band::Wide,
        _ => Band::Narrow,
    };
    let quality = (speech || expect.mos_lqo.is_some())
        .then(|| farend_quality::score_f32(reference, recording, rate, &ScoreOptions::new(band)));
    PlayAnalysis {
        path,
        quality,
        dtmf: expect
            .dtmf
            .as_ref()
            .map(|_| farend_dsp::dtmf::detect_dtmf(recording, rate)),
        tones: (expect.tone.is_some() || expect.tone_pattern.is_some())
            .then(|| farend_dsp::tone::detect_tones(recording, rate)),
        progress: expect
            .progress_tone
            .as_ref()
            .map(|p| farend_dsp::progress::classify_progress(recording, rate, Some(&p.country))),
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

fn bounds_text(bounds: &Bounds) -> String {
    match (bounds.min, bounds.max) {
        (Some(lo), Some(hi)) => format!("{lo} ..= {hi}"),
        (Some(lo), None) => format!(">= {lo}"),
        (None, Some(hi)) => format!("<= {hi}"),
        (None, None) => "any".into(),
    }
}

fn outside(bounds: &Bounds, value: f64) -> bool {
    bounds.min.is_some_and(|m| value < m) || bounds.max.is_some_and(|m| value > m)
}

/// Judges one direction of a played step. `direction` reads like `a->b`.
pub fn evaluate(
    step: usize,
    direction: &str,
    expect: &Expectations,
    analysis: &PlayAnalysis,
) -> Evaluation {
    let mut eval = Evaluation::default();
    let path = &analysis.path;
    let mut measure = |name: &str, value: f64, unit: &str| {
        eval.measurements.push(Measurement {
            step,
            name: name.to_string(),
            value,
            unit: unit.to_string(),
            direction: Some(direction.to_string()),
        })
    };
    if let Some(level) = path.level_dbov {
        measure("level_dbov", level, "dBov");
    }
    if let Some(activity) = path.activity {
        measure("activity", activity, "ratio");
    }
    if let Some(noise) = path.noise_floor_dbov {
        measure("noise_floor_dbov", noise, "dBov");
    }
    if let Some(delay) = &path.delay {
        measure("delay_ms", delay.delay_ms, "ms");
        measure("delay_confidence", delay.confidence, "ratio");
    }
    measure("max_gap_ms", path.max_gap_ms, "ms");
    measure("clipped_ratio", path.clipping.ratio, "ratio");
    if let Some(Ok(score)) = &analysis.quality {
        measure("mos_lqo", score.mos_lqo, "MOS");
        measure("pesq_raw", score.raw, "P.862");
    }

    let present = path.audio_present;
    let level_text = path
        .level_dbov
        .map_or_else(|| "no activity".to_string(), |l| format!("{l:.1} dBov"));
    let no_audio = || {
        (
            FailureKind::NoAudio,
            format!("{direction}: no audio arrived ({level_text}, floor {AUDIO_FLOOR_DBOV} dBov)"),
        )
    };

    if let Some(want) = expect.audio_present {
        let failure = (want != present).then(|| {
            if want {
                no_audio()
            } else {
                (
                    FailureKind::UnexpectedState,
                    format!("{direction}: audio arrived ({level_text}) where silence was expected"),
                )
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
    if let Some(false) = expect.one_way_audio {
        let failure = (!present).then(|| {
            (
                FailureKind::OneWayAudio,
                format!(
                    "{direction}: no audio in this direction while the call is up ({level_text})"
                ),
            )
        });
        eval.check(
            step,
            "one_way_audio",
            "false".into(),
            (!present).to_string(),
            failure,
        );
    }
    if let Some(bounds) = &expect.delay_ms {
        let expected = bounds_text(bounds);
        let (actual, failure) = match path.delay_ms {
            _ if !present => ("no audio".to_string(), Some(no_audio())),
            None => (
                "no correlation".to_string(),
                Some((
                    FailureKind::WrongAudio,
                    format!("{direction}: the recording does not correlate with the reference"),
                )),
            ),
            Some(ms) => {
                let failure = outside(bounds, ms).then(|| {
                    (
                        FailureKind::DelayTooHigh,
                        format!("{direction}: delay {ms:.1} ms outside {expected} ms"),
                    )
                });
                (format!("{ms:.1}"), failure)
            }
        };
        eval.check(step, "delay_ms", expected, actual, failure);
    }
    if let Some(bounds) = &expect.level_dbov {
        let expected = bounds_text(bounds);
        let (actual, failure) = match path.level_dbov {
            None => ("no activity".to_string(), Some(no_audio())),
            Some(l) => {
                let failure = outside(bounds, l).then(|| {
                    (
                        FailureKind::LevelOutOfRange,
                        format!("{direction}: active level {l:.1} dBov outside {expected} dBov"),
                    )
                });
                (format!("{l:.1}"), failure)
            }
        };
        eval.check(step, "level_dbov", expected, actual, failure);
    }
    if let Some(gaps) = &expect.gaps {
        let failure = if !present {
            Some(no_audio())
        } else {
            (path.max_gap_ms > gaps.max_ms).then(|| {
                (
                    FailureKind::AudioGaps,
                    format!(
                        "{direction}: {} mute gap(s), longest {:.0} ms (max {} ms)",
                        path.gaps.len(),
                        path.max_gap_ms,
                        gaps.max_ms
                    ),
                )
            })
        };
        eval.check(
            step,
            "gaps",
            format!("<= {} ms", gaps.max_ms),
            format!("{:.0} ms", path.max_gap_ms),
            failure,
        );
    }
    if let Some(mos) = &expect.mos_lqo {
        let expected = format!(
            ">= {} ({})",
            mos.min,
            if matches!(mos.band, farend_scenario::Band::Wb) {
                "wb"
            } else {
                "nb"
            }
        );
        let (actual, failure) = match &analysis.quality {
            _ if !present => ("no audio".to_string(), Some(no_audio())),
            None => (
                "not computed".to_string(),
                Some((
                    FailureKind::MosBelowThreshold,
                    format!("{direction}: no MOS-LQO"),
                )),
            ),
            Some(Err(e)) => (
                format!("not scorable: {e}"),
                Some((
                    FailureKind::MosBelowThreshold,
                    format!("{direction}: MOS-LQO could not be computed: {e}"),
                )),
            ),
            Some(Ok(score)) => {
                let actual = format!("{:.2} ({:?})", score.mos_lqo, score.category);
                let failure = (score.mos_lqo < mos.min).then(|| {
                    (
                        FailureKind::MosBelowThreshold,
                        format!(
                            "{direction}: MOS-LQO {:.2} ({:?}) below {}",
                            score.mos_lqo, score.category, mos.min
                        ),
                    )
                });
                (actual, failure)
            }
        };
        eval.check(step, "mos_lqo", expected, actual, failure);
    }
    if let (Some(want), Some(found)) = (&expect.dtmf, &analysis.dtmf) {
        let failure = (!found.digits.eq_ignore_ascii_case(want)).then(|| {
            (
                FailureKind::DtmfMismatch,
                format!(
                    "{direction}: DTMF `{}` arrived, `{want}` expected",
                    found.digits
                ),
            )
        });
        eval.check(step, "dtmf", want.clone(), found.digits.clone(), failure);
    }
    if let (Some(want), Some(segments)) = (&expect.tone, &analysis.tones) {
        let min_ms = want.min_duration.as_secs_f64() * 1000.0;
        let best = segments
            .iter()
            .filter(|s| ((s.freq_hz - want.freq_hz) / want.freq_hz).abs() <= TONE_FREQ_TOLERANCE)
            .map(|s| s.duration_ms)
            .fold(0.0, f64::max);
        let failure = (best < min_ms).then(|| {
            (
                FailureKind::ToneMissing,
                format!(
                    "{direction}: no {} Hz tone of {min_ms:.0} ms or more (longest {best:.0} ms)",
                    want.freq_hz
                ),
            )
        });
        eval.check(
            step,
            "tone",
            format!("{} Hz for >= {min_ms:.0} ms", want.freq_hz),
            format!("{best:.0} ms"),
            failure,
        );
    }
    if let (Some(text), Some(segments)) = (&expect.tone_pattern, &analysis.tones) {
        // Validated when the scenario was loaded; an unparsable one cannot match.
        let found = farend_dsp::tone::TonePattern::parse(text)
            .ok()
            .and_then(|p| {
                farend_dsp::tone::match_pattern(
                    segments,
                    &p,
                    &farend_dsp::tone::PatternTolerance::default(),
                )
            });
        let actual = match &found {
            Some(_) => "found".to_string(),
            None => format!("not found ({} tone segment(s))", segments.len()),
        };
        let failure = found.is_none().then(|| {
            (
                FailureKind::ToneMissing,
                format!("{direction}: tone pattern `{text}` not found"),
            )
        });
        eval.check(step, "tone_pattern", text.clone(), actual, failure);
    }
    if let (Some(want), Some(found)) = (&expect.progress_tone, &analysis.progress) {
        let actual = found.as_ref().map_or_else(
            || "none".to_string(),
            |m| format!("{:?} ({})", m.kind, m.country).to_lowercase(),
        );
        let kind = farend_dsp::progress::ProgressKind::parse(want.kind.as_str());
        let matches = found
            .as_ref()
            .zip(kind)
            .is_some_and(|(m, kind)| m.is(kind, Some(&want.country)));
        let failure = (!matches).then(|| {
            (
                FailureKind::ToneMissing,
                format!(
                    "{direction}: {} {} tone expected, found {actual}",
                    want.country,
                    want.kind.as_str()
                ),
            )
        });
        eval.check(
            step,
            "progress_tone",
            format!("{} ({})", want.kind.as_str(), want.country).to_lowercase(),
            actual,
            failure,
        );
    }
    if let Some(want) = &expect.fingerprint {
        let identified = path
            .identity
            .as_ref()
            .and_then(|i| i.identified.matched.clone());
        let actual = identified.clone().unwrap_or_else(|| "none".into());
        let failure = (identified.as_deref() != Some(want.matches.as_str())).then(|| {
            if present {
                (
                    FailureKind::WrongAudio,
                    format!(
                        "{direction}: the recording carries {actual}, not {}",
                        want.matches
                    ),
                )
            } else {
                no_audio()
            }
        });
        eval.check(step, "fingerprint", want.matches.clone(), actual, failure);
    }
    eval
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speechlike(rate: u32, seconds: f64) -> Vec<f32> {
        // Deterministic noise bursts: broadband, so the correlation peak is sharp.
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

    fn run(expect: &Expectations, reference: &[f32], recording: &[f32]) -> Evaluation {
        let analysis = analyze(reference, recording, 16000, true, expect, None);
        evaluate(3, "a->b", expect, &analysis)
    }

    #[test]
    fn delay_within_bounds_passes_and_is_measured() {
        let reference = speechlike(16000, 3.0);
        let recording = delayed(&reference, 960); // 60 ms
        let expect = Expectations {
            audio_present: Some(true),
            delay_ms: Some(Bounds {
                min: None,
                max: Some(400.0),
            }),
            ..Default::default()
        };
        let eval = run(&expect, &reference, &recording);
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
    fn known_fixed_latency_is_taken_out_of_the_delay() {
        let reference = speechlike(16000, 3.0);
        let recording = delayed(&reference, 1600); // 100 ms, 30 ms of it the lab's own
        let expect = Expectations {
            delay_ms: Some(Bounds {
                min: None,
                max: Some(80.0),
            }),
            ..Expectations::default()
        };
        let mut analysis = analyze(&reference, &recording, 16000, false, &expect, None);
        assert!(evaluate(5, "a->b", &expect, &analysis).failure.is_some());
        remove_fixed_delay(&mut analysis, 30.0);
        let eval = evaluate(5, "a->b", &expect, &analysis);
        assert!(eval.failure.is_none(), "{:?}", eval.failure);
        let delay = eval
            .measurements
            .iter()
            .find(|m| m.name == "delay_ms")
            .expect("delay measured");
        assert!((delay.value - 70.0).abs() < 1.0, "{}", delay.value);
    }

    #[test]
    fn delay_above_max_fails_with_delay_too_high() {
        let reference = speechlike(16000, 3.0);
        let recording = delayed(&reference, 8000); // 500 ms
        let expect = Expectations {
            delay_ms: Some(Bounds {
                min: None,
                max: Some(400.0),
            }),
            ..Default::default()
        };
        assert_eq!(
            run(&expect, &reference, &recording).failure.map(|f| f.0),
            Some(FailureKind::DelayTooHigh)
        );
    }

    #[test]
    fn silence_fails_audio_present_and_one_way_audio() {
        let reference = speechlike(16000, 2.0);
        let recording = vec![0.0; reference.len()];
        let expect = Expectations {
            audio_present: Some(true),
            ..Default::default()
        };
        let (kind, message) = run(&expect, &reference, &recording)
            .failure
            .expect("silence must fail");
        assert_eq!(kind, FailureKind::NoAudio);
        assert!(message.contains("a->b"), "{message}");
        let expect = Expectations {
            one_way_audio: Some(false),
            ..Default::default()
        };
        assert_eq!(
            run(&expect, &reference, &recording).failure.map(|f| f.0),
            Some(FailureKind::OneWayAudio)
        );
    }

    #[test]
    fn level_outside_bounds_fails() {
        let reference = speechlike(16000, 3.0);
        let quiet: Vec<f32> = delayed(&reference, 160).iter().map(|x| x * 0.01).collect();
        let expect = Expectations {
            level_dbov: Some(Bounds {
                min: Some(-30.0),
                max: Some(-10.0),
            }),
            ..Default::default()
        };
        assert_eq!(
            run(&expect, &reference, &quiet).failure.map(|f| f.0),
            Some(FailureKind::LevelOutOfRange)
        );
    }

    #[test]
    fn wrong_dtmf_digits_fail_and_right_ones_pass() {
        let rate = 16000;
        let tones = farend_dsp::dtmf::generate_dtmf("123", 100, 100, -10.0, rate).unwrap();
        let expect = |d: &str| Expectations {
            dtmf: Some(d.to_string()),
            ..Default::default()
        };
        assert!(run(&expect("123"), &tones, &tones).failure.is_none());
        assert_eq!(
            run(&expect("124"), &tones, &tones).failure.map(|f| f.0),
            Some(FailureKind::DtmfMismatch)
        );
    }

    #[test]
    fn a_tone_pattern_is_found_or_fails() {
        let rate = 16000;
        let pattern = farend_dsp::tone::TonePattern::parse("1000/500, 0/300, x3").unwrap();
        let tones = pattern.generate(-16.0, rate);
        let expect = |p: &str| Expectations {
            tone_pattern: Some(p.to_string()),
            ..Default::default()
        };
        let eval = run(&expect("1000/500, 0/300, x3"), &tones, &tones);
        assert!(
            eval.failure.is_none() && eval.checks.len() == 1,
            "{:?}",
            eval.checks
        );
        let eval = run(&expect("1000/500, 0/300, x4"), &tones, &tones);
        assert_eq!(
            eval.failure.map(|f| f.0),
            Some(FailureKind::ToneMissing),
            "{:?}",
            eval.checks
        );
    }

    #[test]
    fn a_missing_tone_fails_with_tone_missing() {
        let rate = 16000;
        let tone = farend_dsp::tone::generate_tone(1000.0, -16.0, 2.0, rate);
        let expect = |f: f64| Expectations {
            tone: Some(farend_scenario::ToneExpectation {
                freq_hz: f,
                min_duration: std::time::Duration::from_millis(1500),
            }),
            ..Default::default()
        };
        assert!(run(&expect(1000.0), &tone, &tone).failure.is_none());
        assert_eq!(
            run(&expect(1400.0), &tone, &tone).failure.map(|f| f.0),
            Some(FailureKind::ToneMissing)
        );
    }
}
