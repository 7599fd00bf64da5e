//! Pure signal analysis for farend: levels, delay, tones, DTMF, call-progress tones and
//! acoustic fingerprints, and the two operations other crates share with them: FFT
//! cross-correlation ([`correlation`]) and sample-rate conversion ([`resample`]).
//!
//! Every function takes samples (`&[f32]` in −1.0..1.0, or `&[i16]`) and a sample rate and
//! returns plain structs. Nothing here does I/O, spawns threads or knows about scenarios.

pub mod correlation;
pub mod delay;
pub mod dtmf;
pub mod fingerprint;
pub mod level;
pub mod progress;
pub mod resample;
pub mod spectrogram;
mod stats;
pub mod tone;
pub mod verdict;
