//! Full-reference speech quality: ITU-T P.862 (PESQ), P.862.1 (MOS-LQO mapping)
//! and P.862.2 (wideband extension), as pure functions.
//!
//! Give a reference and a degraded recording (`&[f32]` in [-1, 1] or `&[i16]`)
//! with their sample rate; get a [`Score`] with the raw P.862 score, MOS-LQO,
//! the delay of every utterance, a score track over the call and the
//! disturbance of every frame:
//!
//! ```no_run
//! use farend_quality::{score_i16, Band, ScoreOptions};
//! # let (reference, degraded) = (vec![0i16; 64000], vec![0i16; 64000]);
//! let score = score_i16(&reference, &degraded, 8000, &ScoreOptions::new(Band::Narrow))?;
//! println!("MOS-LQO {:.3} ({:?})", score.mos_lqo, farend_quality::category(score.mos_lqo));
//! # Ok::<(), farend_quality::QualityError>(())
//! ```
//!
//! Narrowband runs natively at 8 kHz and 16 kHz, wideband at 16 kHz. Other
//! rates are resampled (rubato, FFT-based synchronous resampler) to 8 kHz for
//! narrowband or 16 kHz for wideband, and the result says so in
//! [`Score::resampled_from`]. Wideband follows P.862.2 with Corrigendum 2
//! (2018) unless [`WidebandVersion::P862_2_2005`] is asked for; every result
//! names the Recommendation version that produced it. The crate spawns no
//! threads and does no I/O.
//!
//! Conformance: the 40 + 40 variable-delay pairs of P.862 Annex A tests 2(a)
//! and 2(b) reproduce the published raw scores to within 0.0005 (see
//! `tests/conformance.rs`, which reads the data through `FAREND_REFS`). The
//! band layout, thresholds and filter responses are the numeric parameters
//! published with the Recommendation (`tables.rs`); where the behaviour of
//! the reference implementation differs from the text (the split search's
//! alignment window, see `align.rs`), the published scores follow the
//! reference implementation and so does this crate.

// Index loops follow the Recommendation's frame/band arithmetic, and the
// alignment helpers take the full set of signals and positions explicitly.
#![allow(clippy::needless_range_loop, clippy::too_many_arguments)]

mod align;
mod fft;
mod model;
mod resample;
mod tables;

use serde::Serialize;

/// Which P.862 variant to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    /// P.862 + P.862.1: narrowband (handset, IRS receive filter), 8 or 16 kHz.
    #[serde(rename = "nb")]
    Narrow,
    /// P.862.2: wideband (headphone listening), 16 kHz.
    #[serde(rename = "wb")]
    Wide,
}

/// Which edition of P.862.2 produces wideband scores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Default)]
pub enum WidebandVersion {
    /// P.862.2 (11/2005) as published with the 2005 reference code.
    #[serde(rename = "P.862.2 (2005)")]
    P862_2_2005,
    /// P.862.2 with Corrigendum 2 (03/2018) applied: the default.
    #[default]
    #[serde(rename = "P.862.2 Cor.2 (2018)")]
    P862_2Cor2_2018,
}

/// Options of one scoring call.
#[derive(Clone, Debug)]
pub struct ScoreOptions {
    /// Narrowband or wideband.
    pub band: Band,
    /// P.862.2 edition for wideband (ignored for narrowband).
    pub wideband_version: WidebandVersion,
    /// Length of the score-track windows in seconds (0 = per utterance only).
    pub track_window_s: f64,
}

impl ScoreOptions {
    /// Default options for a band: Corrigendum 2 for wideband, 4 s track windows.
    pub fn new(band: Band) -> Self {
        ScoreOptions {
            band,
            wideband_version: WidebandVersion::default(),
            track_window_s: 4.0,
        }
    }
}

