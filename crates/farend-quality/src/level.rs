//! Level alignment (P.862 §10.1.1): both signals are scaled so that their power in the
//! telephone band (350–3250 Hz) is the same fixed value, the level the model is calibrated at.

use crate::spectrum::{Response, WholeSpectrum};

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

/// Gain that brings a signal to [`TARGET_POWER`] in the telephone band.
pub fn gain(spectrum: &WholeSpectrum) -> f64 {
    let power = spectrum.band_power(BAND);
    if power > 0.0 {
        (TARGET_POWER / power).sqrt()
    } else {
        1.0
    }
}
