//! DTMF (ITU-T Q.23 / Q.24): generator and receiver.
//!
//! Levels are per tone in dBov (ITU-T P.56: relative to the RMS of a full-scale square wave;
//! see [`crate::tone`]); `dBm0 = dBov + 6.15`.
//!
//! The receiver ([`detect_dtmf`], or [`DtmfReceiver`] fed in pieces) meets the Q.24 / Bellcore
//! receiver requirements: it operates for each tone within ±1.5% of nominal and never at
//! ±3.5% (decision at ±2.5%, measured to a fraction of a hertz), on tones of 40 ms or more and
//! never on 20 ms or less (decision at 30 ms), separates digits by pauses of 50 ms and bridges
//! dropouts shorter than 20 ms, accepts 8 dB normal and 4 dB reverse twist, levels from −36
//! to 0 dBm0 per tone and a signal-to-noise ratio of 15 dB.
//!
//! It works in two stages. Stage one ([`blocks`]) runs the eight Goertzel filters on 12.5 ms
//! blocks (the only per-sample work; on even blocks first, on their neighbours only after a
//! hit, and only on blocks loud enough to hold a digit) and keeps runs of at least two blocks
//! that look like the same digit. Stage two ([`validate`]), run only on those candidates,
//! demodulates both tones with 10 ms Hann windows every 1 ms and decides on ratios measured
//! frame by frame: the share of the frame's power the two tones carry and their twist. Ratios
//! do not change when a codec's gain moves inside a tone (speech codecs such as AMR and Opus
//! let it fall by more than 10 dB for a few frames), so a tone is followed through such dips
//! and its edges are still found where half of the analysis window holds the tone. A digit
//! is accepted when both tones start and stop together (within 10 ms), last long enough, are
//! within the frequency limits, and the medians of the per-frame level, twist and purity are
//! within the limits, and two steady sinusoids fitted to the tone's body carry at least half
//! of its power (speech harmonics that sit on a tone pair for a while glide), and the two tones
//! do not both glide by more than the accepted frequency deviation over the tone (a voice
//! whose resonances pass a tone pair moves both; a codec may bend one). Talk-off (speech or music
//! taken for digits) is what the last checks remove.

use crate::tone::{add_sine, samples_for};

/// The four low-group (row) frequencies in Hz.
pub const ROW_FREQS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
/// The four high-group (column) frequencies in Hz.
pub const COL_FREQS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
/// Digits laid out by row and column of the keypad.
pub const KEYPAD: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// Errors of the DTMF generator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DtmfError {
    /// A character that is not a DTMF digit (0-9, A-D, *, #).
    #[error("'{0}' is not a DTMF digit (expected 0-9, A-D, * or #)")]
    InvalidDigit(char),
    /// The sample rate is zero.
    #[error("sample rate must be positive")]
    InvalidRate,
}

/// Row and column frequencies (low, high) of a digit; lowercase a-d accepted.
pub fn digit_freqs(digit: char) -> Option<(f64, f64)> {
    let d = digit.to_ascii_uppercase();
    for (r, row) in KEYPAD.iter().enumerate() {
        for (c, &k) in row.iter().enumerate() {
            if k == d {
                return Some((ROW_FREQS[r], COL_FREQS[c]));
            }
        }
    }
    None
}

/// Generates DTMF for `digits`: each digit is `tone_ms` of its two tones (each at `level_dbov`
/// dBov, P.56) followed by `pause_ms` of silence, the last digit included, so the result
/// lasts `digits.len() × (tone_ms + pause_ms)` ms. Lowercase `a`-`d` are accepted.
pub fn generate_dtmf(
    digits: &str,
    tone_ms: u32,
    pause_ms: u32,
    level_dbov: f64,
    rate: u32,
) -> Result<Vec<f32>, DtmfError> {
    generate_dtmf_twisted(digits, tone_ms, pause_ms, level_dbov, level_dbov, rate)
}

/// Like [`generate_dtmf`] with separate levels (dBov) for the low and the high tone (twist).
pub fn generate_dtmf_twisted(
    digits: &str,
    tone_ms: u32,
    pause_ms: u32,
    low_dbov: f64,
    high_dbov: f64,
    rate: u32,
) -> Result<Vec<f32>, DtmfError> {
    if rate == 0 {
        return Err(DtmfError::InvalidRate);
    }
    let pairs = digits
        .chars()
        .map(|c| digit_freqs(c).ok_or(DtmfError::InvalidDigit(c)))
        .collect::<Result<Vec<_>, _>>()?;
    let tone_n = samples_for(f64::from(tone_ms) / 1000.0, rate);
    let pause_n = samples_for(f64::from(pause_ms) / 1000.0, rate);
    let mut out = vec![0.0f32; pairs.len() * (tone_n + pause_n)];
    for (i, (lo, hi)) in pairs.into_iter().enumerate() {
        let start = i * (tone_n + pause_n);
        let seg = &mut out[start..start + tone_n];
        add_sine(seg, lo, low_dbov, rate);
        add_sine(seg, hi, high_dbov, rate);
    }
    Ok(out)
}