/// Why a pair could not be scored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QualityError {
    /// A signal is shorter than the algorithm can work with.
    #[error("{which} signal too short: {seconds:.3} s (at least {min_seconds:.2} s needed)")]
    TooShort {
        /// "reference" or "degraded".
        which: &'static str,
        /// Its length in seconds.
        seconds: f64,
        /// The minimum length.
        min_seconds: f64,
    },
    /// The reference contains no speech utterance the alignment can use.
    #[error("no utterances found in the reference (is it speech, at a usable level?)")]
    NoUtterances,
    /// The reference is silent or constant.
    #[error("reference signal is silent or constant")]
    SilentReference,
    /// The degraded signal is silent or constant.
    #[error("degraded signal is silent or constant")]
    SilentDegraded,
    /// The two signals were given at different sample rates.
    #[error("sample rates differ: reference {reference} Hz, degraded {degraded} Hz")]
    MismatchedRates {
        /// Reference rate.
        reference: u32,
        /// Degraded rate.
        degraded: u32,
    },
    /// A sample rate the resampler cannot handle (zero or absurd).
    #[error("unsupported sample rate {0} Hz")]
    UnsupportedRate(u32),
    /// A sample is NaN or infinite.
    #[error("{which} signal has a non-finite sample at index {index}")]
    NonFinite {
        /// "reference" or "degraded".
        which: &'static str,
        /// Index of the first bad sample.
        index: usize,
    },
    /// Resampling failed.
    #[error("resampling failed: {0}")]
    Resample(String),
}

/// Quality category of a MOS-LQO value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Category {
    /// MOS ≥ 4.5.
    Excellent,
    /// 4.0 ≤ MOS < 4.5.
    Good,
    /// 3.5 ≤ MOS < 4.0.
    Fair,
    /// 3.0 ≤ MOS < 3.5.
    Poor,
    /// MOS < 3.0 (or not a number).
    Bad,
}

/// Category of a MOS-LQO value: Excellent ≥ 4.5, Good ≥ 4.0, Fair ≥ 3.5, Poor ≥ 3.0, else Bad.
pub fn category(mos: f64) -> Category {
    if mos >= 4.5 {
        Category::Excellent
    } else if mos >= 4.0 {
        Category::Good
    } else if mos >= 3.5 {
        Category::Fair
    } else if mos >= 3.0 {
        Category::Poor
    } else {
        Category::Bad
    }
}

/// P.862.1: maps a narrowband raw P.862 score to MOS-LQO.
pub fn mos_lqo_narrowband(raw: f64) -> f64 {
    0.999 + 4.0 / (1.0 + (-1.4945 * raw + 4.6607).exp())
}

/// P.862.2: maps a wideband raw score to MOS-LQO.
pub fn mos_lqo_wideband(raw: f64) -> f64 {
    0.999 + 4.0 / (1.0 + (-1.3669 * raw + 3.8224).exp())
}

/// One utterance found in the reference, and its delay in the degraded signal.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Utterance {
    /// Start in the reference, seconds.
    pub start_s: f64,
    /// End in the reference, seconds.
    pub end_s: f64,
    /// Delay of the degraded signal, milliseconds (positive: degraded is late).
    pub delay_ms: f64,
    /// Confidence of the delay estimate (0..1).
    pub confidence: f64,
}

/// The score of one stretch of the call.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrackPoint {
    /// Start in the reference, seconds.
    pub start_s: f64,
    /// End in the reference, seconds.
    pub end_s: f64,
    /// Raw score of this stretch.
    pub raw: f64,
    /// MOS-LQO of this stretch.
    pub mos_lqo: f64,
}

/// Disturbance of one 32 ms frame (frames advance by 16 ms).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FrameDisturbance {
    /// Frame start in the reference, seconds.
    pub t_s: f64,
    /// Symmetric disturbance.
    pub symmetric: f64,
    /// Asymmetric (added-distortion) disturbance.
    pub asymmetric: f64,
}

/// The result of scoring one reference/degraded pair.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Score {
    /// Raw P.862 score (−0.5 … 4.5).
    pub raw: f64,
    /// MOS-LQO (P.862.1 for narrowband, P.862.2 for wideband).
    pub mos_lqo: f64,
    /// Category of `mos_lqo`.
    pub category: Category,
    /// Narrowband or wideband.
    pub band: Band,
    /// The Recommendation (and edition) that produced the score.
    pub standard: String,
    /// Rate of the input signals, Hz.
    pub sample_rate: u32,
    /// Rate the algorithm ran at, Hz (8000 or 16000).
    pub processed_rate: u32,
    /// Set when the input was resampled: a description of the resampler.
    pub resampled_from: Option<String>,
    /// Delay of the first utterance (the overall delay), milliseconds.
    pub delay_ms: f64,
    /// Utterances and their delays.
    pub utterances: Vec<Utterance>,
    /// Score per utterance.
    pub utterance_scores: Vec<TrackPoint>,
    /// Score per window of `track_window_s` seconds.
    pub track: Vec<TrackPoint>,
    /// Disturbance per frame.
    pub frames: Vec<FrameDisturbance>,
}

fn check_finite_f32(x: &[f32], which: &'static str) -> Result<(), QualityError> {
    match x.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(QualityError::NonFinite { which, index }),
        None => Ok(()),
    }
}

