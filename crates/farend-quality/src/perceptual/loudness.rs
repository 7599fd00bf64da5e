//! Zwicker's loudness law (P.862 §10.2.1.4 and §10.2.4): pitch power density to sone per Bark.

use super::Model;

/// Loudness density of every band of one frame; bands below threshold give zero.
pub fn loudness(model: &Model, powers: &[f64], out: &mut [f64]) {
    let scale = model.calibration.loudness;
    for ((band, &power), slot) in model.bands.iter().zip(powers).zip(out.iter_mut()) {
        let threshold = band.threshold;
        let gamma = band.zwicker_exponent;
        let value = scale
            * (threshold / 0.5).powf(gamma)
            * ((0.5 + 0.5 * power / threshold).powf(gamma) - 1.0);
        *slot = value.max(0.0);
    }
}