mod blocks;
mod receiver;
mod validate;

pub use receiver::DtmfReceiver;

use crate::resample::resample;
use serde::Serialize;

/// Analysis rate of the receiver; other rates are resampled to it.
pub const RECEIVER_RATE: u32 = 8000;

/// One detected digit with its times.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DtmfEvent {
    /// The digit: `0`-`9`, `A`-`D`, `*` or `#`.
    pub digit: char,
    /// Start of the tone pair in ms from the beginning of the input.
    pub start_ms: f64,
    /// End of the tone pair in ms from the beginning of the input.
    pub end_ms: f64,
    /// Measured low-group frequency in Hz.
    pub low_hz: f64,
    /// Measured high-group frequency in Hz.
    pub high_hz: f64,
    /// Level of the low-group tone in dBov (median over the tone).
    pub low_dbov: f64,
    /// Level of the high-group tone in dBov (median over the tone).
    pub high_dbov: f64,
}

/// What the receiver found in a recording.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct DtmfResult {
    /// All detected digits in order.
    pub digits: String,
    /// One event per digit, in order.
    pub events: Vec<DtmfEvent>,
}

/// Acceptance limits of the receiver. The defaults follow ITU-T Q.24 and Bellcore
/// (operate within ±1.5%, reject at ±3.5%, ≥ 40 ms tones, 8 dB normal / 4 dB reverse twist,
/// −36…0 dBm0 per tone), with the decision points past the operate limits by the margin a
/// speech codec's spectral tilt and coding noise take away.
#[derive(Debug, Clone, PartialEq)]
pub struct DtmfConfig {
    /// Largest accepted frequency deviation of each tone, as a fraction (0.025 = 2.5%).
    pub max_freq_dev: f64,
    /// Shortest accepted tone in ms (between the 20 ms must-reject and 40 ms must-accept).
    pub min_tone_ms: f64,
    /// Gaps shorter than this (ms) inside one tone pair are bridged.
    pub max_gap_ms: f64,
    /// Weakest accepted tone in dBm0 (median level over the tone).
    pub min_level_dbm0: f64,
    /// Largest accepted normal twist (high tone weaker than low), dB.
    pub max_normal_twist_db: f64,
    /// Largest accepted reverse twist (high tone stronger than low), dB.
    pub max_reverse_twist_db: f64,
    /// Smallest accepted share of the signal power carried by the two tones (median over
    /// the tone of the per-frame share).
    pub min_purity: f64,
    /// Largest accepted frequency glide over the tone, as a fraction of the nominal frequency
    /// (default: the same as `max_freq_dev`); a pair is refused when both of its tones glide
    /// further (speech moves both, a codec may bend one).
    pub max_glide: f64,
    /// Largest accepted difference (ms) between the onsets, and between the ends, of the two
    /// tones of a pair.
    pub max_skew_ms: f64,
}

impl Default for DtmfConfig {
    fn default() -> Self {
        Self {
            max_freq_dev: 0.025,
            min_tone_ms: 30.0,
            max_gap_ms: 20.0,
            min_level_dbm0: -45.0,
            max_normal_twist_db: 12.0,
            max_reverse_twist_db: 8.0,
            min_purity: 0.70,
            max_skew_ms: 10.0,
            max_glide: 0.025,
        }
    }
}

/// Detects DTMF digits in `samples` (−1.0..1.0) at `rate` with the default limits.
pub fn detect_dtmf(samples: &[f32], rate: u32) -> DtmfResult {
    detect_dtmf_with(samples, rate, &DtmfConfig::default())
}

/// Detects DTMF digits in 16-bit samples at `rate` with the default limits.
pub fn detect_dtmf_i16(samples: &[i16], rate: u32) -> DtmfResult {
    if rate != RECEIVER_RATE {
        let f: Vec<f32> = samples.iter().map(|&s| f32::from(s) / 32768.0).collect();
        return detect_dtmf(&f, rate);
    }
    let mut rx = DtmfReceiver::new(DtmfConfig::default());
    rx.push_i16(samples);
    rx.finish()
}

/// Detects DTMF digits in `samples` (−1.0..1.0) at `rate` with explicit limits.
///
/// Works at 8 kHz; other rates are resampled first (use [`DtmfReceiver`] to feed 8 kHz audio
/// in pieces without holding all of it).
pub fn detect_dtmf_with(samples: &[f32], rate: u32, cfg: &DtmfConfig) -> DtmfResult {
    if rate < 4000 {
        return DtmfResult::default();
    }
    let x = resample(samples, rate, RECEIVER_RATE);
    let mut rx = DtmfReceiver::new(cfg.clone());
    rx.push(&x);
    rx.finish()
}
