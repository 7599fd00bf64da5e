//! Lenient number decoding: `results.json` writes non-finite values as `null`.

use serde::{Deserialize, Deserializer};

/// Decodes an `f64` that may be `null` (how serde_json writes NaN and infinities) as NaN.
pub(crate) fn f64_or_nan<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}