/// Scores `f32` signals in [-1, 1] (full scale = 1.0) at `sample_rate`.
pub fn score_f32(
    reference: &[f32],
    degraded: &[f32],
    sample_rate: u32,
    options: &ScoreOptions,
) -> Result<Score, QualityError> {
    check_finite_f32(reference, "reference")?;
    check_finite_f32(degraded, "degraded")?;
    let r: Vec<f64> = reference.iter().map(|&v| v as f64 * 32768.0).collect();
    let d: Vec<f64> = degraded.iter().map(|&v| v as f64 * 32768.0).collect();
    score_samples(&r, &d, sample_rate, options)
}

/// Scores 16-bit PCM signals at `sample_rate`.
pub fn score_i16(
    reference: &[i16],
    degraded: &[i16],
    sample_rate: u32,
    options: &ScoreOptions,
) -> Result<Score, QualityError> {
    let r: Vec<f64> = reference.iter().map(|&v| v as f64).collect();
    let d: Vec<f64> = degraded.iter().map(|&v| v as f64).collect();
    score_samples(&r, &d, sample_rate, options)
}

/// Scores a pair given at two rates: refuses mismatched rates with a typed error.
pub fn score_i16_rates(
    reference: &[i16],
    reference_rate: u32,
    degraded: &[i16],
    degraded_rate: u32,
    options: &ScoreOptions,
) -> Result<Score, QualityError> {
    if reference_rate != degraded_rate {
        return Err(QualityError::MismatchedRates {
            reference: reference_rate,
            degraded: degraded_rate,
        });
    }
    score_i16(reference, degraded, reference_rate, options)
}

fn is_constant(x: &[f64]) -> bool {
    match x.first() {
        None => true,
        Some(&f) => x.iter().all(|&v| (v - f).abs() < 1e-9),
    }
}

/// Scores signals in 16-bit units (full scale = 32768).
fn score_samples(
    reference: &[f64],
    degraded: &[f64],
    sample_rate: u32,
    options: &ScoreOptions,
) -> Result<Score, QualityError> {
    if let Some(index) = reference.iter().position(|v| !v.is_finite()) {
        return Err(QualityError::NonFinite {
            which: "reference",
            index,
        });
    }
    if let Some(index) = degraded.iter().position(|v| !v.is_finite()) {
        return Err(QualityError::NonFinite {
            which: "degraded",
            index,
        });
    }
    if !(1000..=768_000).contains(&sample_rate) {
        return Err(QualityError::UnsupportedRate(sample_rate));
    }
    let target = match options.band {
        Band::Wide => 16000,
        Band::Narrow if sample_rate == 16000 => 16000,
        Band::Narrow => 8000,
    };
    let (r, d, resampled_from) = if sample_rate == target {
        (reference.to_vec(), degraded.to_vec(), None)
    } else {
        let r = resample::resample(reference, sample_rate, target)?;
        let d = resample::resample(degraded, sample_rate, target)?;
        (
            r,
            d,
            Some(format!(
                "{sample_rate} Hz resampled to {target} Hz (rubato FftFixedInOut, synchronous FFT resampler)"
            )),
        )
    };
    let min_seconds = 0.25;
    let min_len = (target as f64 * min_seconds) as usize;
    for (x, which) in [(&r, "reference"), (&d, "degraded")] {
        if x.len() < min_len {
            return Err(QualityError::TooShort {
                which,
                seconds: x.len() as f64 / target as f64,
                min_seconds,
            });
        }
    }
    if is_constant(&r) {
        return Err(QualityError::SilentReference);
    }
    if is_constant(&d) {
        return Err(QualityError::SilentDegraded);
    }
    let mut out = pesq(&r, &d, target, options)?;
    out.sample_rate = sample_rate;
    out.resampled_from = resampled_from;
    Ok(out)
}

fn standard_name(options: &ScoreOptions, fs: u32) -> String {
    match options.band {
        Band::Narrow => format!("ITU-T P.862 (Amd.2 2005) + P.862.1, narrowband at {fs} Hz"),
        Band::Wide => match options.wideband_version {
            WidebandVersion::P862_2_2005 => "ITU-T P.862.2 (2005), wideband".to_string(),
            WidebandVersion::P862_2Cor2_2018 => {
                "ITU-T P.862.2 with Corrigendum 2 (2018), wideband".to_string()
            }
        },
    }
}

