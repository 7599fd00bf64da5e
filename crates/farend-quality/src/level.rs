//! Level alignment (P.862 §10.1.1): both signals are scaled so that their power in the
//! telephone band (350–3250 Hz) is the same fixed value, the level the model is calibrated at.

use crate::spectrum::{self, Response};

/// Power, in 16-bit units squared, that both signals are aligned to.
pub const TARGET_POWER: f64 = 1e7;

/// Pass band of the level measurement: 350–3250 Hz, nothing outside.
const BAND: Response = &[
    (0.0, -500.0),
    (300.0, -500.0),
    (350.0, 0.0),
    (3250.0, 0.0),
    (3500.0, -500.0),
    (8000.0, -500.0),
];

/// Mean power of `signal` in the telephone band.
pub fn band_power(signal: &[f64], rate: u32) -> f64 {
    let filtered = spectrum::filter(signal, rate, BAND);
    filtered.iter().map(|v| v * v).sum::<f64>() / signal.len().max(1) as f64
}

/// Scales `signal` in place to [`TARGET_POWER`] in the telephone band; returns the gain.
pub fn align(signal: &mut [f64], rate: u32) -> f64 {
    let power = band_power(signal, rate);
    let gain = if power > 0.0 {
        (TARGET_POWER / power).sqrt()
    } else {
        1.0
    };
    for v in signal.iter_mut() {
        *v *= gain;
    }
    gain
}
