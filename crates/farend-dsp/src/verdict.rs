//! Audio-path verdicts: did the reference arrive, when, and how whole.
//!
//! [`analyze_path`] compares what was played into one end of a call (the reference) with
//! what was recorded at the other end, for one direction:
//!
//! - **delay**: a coarse offset from the acoustic fingerprint (robust to codecs, noise and
//!   loss; falls back to plain cross-correlation for short or non-speech references),
//!   refined on the waveform by GCC-PHAT to a fraction of a millisecond; the mouth-to-ear
//!   delay subtracts the fixed path delays configured for the lab (sound cards, cables);
//! - **audio present**: the recording has speech-like activity (ITU-T P.56 active level
//!   above a threshold);
//! - **mute gaps**: stretches where the reference was speaking but the recording fell
//!   silent (dropouts), with the longest one;
//! - **clipping**, **active speech level** (P.56, dBov) and **noise floor** (dBov).
//!
//! With a reference library ([`analyze_path_with_library`]) it also tells **wrong audio**:
//! another reference than the expected one wins. [`analyze_call`] combines both directions
//! into the **one-way audio** verdict.
//!
//! Sign convention: a recording that arrives later than the reference has a positive delay.

mod phat;

use crate::fingerprint::{self, Extractor, Identification, IdentifyOptions, Index};
use crate::{delay, level, stats};
use serde::Serialize;

/// Thresholds and lab facts for [`analyze_path`].
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyzeOptions {
    /// Largest delay searched, in seconds.
    pub max_delay_s: f64,
    /// Known fixed delays on the path (sound card buffers, converters, cables), in
    /// milliseconds, subtracted from the measured delay to give the mouth-to-ear delay.
    pub fixed_path_delay_ms: f64,
    /// Active speech level (dBov) below which the recording counts as carrying no audio.
    pub presence_dbov: f64,
    /// Shortest mute gap reported, in milliseconds.
    pub min_gap_ms: f64,
    /// A recording frame is mute when its level is this many dB below the recording's
    /// active speech level (or below −70 dBov).
    pub mute_below_active_db: f64,
    /// Samples at or above this magnitude (0..1) count as clipped.
    pub clip_level: f32,
    /// Fraction of clipped samples from which the path is judged clipping.
    pub clip_ratio: f64,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        Self {
            max_delay_s: 2.0,
            fixed_path_delay_ms: 0.0,
            presence_dbov: -55.0,
            min_gap_ms: 100.0,
            mute_below_active_db: 35.0,
            clip_level: 0.999,
            clip_ratio: 1e-4,
        }
    }
}

/// How the delay was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DelayMethod {
    /// Coarse from the fingerprint, fine by GCC-PHAT.
    FingerprintPhat,
    /// Coarse by cross-correlation, fine by GCC-PHAT.
    CorrelationPhat,
    /// Cross-correlation only (the fine step found no clear peak).
    Correlation,
    /// Fingerprint only (the fine step found no clear peak).
    Fingerprint,
}

/// The measured delay of one direction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PathDelay {
    /// Delay of the recording after the reference, in milliseconds.
    pub delay_ms: f64,
    /// `delay_ms` minus the configured fixed path delays.
    pub mouth_to_ear_ms: f64,
    /// The coarse estimate it was refined from, in milliseconds.
    pub coarse_ms: f64,
    /// How sure the measurement is, 0..1.
    pub confidence: f64,
    /// How it was measured.
    pub method: DelayMethod,
    /// Sample-clock drift between the playing and the recording card over the play, in
    /// ppm (positive: the delay grew); `None` for a play under 4 s or without a clear
    /// delay at its start and end.
    pub drift_ppm: Option<f64>,
}

/// A stretch where the recording fell silent while the reference was speaking.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Gap {
    /// Start, in milliseconds from the start of the recording.
    pub start_ms: f64,
    /// Length, in milliseconds.
    pub duration_ms: f64,
}

/// Clipping in the recording.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Clipping {
    /// Whether the path is judged clipping.
    pub clipped: bool,
    /// Samples at or above the clip level.
    pub clipped_samples: usize,
    /// Fraction of samples at or above the clip level.
    pub ratio: f64,
}

/// Whether the recording carries the expected reference, given a library.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdentityVerdict {
    /// The reference that was played.
    pub expected: String,
    /// What the library says the recording carries.
    pub identified: Identification,
    /// Another reference than the expected one wins.
    pub wrong_audio: bool,
}

