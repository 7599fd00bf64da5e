//! Zwicker's loudness law (P.862 §10.2.1.4 and §10.2.4): pitch power density to sone per Bark.

use super::Model;

/// The factor of a band's loudness that does not depend on the power: the loudness scale
/// times (2 × threshold)^γ.
pub fn band_factor(scale: f64, threshold: f64, gamma: f64) -> f64 {
    scale * (threshold / 0.5).powf(gamma)
}

/// Loudness density of every band of one frame; bands below threshold give zero.
pub fn loudness(model: &Model, powers: &[f64], out: &mut [f64]) {
    let bands = model.bands.iter().zip(&model.loudness_factors);
    for (((band, factor), &power), slot) in bands.zip(powers).zip(out.iter_mut()) {
        let base = 0.5 + 0.5 * power / band.threshold;
        // At or below the threshold the loudness is zero: no power needs computing.
        *slot = if base <= 1.0 {
            0.0
        } else {
            (factor * (base.powf(band.zwicker_exponent) - 1.0)).max(0.0)
        };
    }
}
