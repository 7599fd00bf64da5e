//! What a scoring call returns.

use crate::Band;
use crate::mapping::Category;
use serde::Serialize;

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

/// Why a score should not be trusted, carried with the score.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ScoreWarning {
    /// The degraded signal does not follow the reference: it is probably other audio, and
    /// the score and delay say nothing about the path.
    NotCorrelated {
        /// Correlation of the energy envelopes at the found delays (−1..1).
        correlation: f64,
        /// What this means, for people.
        message: String,
    },
    /// The reference holds less active speech than P.862.3 asks for (3.2 s).
    ShortSpeech {
        /// Active speech in the reference, seconds.
        active_s: f64,
        /// What this means, for people.
        message: String,
    },
}

impl ScoreWarning {
    /// A short description for people.
    pub fn message(&self) -> &str {
        match self {
            ScoreWarning::NotCorrelated { message, .. }
            | ScoreWarning::ShortSpeech { message, .. } => message,
        }
    }

    /// Whether the score must not be used at all: unrelated audio always; too little speech
    /// when it is under half of what P.862.3 asks for (the voice activity that measures it
    /// counts less than a listener would, so a reference just short of 3.2 s still scores).
    pub fn disqualifies(&self) -> bool {
        match self {
            ScoreWarning::NotCorrelated { .. } => true,
            ScoreWarning::ShortSpeech { active_s, .. } => *active_s < DISQUALIFYING_SPEECH_S,
        }
    }
}

/// Active speech below which a score is not used at all: half of P.862.3's 3.2 s.
const DISQUALIFYING_SPEECH_S: f64 = 1.6;

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
    /// Reasons not to trust the score (empty when there are none).
    pub warnings: Vec<ScoreWarning>,
}

impl Score {
    /// The first warning that disqualifies the score, if any (see [`ScoreWarning::disqualifies`]).
    pub fn disqualified(&self) -> Option<&ScoreWarning> {
        self.warnings.iter().find(|w| w.disqualifies())
    }
}