/// Everything measured on one direction of a call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathAnalysis {
    /// The recording carries audio (its active speech level is above the threshold).
    pub audio_present: bool,
    /// The delay, when the reference could be found in the recording.
    pub delay: Option<PathDelay>,
    /// Shortcut for `delay.delay_ms`.
    pub delay_ms: Option<f64>,
    /// Active speech level of the recording (ITU-T P.56), dBov.
    pub level_dbov: Option<f64>,
    /// Activity factor of the recording, 0..1.
    pub activity: Option<f64>,
    /// Active speech level of the reference, dBov.
    pub reference_level_dbov: Option<f64>,
    /// Noise floor of the recording: the level of its quietest 10 % of 20 ms frames, dBov.
    pub noise_floor_dbov: Option<f64>,
    /// Mute gaps of at least `min_gap_ms` (only when the delay is known).
    pub gaps: Vec<Gap>,
    /// Longest mute gap, in milliseconds (0 without one).
    pub max_gap_ms: f64,
    /// Clipping in the recording.
    pub clipping: Clipping,
    /// Identity check against a library, when one was given.
    pub identity: Option<IdentityVerdict>,
}

/// Both directions of a call, and the verdicts that need both.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallAnalysis {
    /// A to B.
    pub a_to_b: PathAnalysis,
    /// B to A.
    pub b_to_a: PathAnalysis,
    /// Audio went one way only.
    pub one_way_audio: bool,
    /// No audio went either way.
    pub no_audio: bool,
}

/// Combines the two directions of a call.
pub fn analyze_call(a_to_b: PathAnalysis, b_to_a: PathAnalysis) -> CallAnalysis {
    let one_way_audio = a_to_b.audio_present != b_to_a.audio_present;
    let no_audio = !a_to_b.audio_present && !b_to_a.audio_present;
    CallAnalysis {
        a_to_b,
        b_to_a,
        one_way_audio,
        no_audio,
    }
}

const FRAME_S: f64 = 0.02;
/// Level of an all-zero frame, dBov.
const FLOOR_DBOV: f64 = -120.0;

fn frame_levels(x: &[f32], rate: u32, frame_s: f64) -> Vec<f64> {
    let n = ((frame_s * f64::from(rate)) as usize).max(1);
    x.chunks(n)
        .map(|c| {
            let p = c.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / c.len() as f64;
            if p > 1e-12 {
                (10.0 * p.log10()).max(FLOOR_DBOV)
            } else {
                FLOOR_DBOV
            }
        })
        .collect()
}

fn noise_floor(x: &[f32], rate: u32) -> Option<f64> {
    let mut levels = frame_levels(x, rate, FRAME_S);
    if levels.is_empty() {
        return None;
    }
    levels.sort_by(f64::total_cmp);
    let tenth = (levels.len() / 10).max(1);
    // Mean power of the quietest tenth.
    let p = levels[..tenth]
        .iter()
        .map(|l| 10f64.powf(l / 10.0))
        .sum::<f64>()
        / tenth as f64;
    Some((10.0 * p.log10()).max(FLOOR_DBOV))
}

fn clipping(x: &[f32], opts: &AnalyzeOptions) -> Clipping {
    let clipped_samples = x.iter().filter(|v| v.abs() >= opts.clip_level).count();
    let ratio = if x.is_empty() {
        0.0
    } else {
        clipped_samples as f64 / x.len() as f64
    };
    Clipping {
        clipped: clipped_samples >= 3 && ratio >= opts.clip_ratio,
        clipped_samples,
        ratio,
    }
}

