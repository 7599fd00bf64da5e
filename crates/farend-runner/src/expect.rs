//! Measuring a played step's recording and judging it against the step's expectations.
//!
//! Pure: samples in, measurements, checks and every failure out. Every play step is
//! measured in full (level, delay, gaps, clipping, noise floor, MOS-LQO); DTMF, tones,
//! call-progress tones and the fingerprint are looked for only when the step expects them.

use farend_dsp::fingerprint::Index;
use farend_dsp::verdict::{AnalyzeOptions, PathAnalysis, analyze_path, analyze_path_with_library};
use farend_quality::{Band, QualityError, Score, ScoreOptions};
use farend_report::{Check, FailureDetail, FailureKind, Measurement};
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

/// What DTMF detection shows as found when it found no digit at all.
pub const NO_DTMF: &str = "(none detected)";

/// Measurements, checks and failures of one played step.
#[derive(Debug, Default)]
pub struct Evaluation {
    /// Everything measured, for the report.
    pub measurements: Vec<Measurement>,
    /// Values over the time of the reference (score track, delay per utterance, frames).
    pub tracks: Vec<farend_report::Track>,
    /// Every expectation with what it found.
    pub checks: Vec<Check>,
    /// Every expectation that failed, in check order.
    pub failures: Vec<FailureDetail>,
}

impl Evaluation {
    /// The first expectation that failed, if one did: the step's verdict.
    pub fn failure(&self) -> Option<(FailureKind, &str)> {
        self.failures.first().map(|f| (f.kind, f.message.as_str()))
    }

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
        if let Some((kind, message)) = failure {
            self.failures.push(FailureDetail {
                step,
                kind,
                message,
            });
        }
    }
}

/// Bounds as people write them: `-10 to -5`, `>= 3.5`, `<= 400`, with `unit` after the
/// numbers when given.
pub fn bounds_text(bounds: &Bounds, unit: &str) -> String {
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    match (bounds.min, bounds.max) {
        (Some(lo), Some(hi)) => format!("{lo} to {hi}{unit}"),
        (Some(lo), None) => format!(">= {lo}{unit}"),
        (None, Some(hi)) => format!("<= {hi}{unit}"),
        (None, None) => "any".into(),
    }
}

/// The band of a score as reports name it.
fn band_name(band: Band) -> &'static str {
    match band {
        Band::Narrow => "nb",
        Band::Wide => "wb",
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
    measure(&mut eval, step, direction, analysis);
    let judge = Judge::new(step, direction, analysis);
    judge.presence(expect, &mut eval);
    if let Some(bounds) = &expect.delay_ms {
        judge.delay(bounds, &mut eval);
    }
    if let Some(bounds) = &expect.level_dbov {
        judge.level(bounds, &mut eval);
    }
    if let Some(bounds) = &expect.clock_drift_ppm {
        judge.drift(bounds, &mut eval);
    }
    if let Some(gaps) = &expect.gaps {
        judge.gaps(gaps.max_ms, &mut eval);
    }
    if let Some(mos) = &expect.mos_lqo {
        judge.mos(mos, &mut eval);
    }
    if let (Some(want), Some(found)) = (&expect.dtmf, &analysis.dtmf) {
        judge.dtmf(want, found, &mut eval);
    }
    if let (Some(want), Some(segments)) = (&expect.tone, &analysis.tones) {
        judge.tone(want, segments, &mut eval);
    }
    if let (Some(text), Some(segments)) = (&expect.tone_pattern, &analysis.tones) {
        judge.tone_pattern(text, segments, &mut eval);
    }
    if let (Some(want), Some(found)) = (&expect.progress_tone, &analysis.progress) {
        judge.progress(want, found.as_ref(), &mut eval);
    }
    if let Some(want) = &expect.fingerprint {
        judge.fingerprint(&want.matches, &mut eval);
    }
    eval
}

