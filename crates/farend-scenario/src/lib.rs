//! Scenario and lab files for farend: the model, parsing (serde-saphyr), validation with
//! `file:line:col` diagnostics, file discovery and planning.
//!
//! ```no_run
//! use std::path::{Path, PathBuf};
//! let refs = |name: &str| name.starts_with("speech/") || name.starts_with("tones/");
//! let files = farend_scenario::discover(&[PathBuf::from("scenarios")])?;
//! let mut scenarios = Vec::new();
//! for f in &files {
//!     // One scenario per `matrix` variant (exactly one without a matrix).
//!     scenarios.extend(farend_scenario::load_scenarios(f, &refs)?);
//! }
//! let plan = farend_scenario::plan(scenarios, None, None);
//! let lab = farend_scenario::load_lab(Path::new("lab.yaml"))?;
//! # Ok::<(), farend_scenario::LoadError>(())
//! ```
//!
//! # Scenario syntax (summary; `scenarios/*.yaml` are commented examples)
//!
//! Top level: `name` (required, `[a-z0-9._-]+`), `description`, `parties` (required: a mapping
//! `{ a: {}, b: {} }` or a list `[a, b]`), `repeat` (1..=10000, default 1), `matrix` (see below),
//! `defaults: { timeout }`, `network` (a profile of the virtual network, checked against the
//! profiles on offer when the run starts), `steps` (required, non-empty). Each step holds
//! exactly one action plus
//! optional `name:` and `timeout:`:
//!
//! | action | fields |
//! |---|---|
//! | `dial` | `from`, and `to` (a party) or `number` (dialable string) |
//! | `answer`, `hangup` | `party` |
//! | `wait` | `party` (one or a list), `state` (`idle`/`ringing`/`offhook`), `within` (default 30s) |
//! | `play` | `ref`, `into`, `record`, `margin` (default 1s); `expect:` beside it |
//! | `sleep` | a duration |
//! | `airplane` | `party`, `on` (true/false): airplane mode, each Android release's way |
//!
//! Durations carry a unit: `500ms`, `2s`, `1.5s`, `2m`. Expectations (`expect:` on `play` only):
//! `audio_present`, `delay_ms: {min, max}`, `mos_lqo: {min, band}`, `dtmf`, `fingerprint: {matches}`,
//! `tone: {freq, min_duration}`, `progress_tone: {kind, country}`, `one_way_audio`, `gaps: {max_ms}`,
//! `level_dbov: {min, max}`; those in [`UNAVAILABLE_EXPECTATIONS`] are validated but rejected.
//!
//! `matrix: { ref: [speech/en-f1, speech/en-m1], min_mos: [3.5, 4.0] }` makes one variant per
//! combination of values (the first variable varying slowest; at most
//! [`MAX_MATRIX_VARIABLES`] variables and [`MAX_MATRIX_VARIANTS`] combinations), each a
//! [`Scenario`] of its own with [`Scenario::matrix`] set and `repeat` applying to each. In
//! `steps` and `network`, a string that is exactly `${name}` takes the value with its YAML
//! type, `${name}` inside a longer string is replaced by the value's text, and `$$` is a
//! literal `$`.
//!
//! Lab files list real `handsets` (with `adb: { server }`), or describe the built-in virtual
//! lab with `network:` profiles ([`NetworkSpec`]) and `virtual: { handsets: N }`.
//!
//! Every problem of a file is reported (not only the first) as a [`Diagnostic`] whose
//! `Display` is `file:line:col: message`; [`LoadError`]'s `Display` lists them all with snippets.

mod diag;
mod duration;
mod lab;
mod lab_edit;
mod matrix;
mod model;
mod network;
mod plan;
mod scenario;
mod yaml;

use std::path::Path;

pub use diag::{Diagnostic, LoadError, Location};
pub use duration::{DURATION_UNITS, DurationError, MAX_DURATION, format_duration, parse_duration};
pub use farend_device::{DIALABLE_RULE, is_dialable};
pub use lab::{VIRTUAL_CARD_RATES, is_audio_endpoint, is_host_port, load_lab, parse_lab};
pub use lab_edit::{LabEditError, with_handset_latencies};
pub use model::*;
pub use plan::{Case, Plan, ShardOf, check_unique_names, discover, matches_filter, plan};
pub use scenario::{is_valid_party_name, is_valid_scenario_name, load_scenarios, parse_scenarios};

/// Reads a file as UTF-8; an invalid byte becomes a diagnostic at its line and column.
fn read_text(path: &Path) -> Result<String, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let bytes = e.into_bytes();
            let (loc, byte) = yaml::utf8_error_location(&bytes).unwrap_or((Location::new(1, 1), 0));
            let mut d = Diagnostic::new(
                path,
                loc.line,
                loc.column,
                format!("the file is not valid UTF-8 (byte 0x{byte:02x}); save it as UTF-8"),
            );
            let lossy = String::from_utf8_lossy(&bytes);
            d.snippet = diag::snippet(&lossy, loc);
            Err(LoadError::Invalid {
                diagnostics: vec![d],
            })
        }
    }
}