/// Measures the delay of `recording` after `reference`.
fn measure_delay(
    reference: &[f32],
    recording: &[f32],
    rate: u32,
    opts: &AnalyzeOptions,
) -> Option<PathDelay> {
    let r = f64::from(rate);
    // Coarse: the fingerprint first (robust to codecs and loss), then cross-correlation.
    let coarse = Extractor::new(rate)
        .ok()
        .map(|mut ex| ex.reference(reference))
        .and_then(|fp| {
            let opts = IdentifyOptions {
                min_overlap_s: 1.0,
                ..IdentifyOptions::default()
            };
            fingerprint::align(&fp, recording, rate, &opts)
        })
        .filter(|a| (-a.offset_s).abs() <= opts.max_delay_s + 0.05)
        .map(|a| (-a.offset_s * r, a.confidence, true))
        .or_else(|| {
            delay::estimate_delay(reference, recording, rate, opts.max_delay_s)
                .map(|d| (d.ms * r / 1000.0, d.correlation, false))
        });
    let (coarse_lag, coarse_conf, by_fp) = coarse?;
    // Fine: GCC-PHAT within ±20 ms of the coarse estimate.
    let dev = (0.02 * r).round() as usize;
    let fine = phat::gcc_phat(reference, recording, rate, coarse_lag.round() as i64, dev)
        .filter(|f| f.peak >= MIN_PHAT_PEAK);
    let (lag, confidence, method) = match (fine, by_fp) {
        (Some(f), true) => (f.lag, coarse_conf.max(f.peak), DelayMethod::FingerprintPhat),
        (Some(f), false) => (f.lag, coarse_conf.max(f.peak), DelayMethod::CorrelationPhat),
        (None, true) => (coarse_lag, coarse_conf, DelayMethod::Fingerprint),
        (None, false) => (coarse_lag, coarse_conf, DelayMethod::Correlation),
    };
    let delay_ms = lag * 1000.0 / r;
    Some(PathDelay {
        delay_ms,
        mouth_to_ear_ms: delay_ms - opts.fixed_path_delay_ms,
        coarse_ms: coarse_lag * 1000.0 / r,
        confidence,
        method,
        drift_ppm: measure_drift(reference, recording, rate, lag),
    })
}

/// Lowest whitened correlation peak a fine delay is taken from.
const MIN_PHAT_PEAK: f64 = 0.05;
/// Shortest play whose drift is measured, in seconds.
const MIN_DRIFT_PLAY_S: f64 = 4.0;
/// Length of the stretches of a play whose delays trace the drift, and their spacing, in
/// seconds.
const DRIFT_STRETCH_S: f64 = 2.0;
const DRIFT_HOP_S: f64 = 1.0;
/// Stretch delays further than this from the fitted line are left out of the final fit
/// (a stretch of concealed loss or noise), in ms.
const DRIFT_OUTLIER_MS: f64 = 0.5;

/// Clock drift over a play: the slope of the delays of its 2 s stretches (one per second,
/// GCC-PHAT within ±20 ms of the play's delay `lag`) against time, in ppm. Two cards a
/// few ppm apart move the delay by microseconds per second, so one stretch cannot show
/// it; the fit over many also averages out the bias of each stretch's sub-sample peak. A
/// robust line (median slope of all pairs) first, so that stretches whose peak was wrong
/// can be left out of the least-squares fit.
fn measure_drift(reference: &[f32], recording: &[f32], rate: u32, lag: f64) -> Option<f64> {
    let r = f64::from(rate);
    if (reference.len() as f64) < MIN_DRIFT_PLAY_S * r {
        return None;
    }
    let span = (DRIFT_STRETCH_S * r) as usize;
    let hop = (DRIFT_HOP_S * r) as usize;
    // As wide as the play's own fine step: over a long play with much drift, the play's
    // delay is only a blurred average of the stretches'.
    let dev = (0.02 * r).round() as usize;
    // (centre of the stretch, its delay), in samples.
    let points: Vec<(f64, f64)> = (0..=(reference.len() - span) / hop)
        .filter_map(|i| {
            let start = i * hop;
            let guess = lag.round() as i64 + start as i64;
            phat::gcc_phat(&reference[start..start + span], recording, rate, guess, dev)
                .filter(|f| f.peak >= MIN_PHAT_PEAK)
                .map(|f| ((start + span / 2) as f64, f.lag - start as f64))
        })
        .collect();
    let (slope, intercept) = stats::robust_line(&points)?;
    let outlier = DRIFT_OUTLIER_MS * r / 1000.0;
    let kept: Vec<(f64, f64)> = points
        .into_iter()
        .filter(|&(t, d)| (d - (intercept + slope * t)).abs() <= outlier)
        .collect();
    let first = kept.first()?.0;
    let last = kept.last()?.0;
    if kept.len() < 4 || last - first < (MIN_DRIFT_PLAY_S - DRIFT_STRETCH_S) * r {
        return None;
    }
    stats::fit_line(&kept).map(|(slope, _)| slope * 1e6)
}