/// Everything measured on the path, for the report; scores name their band and standard.
fn measure(eval: &mut Evaluation, step: usize, direction: &str, analysis: &PlayAnalysis) {
    let path = &analysis.path;
    let mut measure = |name: &str, value: f64, unit: &str| {
        eval.measurements.push(Measurement {
            step,
            name: name.to_string(),
            value,
            unit: unit.to_string(),
            direction: Some(direction.to_string()),
            band: None,
            standard: None,
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
        if let Some(ppm) = delay.drift_ppm {
            measure("clock_drift_ppm", ppm, "ppm");
        }
    }
    measure("max_gap_ms", path.max_gap_ms, "ms");
    measure("clipped_ratio", path.clipping.ratio, "ratio");
    if let Some(Ok(score)) = &analysis.quality {
        for (name, value, unit) in [
            ("mos_lqo", score.mos_lqo, "MOS"),
            ("pesq_raw", score.raw, "P.862"),
        ] {
            eval.measurements.push(Measurement {
                step,
                name: name.into(),
                value,
                unit: unit.into(),
                direction: Some(direction.to_string()),
                band: Some(band_name(score.band).into()),
                standard: Some(score.standard.clone()),
            });
        }
        eval.tracks = score_tracks(step, direction, score);
    }
}

/// The score's tracks for the report, values rounded to what a plot or a reader needs.
fn score_tracks(
    step: usize,
    direction: &str,
    score: &farend_quality::Score,
) -> Vec<farend_report::Track> {
    let round = |v: f64, scale: f64| (v * scale).round() / scale;
    let track = |name: &str, unit: &str, points: Vec<[f64; 3]>| farend_report::Track {
        step,
        direction: Some(direction.to_string()),
        name: name.to_string(),
        unit: unit.to_string(),
        points,
    };
    let span = |start: f64, end: f64| [round(start, 1e3), round(end, 1e3)];
    let frame_s = 0.032;
    vec![
        track(
            "mos_lqo",
            "MOS",
            score
                .track
                .iter()
                .map(|p| {
                    let [a, b] = span(p.start_s, p.end_s);
                    [a, b, round(p.mos_lqo, 1e3)]
                })
                .collect(),
        ),
        track(
            "delay_ms",
            "ms",
            score
                .utterances
                .iter()
                .map(|u| {
                    let [a, b] = span(u.start_s, u.end_s);
                    [a, b, round(u.delay_ms, 1e2)]
                })
                .collect(),
        ),
        track(
            "disturbance",
            "",
            score
                .frames
                .iter()
                .map(|f| {
                    let [a, b] = span(f.t_s, f.t_s + frame_s);
                    [a, b, round(f.symmetric, 1e3)]
                })
                .collect(),
        ),
        track(
            "asymmetric_disturbance",
            "",
            score
                .frames
                .iter()
                .map(|f| {
                    let [a, b] = span(f.t_s, f.t_s + frame_s);
                    [a, b, round(f.asymmetric, 1e3)]
                })
                .collect(),
        ),
    ]
}

/// What every check of one played direction needs: the step, the direction and what was
/// measured on it.
struct Judge<'a> {
    step: usize,
    direction: &'a str,
    analysis: &'a PlayAnalysis,
    /// Whether audio arrived at all.
    present: bool,
    /// The active level as text, or `no activity`.
    level_text: String,
}

impl<'a> Judge<'a> {
    fn new(step: usize, direction: &'a str, analysis: &'a PlayAnalysis) -> Judge<'a> {
        let level_text = analysis
            .path
            .level_dbov
            .map_or_else(|| "no activity".to_string(), |l| format!("{l:.1} dBov"));
        Judge {
            step,
            direction,
            analysis,
            present: analysis.path.audio_present,
            level_text,
        }
    }

    /// The failure of a check that found no audio at all.
    fn no_audio(&self) -> (FailureKind, String) {
        (
            FailureKind::NoAudio,
            format!(
                "{}: no audio arrived ({}, floor {AUDIO_FLOOR_DBOV} dBov)",
                self.direction, self.level_text
            ),
        )
    }

    /// `audio_present` and `one_way_audio: false`.
    fn presence(&self, expect: &Expectations, eval: &mut Evaluation) {
        let (direction, present, level_text) = (self.direction, self.present, &self.level_text);
        if let Some(want) = expect.audio_present {
            let failure = (want != present).then(|| {
                if want {
                    self.no_audio()
                } else {
                    (
                        FailureKind::UnexpectedState,
                        format!(
                            "{direction}: audio arrived ({level_text}) where silence was expected"
                        ),
                    )
                }
            });
            let (want, found) = (want.to_string(), present.to_string());
            eval.check(self.step, "audio_present", want, found, failure);
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
            let found = (!present).to_string();
            eval.check(self.step, "one_way_audio", "false".into(), found, failure);
        }
    }

    fn delay(&self, bounds: &Bounds, eval: &mut Evaluation) {
        let direction = self.direction;
        let expected = bounds_text(bounds, "ms");
        let (actual, failure) = match self.analysis.path.delay_ms {
            _ if !self.present => ("no audio".to_string(), Some(self.no_audio())),
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
                        format!("{direction}: delay {ms:.1} ms, expected {expected}"),
                    )
                });
                (format!("{ms:.1}"), failure)
            }
        };
        eval.check(self.step, "delay_ms", expected, actual, failure);
    }

    fn level(&self, bounds: &Bounds, eval: &mut Evaluation) {
        let direction = self.direction;
        let expected = bounds_text(bounds, "dBov");
        let (actual, failure) = match self.analysis.path.level_dbov {
            None => ("no activity".to_string(), Some(self.no_audio())),
            Some(l) => {
                let failure = outside(bounds, l).then(|| {
                    (
                        FailureKind::LevelOutOfRange,
                        format!("{direction}: active level {l:.1} dBov, expected {expected}"),
                    )
                });
                (format!("{l:.1}"), failure)
            }
        };
        eval.check(self.step, "level_dbov", expected, actual, failure);
    }

    fn drift(&self, bounds: &Bounds, eval: &mut Evaluation) {
        let direction = self.direction;
        let expected = bounds_text(bounds, "ppm");
        let drift = self.analysis.path.delay.as_ref().and_then(|d| d.drift_ppm);
        let (actual, failure) = match drift {
            _ if !self.present => ("no audio".to_string(), Some(self.no_audio())),
            None => (
                "not measured".to_string(),
                Some((
                    FailureKind::ClockDrift,
                    format!(
                        "{direction}: the drift could not be measured (a play shorter than 4 s, \
                         or too little of it correlates with the reference), expected {expected}"
                    ),
                )),
            ),
            Some(ppm) => {
                let failure = outside(bounds, ppm).then(|| {
                    (
                        FailureKind::ClockDrift,
                        format!("{direction}: the delay drifts {ppm:+.1} ppm, expected {expected}"),
                    )
                });
                (format!("{ppm:+.1}"), failure)
            }
        };
        eval.check(self.step, "clock_drift_ppm", expected, actual, failure);
    }

    fn gaps(&self, max_ms: f64, eval: &mut Evaluation) {
        let path = &self.analysis.path;
        let failure = if !self.present {
            Some(self.no_audio())
        } else {
            (path.max_gap_ms > max_ms).then(|| {
                (
                    FailureKind::AudioGaps,
                    format!(
                        "{}: {} mute gap(s), longest {:.0} ms (max {max_ms} ms)",
                        self.direction,
                        path.gaps.len(),
                        path.max_gap_ms,
                    ),
                )
            })
        };
        eval.check(
            self.step,
            "gaps",
            format!("<= {max_ms} ms"),
            format!("{:.0} ms", path.max_gap_ms),
            failure,
        );
    }

    fn mos(&self, mos: &farend_scenario::MosExpectation, eval: &mut Evaluation) {
        let direction = self.direction;
        let band = match mos.band {
            farend_scenario::Band::Wb => "wb",
            farend_scenario::Band::Nb => "nb",
        };
        let expected = format!(">= {} ({band})", mos.min);
        let (actual, failure) = match &self.analysis.quality {
            _ if !self.present => ("no audio".to_string(), Some(self.no_audio())),
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
                let failure = untrusted_score(score, direction).or_else(|| {
                    (score.mos_lqo < mos.min).then(|| {
                        (
                            FailureKind::MosBelowThreshold,
                            format!("{direction}: MOS-LQO {actual} below {}", mos.min),
                        )
                    })
                });
                (actual, failure)
            }
        };
        eval.check(self.step, "mos_lqo", expected, actual, failure);
    }

    fn dtmf(&self, want: &str, found: &farend_dsp::dtmf::DtmfResult, eval: &mut Evaluation) {
        let actual = if found.digits.is_empty() {
            NO_DTMF.to_string()
        } else {
            found.digits.clone()
        };
        let failure = (!found.digits.eq_ignore_ascii_case(want)).then(|| {
            let arrived = if found.digits.is_empty() {
                format!("no DTMF digit detected, `{want}` expected")
            } else {
                format!("DTMF `{actual}` arrived, `{want}` expected")
            };
            (
                FailureKind::DtmfMismatch,
                format!("{}: {arrived}", self.direction),
            )
        });
        eval.check(self.step, "dtmf", want.to_string(), actual, failure);
    }

    fn tone(
        &self,
        want: &farend_scenario::ToneExpectation,
        segments: &[farend_dsp::tone::ToneSegment],
        eval: &mut Evaluation,
    ) {
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
                    "{}: no {} Hz tone of {min_ms:.0} ms or more (longest {best:.0} ms)",
                    self.direction, want.freq_hz
                ),
            )
        });
        eval.check(
            self.step,
            "tone",
            format!("{} Hz for >= {min_ms:.0} ms", want.freq_hz),
            format!("{best:.0} ms"),
            failure,
        );
    }

    fn tone_pattern(
        &self,
        text: &str,
        segments: &[farend_dsp::tone::ToneSegment],
        eval: &mut Evaluation,
    ) {
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
                format!("{}: tone pattern `{text}` not found", self.direction),
            )
        });
        eval.check(self.step, "tone_pattern", text.to_string(), actual, failure);
    }

    fn progress(
        &self,
        want: &farend_scenario::ProgressToneExpectation,
        found: Option<&farend_dsp::progress::ProgressMatch>,
        eval: &mut Evaluation,
    ) {
        let actual = found.map_or_else(
            || "none".to_string(),
            |m| format!("{:?} ({})", m.kind, m.country).to_lowercase(),
        );
        let kind = farend_dsp::progress::ProgressKind::parse(want.kind.as_str());
        let matches = found
            .zip(kind)
            .is_some_and(|(m, kind)| m.is(kind, Some(&want.country)));
        let failure = (!matches).then(|| {
            (
                FailureKind::ToneMissing,
                format!(
                    "{}: {} {} tone expected, found {actual}",
                    self.direction,
                    want.country,
                    want.kind.as_str()
                ),
            )
        });
        eval.check(
            self.step,
            "progress_tone",
            format!("{} ({})", want.kind.as_str(), want.country).to_lowercase(),
            actual,
            failure,
        );
    }

    fn fingerprint(&self, want: &str, eval: &mut Evaluation) {
        let identified = self
            .analysis
            .path
            .identity
            .as_ref()
            .and_then(|i| i.identified.matched.clone());
        let actual = identified.clone().unwrap_or_else(|| "none".into());
        let failure = (identified.as_deref() != Some(want)).then(|| {
            if self.present {
                (
                    FailureKind::WrongAudio,
                    format!(
                        "{}: the recording carries {actual}, not {want}",
                        self.direction
                    ),
                )
            } else {
                self.no_audio()
            }
        });
        eval.check(self.step, "fingerprint", want.to_string(), actual, failure);
    }
}