fn pesq(r: &[f64], d: &[f64], fs: u32, options: &ScoreOptions) -> Result<Score, QualityError> {
    fft::with_ffts(|ffts| pesq_with(r, d, fs, options, ffts))
}

fn pesq_with(
    r: &[f64],
    d: &[f64],
    fs: u32,
    options: &ScoreOptions,
    ffts: &mut fft::Ffts,
) -> Result<Score, QualityError> {
    let rate = align::Rate::new(fs);
    let mut rs = align::Padded::new(r, &rate);
    let mut ds = align::Padded::new(d, &rate);
    let max_n = rs.n.max(ds.n);
    let irs = match options.band {
        Band::Narrow => Some(&align::IRS_FILTER),
        Band::Wide => None,
    };
    align::align_level(&mut rs, max_n, &rate, ffts, irs);
    align::align_level(&mut ds, max_n, &rate, ffts, irs);
    match options.band {
        Band::Narrow => {}
        Band::Wide => {
            let mut sos = if fs == 16000 {
                tables::WB_IIR_16K
            } else {
                tables::WB_IIR_8K
            };
            if options.wideband_version == WidebandVersion::P862_2Cor2_2018 {
                // Corrigendum 2 lowers the wideband input filter gain by 12 dB.
                for b in sos.iter_mut().take(3) {
                    *b *= tables::WB_COR2_GAIN;
                }
            }
            align::wideband_input_filter(&mut rs, &sos, &rate);
            align::wideband_input_filter(&mut ds, &sos, &rate);
        }
    }
    let mut rf = rs.clone();
    let mut df = ds.clone();
    align::alignment_filter([&mut rf, &mut df], &rate);
    let rv = align::voice_activity(&rf, &rate);
    let dv = align::voice_activity(&df, &rate);
    let al = align::align(&rf, &df, &rv, &dv, &rate, ffts);
    if al.count() == 0 {
        return Err(QualityError::NoUtterances);
    }
    let m = model::run(&rs, &ds, &al, &rate, ffts).ok_or(QualityError::TooShort {
        which: "reference",
        seconds: r.len() as f64 / fs as f64,
        min_seconds: 0.25,
    })?;
    let map = |raw: f64| match options.band {
        Band::Narrow => mos_lqo_narrowband(raw),
        Band::Wide => mos_lqo_wideband(raw),
    };
    let fsf = fs as f64;
    let sb = rate.sb();
    let half = (m.frame_len / 2) as f64;
    let to_s = |window: i64| ((window * rate.ds - sb) as f64 / fsf).max(0.0);
    let utterances: Vec<Utterance> = (0..al.count())
        .map(|u| Utterance {
            start_s: to_s(al.start[u]),
            end_s: to_s(al.end[u]),
            delay_ms: al.delay[u] as f64 * 1000.0 / fsf,
            confidence: al.conf[u],
        })
        .collect();
    let frame_of = |t: f64| -> usize { (t * fsf / half).floor().max(0.0) as usize };
    let range_point = |s_s: f64, e_s: f64| -> Option<TrackPoint> {
        let s = frame_of(s_s).max(m.start_frame);
        let e = frame_of(e_s).min(m.stop_frame);
        if e < s {
            return None;
        }
        let raw = model::raw_of_range(&m, s, e);
        Some(TrackPoint {
            start_s: s_s,
            end_s: e_s,
            raw,
            mos_lqo: map(raw),
        })
    };
    let utterance_scores = utterances
        .iter()
        .filter_map(|u| range_point(u.start_s, u.end_s))
        .collect();
    let mut track = Vec::new();
    if options.track_window_s > 0.0 {
        let total = r.len() as f64 / fsf;
        let mut t = 0.0;
        while t < total {
            let e = (t + options.track_window_s).min(total);
            if let Some(p) = range_point(t, e) {
                track.push(p);
            }
            t += options.track_window_s;
        }
    }
    let frames = (0..=m.stop_frame)
        .map(|f| FrameDisturbance {
            t_s: f as f64 * half / fsf,
            symmetric: m.d[f],
            asymmetric: m.a[f],
        })
        .collect();
    let raw = m.raw;
    let mos = map(raw);
    Ok(Score {
        raw,
        mos_lqo: mos,
        category: category(mos),
        band: options.band,
        standard: standard_name(options, fs),
        sample_rate: fs,
        processed_rate: fs,
        resampled_from: None,
        delay_ms: utterances.first().map(|u| u.delay_ms).unwrap_or(0.0),
        utterances,
        utterance_scores,
        track,
        frames,
    })
}
