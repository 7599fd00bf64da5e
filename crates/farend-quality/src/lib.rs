//! Full-reference speech quality: ITU-T P.862 (PESQ), with the MOS-LQO mappings of P.862.1
//! (narrowband) and P.862.2 (wideband).
//!
//! An original implementation written from the Recommendations and the papers that describe
//! the method (see `PROVENANCE.md`), checked against the ITU-T conformance data and the ITU-T
//! reference implementation run as a black-box oracle; it is not the reference implementation.
//!
//! ```no_run
//! use farend_quality::{Band, ScoreOptions, score_i16};
//! # let (reference, degraded) = (vec![0i16; 80000], vec![0i16; 80000]);
//! let score = score_i16(&reference, &degraded, 8000, &ScoreOptions::new(Band::Narrow))?;
//! println!("MOS-LQO {:.2}, delay {:.1} ms", score.mos_lqo, score.delay_ms);
//! # Ok::<(), farend_quality::QualityError>(())
//! ```
//!
//! Besides the score it reports what the peers do not: the delay of every utterance, the
//! score of every utterance and of fixed windows over the call (the score track), the
//! disturbance of every frame, and warnings when the result should not be trusted.
//!
//! Agreement with the reference is not yet what a release gate needs: on P.862 Annex A tests
//! 2(a)/2(b) the mean |Δ| is 0.16–0.19 (the Annex criterion is not met), and on the
//! project's oracle corpus about 72–74 % of narrowband and 53 % of wideband scores fall
//! within 0.05 MOS-LQO. The tests assert regression bounds at that level (conformance: mean
//! |Δ| ≤ 0.20, max ≤ 1.15 and at least 10 of 40 within 0.05 per rate), not the Annex
//! criterion; see `PROVENANCE.md`.
//!
//! Steps, each in its own module: [`level`] alignment, [`input_filter`]ing, time alignment
//! ([`align`]), the [`perceptual`] model, and aggregation ([`aggregate`]) to a raw score that
//! [`mapping`] turns into MOS-LQO.

pub mod aggregate;
pub mod align;
mod error;
pub mod input_filter;
pub mod level;
pub mod mapping;
pub mod perceptual;
mod pipeline;
pub mod relatedness;
mod report;
mod spectrum;

pub use error::QualityError;
pub use mapping::{Category, category, mos_lqo_narrowband, mos_lqo_wideband};
pub use report::{FrameDisturbance, Score, ScoreWarning, TrackPoint, Utterance};

use serde::Serialize;

/// Which P.862 variant to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
    /// P.862.2 (11/2005) as published.
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

/// Scores `f32` signals in [-1, 1] (full scale = 1.0) at `sample_rate`.
pub fn score_f32(
    reference: &[f32],
    degraded: &[f32],
    sample_rate: u32,
    options: &ScoreOptions,
) -> Result<Score, QualityError> {
    let to_pcm = |s: &[f32]| {
        s.iter()
            .map(|&v| f64::from(v) * 32768.0)
            .collect::<Vec<f64>>()
    };
    check_finite(reference, "reference")?;
    check_finite(degraded, "degraded")?;
    pipeline::score(to_pcm(reference), to_pcm(degraded), sample_rate, options)
}

/// Scores 16-bit PCM signals at `sample_rate`.
pub fn score_i16(
    reference: &[i16],
    degraded: &[i16],
    sample_rate: u32,
    options: &ScoreOptions,
) -> Result<Score, QualityError> {
    let to_pcm = |s: &[i16]| s.iter().map(|&v| f64::from(v)).collect::<Vec<f64>>();
    pipeline::score(to_pcm(reference), to_pcm(degraded), sample_rate, options)
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

fn check_finite(signal: &[f32], which: &'static str) -> Result<(), QualityError> {
    match signal.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(QualityError::NonFinite { which, index }),
        None => Ok(()),
    }
}