/// A score the method itself disqualifies fails its check, whatever its value: a recording
/// that does not follow the reference is wrong audio; far too little speech makes any score
/// moot.
fn untrusted_score(score: &Score, direction: &str) -> Option<(FailureKind, String)> {
    let warning = score.disqualified()?;
    let kind = match warning {
        farend_quality::ScoreWarning::NotCorrelated { .. } => FailureKind::WrongAudio,
        farend_quality::ScoreWarning::ShortSpeech { .. } => FailureKind::MosBelowThreshold,
    };
    Some((
        kind,
        format!(
            "{direction}: MOS-LQO not trustworthy: {}",
            warning.message()
        ),
    ))
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
        assert!(eval.failure().is_none(), "{:?}", eval.failure());
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
        assert!(evaluate(5, "a->b", &expect, &analysis).failure().is_some());
        remove_fixed_delay(&mut analysis, 30.0);
        let eval = evaluate(5, "a->b", &expect, &analysis);
        assert!(eval.failure().is_none(), "{:?}", eval.failure());
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
            run(&expect, &reference, &recording).failure().map(|f| f.0),
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
        let eval = run(&expect, &reference, &recording);
        let (kind, message) = eval.failure().expect("silence must fail");
        assert_eq!(kind, FailureKind::NoAudio);
        assert!(message.contains("a->b"), "{message}");
        let expect = Expectations {
            one_way_audio: Some(false),
            ..Default::default()
        };
        assert_eq!(
            run(&expect, &reference, &recording).failure().map(|f| f.0),
            Some(FailureKind::OneWayAudio)
        );
    }

    #[test]
    fn drift_outside_bounds_fails_and_an_unmeasured_drift_says_why() {
        let reference = speechlike(16000, 8.0);
        // The recording's clock runs 300 ppm slow: each sample lands a little later.
        let late = delayed(&reference, 800);
        let drifted: Vec<f32> = (0..late.len())
            .map(|i| {
                let at = i as f64 / (1.0 + 300e-6);
                let (k, frac) = (at.floor() as usize, (at - at.floor()) as f32);
                let next = late.get(k + 1).copied().unwrap_or(0.0);
                late[k] * (1.0 - frac) + next * frac
            })
            .collect();
        let expect = |max: f64| Expectations {
            clock_drift_ppm: Some(Bounds {
                min: Some(-max),
                max: Some(max),
            }),
            ..Default::default()
        };
        let eval = run(&expect(50.0), &reference, &drifted);
        let (kind, message) = eval.failure().expect("300 ppm is outside ±50");
        assert_eq!(kind, FailureKind::ClockDrift);
        assert!(message.contains("ppm"), "{message}");
        let eval = run(&expect(500.0), &reference, &drifted);
        assert!(eval.failure().is_none(), "{:?}", eval.failure());
        // Three seconds are too short to measure a drift: the check fails and says so.
        let short = &reference[..16000 * 3];
        let eval = run(&expect(500.0), short, &delayed(short, 800));
        let (kind, message) = eval.failure().expect("unmeasured");
        assert_eq!(kind, FailureKind::ClockDrift);
        assert!(message.contains("could not be measured"), "{message}");
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
            run(&expect, &reference, &quiet).failure().map(|f| f.0),
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
        assert!(run(&expect("123"), &tones, &tones).failure().is_none());
        assert_eq!(
            run(&expect("124"), &tones, &tones).failure().map(|f| f.0),
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
            eval.failure().is_none() && eval.checks.len() == 1,
            "{:?}",
            eval.checks
        );
        let eval = run(&expect("1000/500, 0/300, x4"), &tones, &tones);
        assert_eq!(
            eval.failure().map(|f| f.0),
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
        assert!(run(&expect(1000.0), &tone, &tone).failure().is_none());
        assert_eq!(
            run(&expect(1400.0), &tone, &tone).failure().map(|f| f.0),
            Some(FailureKind::ToneMissing)
        );
    }

    #[test]
    fn bounds_read_as_people_write_them() {
        let b = |min, max| Bounds { min, max };
        assert_eq!(bounds_text(&b(Some(-10.0), Some(-5.0)), ""), "-10 to -5");
        assert_eq!(
            bounds_text(&b(Some(-30.0), Some(-10.0)), "dBov"),
            "-30 to -10 dBov"
        );
        assert_eq!(bounds_text(&b(Some(3.5), None), ""), ">= 3.5");
        assert_eq!(bounds_text(&b(None, Some(400.0)), "ms"), "<= 400 ms");
    }

    #[test]
    fn every_failing_check_of_a_step_is_listed_in_check_order() {
        let reference = speechlike(16000, 3.0);
        // 500 ms late and too quiet (but audible): the delay and the level checks both fail.
        let recording: Vec<f32> = delayed(&reference, 8000).iter().map(|x| x * 0.1).collect();
        let expect = Expectations {
            delay_ms: Some(Bounds {
                min: None,
                max: Some(400.0),
            }),
            level_dbov: Some(Bounds {
                min: Some(-30.0),
                max: Some(-10.0),
            }),
            ..Default::default()
        };
        let eval = run(&expect, &reference, &recording);
        let kinds: Vec<FailureKind> = eval.failures.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [FailureKind::DelayTooHigh, FailureKind::LevelOutOfRange],
            "{:?}",
            eval.failures
        );
        assert_eq!(eval.failure().map(|f| f.0), Some(FailureKind::DelayTooHigh));
        assert!(eval.failures.iter().all(|f| f.step == 3));
        let level = &eval.failures[1].message;
        assert!(level.contains("expected -30 to -10 dBov"), "{level}");
        assert!(!level.contains("..="), "{level}");
        let checks: Vec<(&str, &str)> = eval
            .checks
            .iter()
            .map(|c| (c.name.as_str(), c.expected.as_str()))
            .collect();
        assert_eq!(
            checks,
            [("delay_ms", "<= 400 ms"), ("level_dbov", "-30 to -10 dBov")]
        );
    }

    #[test]
    fn a_missed_dtmf_says_none_was_detected() {
        let reference = speechlike(16000, 2.0);
        let silence = vec![0.0; reference.len()];
        let expect = Expectations {
            dtmf: Some("123".into()),
            ..Default::default()
        };
        let eval = run(&expect, &reference, &silence);
        let check = eval.checks.iter().find(|c| c.name == "dtmf").unwrap();
        assert_eq!(check.actual, NO_DTMF);
        assert!(!check.passed);
        let (kind, message) = eval.failure().expect("a missed DTMF fails");
        assert_eq!(kind, FailureKind::DtmfMismatch);
        assert!(message.contains("no DTMF digit detected"), "{message}");
        assert!(!message.contains("``"), "{message}");
    }

    #[test]
    fn a_score_names_its_band_and_standard() {
        let reference = speechlike(16000, 4.0);
        let recording = delayed(&reference, 160);
        for (band, name, standard) in [
            (farend_scenario::Band::Nb, "nb", "P.862.1"),
            (farend_scenario::Band::Wb, "wb", "P.862.2"),
        ] {
            let expect = Expectations {
                mos_lqo: Some(farend_scenario::MosExpectation { min: 1.0, band }),
                ..Default::default()
            };
            let analysis = analyze(&reference, &recording, 16000, true, &expect, None);
            let Some(Ok(score)) = &analysis.quality else {
                panic!("scored: {:?}", analysis.quality.map(|q| q.err()));
            };
            let eval = evaluate(3, "a->b", &expect, &analysis);
            for what in ["mos_lqo", "pesq_raw"] {
                let m = eval
                    .measurements
                    .iter()
                    .find(|m| m.name == what)
                    .expect("measured");
                assert_eq!(m.band.as_deref(), Some(name), "{what}");
                assert_eq!(m.standard.as_deref(), Some(score.standard.as_str()));
                assert!(
                    m.standard.as_deref().is_some_and(|s| s.contains(standard)),
                    "{m:?}"
                );
            }
            let delay = eval
                .measurements
                .iter()
                .find(|m| m.name == "delay_ms")
                .unwrap();
            assert_eq!(
                (delay.band.as_deref(), delay.standard.as_deref()),
                (None, None)
            );
        }
    }
}
