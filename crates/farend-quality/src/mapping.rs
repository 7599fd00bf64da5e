//! From raw P.862 scores to MOS-LQO (P.862.1, P.862.2) and quality categories.

use serde::Serialize;

/// P.862.1: maps a narrowband raw P.862 score to MOS-LQO.
pub fn mos_lqo_narrowband(raw: f64) -> f64 {
    0.999 + 4.0 / (1.0 + (-1.4945 * raw + 4.6607).exp())
}

/// P.862.2: maps a wideband raw score to MOS-LQO.
pub fn mos_lqo_wideband(raw: f64) -> f64 {
    0.999 + 4.0 / (1.0 + (-1.3669 * raw + 3.8224).exp())
}

/// Quality category of a MOS-LQO value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Category {
    /// MOS ≥ 4.5.
    Excellent,
    /// 4.0 ≤ MOS < 4.5.
    Good,
    /// 3.5 ≤ MOS < 4.0.
    Fair,
    /// 3.0 ≤ MOS < 3.5.
    Poor,
    /// MOS < 3.0 (or not a number).
    Bad,
}

/// Category of a MOS-LQO value: Excellent ≥ 4.5, Good ≥ 4.0, Fair ≥ 3.5, Poor ≥ 3.0, else Bad.
pub fn category(mos: f64) -> Category {
    if mos >= 4.5 {
        Category::Excellent
    } else if mos >= 4.0 {
        Category::Good
    } else if mos >= 3.5 {
        Category::Fair
    } else if mos >= 3.0 {
        Category::Poor
    } else {
        Category::Bad
    }
}
