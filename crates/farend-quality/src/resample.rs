//! Resampling of inputs at rates other than 8/16 kHz (rubato, synchronous FFT resampler).

use crate::QualityError;
use rubato::{FftFixedInOut, Resampler};

/// Resamples `x` from `from` Hz to `to` Hz, keeping time alignment (the
/// resampler delay is removed) and the length proportional to the rates.
pub(crate) fn resample(x: &[f64], from: u32, to: u32) -> Result<Vec<f64>, QualityError> {
    let mut rs = FftFixedInOut::<f64>::new(from as usize, to as usize, 1024, 1)
        .map_err(|e| QualityError::Resample(e.to_string()))?;
    let delay = rs.output_delay();
    let want = (x.len() as f64 * to as f64 / from as f64).round() as usize;
    let mut out: Vec<f64> = Vec::with_capacity(want + delay + 2048);
    let mut pos = 0usize;
    while out.len() < want + delay {
        let need = rs.input_frames_next();
        let mut chunk = vec![0.0; need];
        if pos < x.len() {
            let take = need.min(x.len() - pos);
            chunk[..take].copy_from_slice(&x[pos..pos + take]);
        }
        pos += need;
        let res = rs
            .process(&[chunk], None)
            .map_err(|e| QualityError::Resample(e.to_string()))?;
        out.extend_from_slice(&res[0]);
    }
    Ok(out[delay..delay + want].to_vec())
}