/// Mute gaps: recording frames far below its active level while the aligned reference
/// frame is speaking.
fn mute_gaps(
    reference: &[f32],
    recording: &[f32],
    rate: u32,
    delay_ms: f64,
    rec_active_dbov: Option<f64>,
    opts: &AnalyzeOptions,
) -> Vec<Gap> {
    const STEP_S: f64 = 0.01;
    let ref_levels = frame_levels(reference, rate, STEP_S);
    let rec_levels = frame_levels(recording, rate, STEP_S);
    let Some(ref_active) = level::active_level_dbov(reference, rate) else {
        return Vec::new();
    };
    let mute_at = rec_active_dbov.map_or(-70.0, |l| (l - opts.mute_below_active_db).max(-70.0));
    let shift = (delay_ms / 1000.0 / STEP_S).round() as i64;
    let mut gaps = Vec::new();
    // Current run of mute recording frames: (first frame, first and last speaking frame).
    let mut run: Option<(usize, Option<(usize, usize)>)> = None;
    let speaking = |i: usize| -> bool {
        let j = i as i64 - shift;
        j >= 0
            && (j as usize) < ref_levels.len()
            && ref_levels[j as usize] >= ref_active.level_dbov - 20.0
    };
    let close = |run: Option<(usize, Option<(usize, usize)>)>, gaps: &mut Vec<Gap>| {
        if let Some((_, Some((a, b)))) = run {
            let duration_ms = (b - a + 1) as f64 * STEP_S * 1000.0;
            if duration_ms >= opts.min_gap_ms {
                gaps.push(Gap {
                    start_ms: a as f64 * STEP_S * 1000.0,
                    duration_ms,
                });
            }
        }
    };
    for (i, &l) in rec_levels.iter().enumerate() {
        let in_ref = {
            let j = i as i64 - shift;
            j >= 0 && (j as usize) < ref_levels.len()
        };
        if l < mute_at && in_ref {
            let (start, span) = run.unwrap_or((i, None));
            let span = if speaking(i) {
                Some(span.map_or((i, i), |(a, _)| (a, i)))
            } else {
                span
            };
            run = Some((start, span));
        } else {
            close(run.take(), &mut gaps);
        }
    }
    close(run, &mut gaps);
    gaps
}

/// Analyses one direction: `reference` was played, `recording` was captured (both at
/// `rate` Hz, −1..1), the recording started no later than the playback.
pub fn analyze_path(
    reference: &[f32],
    recording: &[f32],
    rate: u32,
    opts: &AnalyzeOptions,
) -> PathAnalysis {
    let rec_level = level::active_level_dbov(recording, rate);
    let ref_level = level::active_level_dbov(reference, rate);
    let audio_present = rec_level.is_some_and(|l| l.level_dbov >= opts.presence_dbov);
    let delay = if audio_present {
        measure_delay(reference, recording, rate, opts)
    } else {
        None
    };
    let gaps = match delay {
        Some(d) => mute_gaps(
            reference,
            recording,
            rate,
            d.delay_ms,
            rec_level.map(|l| l.level_dbov),
            opts,
        ),
        None => Vec::new(),
    };
    let max_gap_ms = gaps.iter().map(|g| g.duration_ms).fold(0.0, f64::max);
    PathAnalysis {
        audio_present,
        delay_ms: delay.map(|d| d.delay_ms),
        delay,
        level_dbov: rec_level.map(|l| l.level_dbov),
        activity: rec_level.map(|l| l.activity),
        reference_level_dbov: ref_level.map(|l| l.level_dbov),
        noise_floor_dbov: noise_floor(recording, rate),
        gaps,
        max_gap_ms,
        clipping: clipping(recording, opts),
        identity: None,
    }
}

/// [`analyze_path`], plus the wrong-audio check: identifies the recording against `index`
/// and flags it when a reference other than `expected` wins.
pub fn analyze_path_with_library(
    reference: &[f32],
    recording: &[f32],
    rate: u32,
    opts: &AnalyzeOptions,
    index: &Index,
    expected: &str,
) -> PathAnalysis {
    let mut path = analyze_path(reference, recording, rate, opts);
    path.identity = Some(check_identity(index, expected, recording, rate));
    path
}

/// Identifies `recording` against `index` and tells whether it carries `expected`.
pub fn check_identity(
    index: &Index,
    expected: &str,
    recording: &[f32],
    rate: u32,
) -> IdentityVerdict {
    let identified = fingerprint::identify(index, recording, rate);
    let wrong_audio = identified.matched.as_deref().is_some_and(|m| m != expected);
    IdentityVerdict {
        expected: expected.to_string(),
        identified,
        wrong_audio,
    }
}
