//! DTMF through farend's speech codecs (G.711, GSM-FR, AMR-NB, AMR-WB, Opus), shared by the
//! codec tests and the `tones_speed` benchmark, which writes the same material for SpanDSP.

#![allow(dead_code)]

use farend_codec::{CodecSpec, transcode};
use farend_dsp::resample::resample;

/// Every codec and mode the DTMF receiver is held to, in `CodecSpec` notation.
pub const CODECS: [&str; 24] = [
    "g711a",
    "g711u",
    "gsm-fr",
    "amr-nb:4.75",
    "amr-nb:5.15",
    "amr-nb:5.90",
    "amr-nb:6.70",
    "amr-nb:7.40",
    "amr-nb:7.95",
    "amr-nb:10.2",
    "amr-nb:12.2",
    "amr-wb:6.60",
    "amr-wb:8.85",
    "amr-wb:12.65",
    "amr-wb:14.25",
    "amr-wb:15.85",
    "amr-wb:18.25",
    "amr-wb:19.85",
    "amr-wb:23.05",
    "amr-wb:23.85",
    "opus:nb:8k",
    "opus:nb:12k",
    "opus:wb:16k",
    "opus:wb:24k",
];

/// Per-tone levels in dBm0 across ITU-T Q.24's operating range.
pub const LEVELS_DBM0: [i32; 7] = [-36, -30, -24, -18, -12, -6, 0];

/// `x` (8 kHz, −1.0..1.0) encoded and decoded by `codec`, back at 8 kHz.
pub fn through_codec(codec: &str, x: &[f32]) -> Result<Vec<f32>, String> {
    let spec: CodecSpec = codec.parse().map_err(|e| format!("{codec}: {e}"))?;
    let rate = spec.sample_rate();
    let at_rate = resample(x, 8000, rate);
    let pcm: Vec<i16> = at_rate
        .iter()
        .map(|&v| (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
        .collect();
    let out = transcode(&spec, &pcm, rate, &[]).map_err(|e| format!("{codec}: {e}"))?;
    let back: Vec<f32> = out.iter().map(|&s| f32::from(s) / 32768.0).collect();
    Ok(resample(&back, rate, 8000).into_owned())
}
