//! farend-report: the report of a farend run and the files written from it.
//!
//! The runner fills a [`RunReport`] (one [`CaseReport`] per call iteration, each with its
//! [`Verdict`], steps, call events, measurements, checks and attachments) and hands it to
//! [`write_all`], which writes three files into the run folder:
//!
//! - `junit.xml`: JUnit XML for CI (Jenkins, GitLab): one `<testsuite>` per scenario, one
//!   `<testcase>` per iteration, `<failure>` for network verdicts, `<error>` for lab faults,
//!   measurements as `<properties>`, `[[ATTACHMENT|path]]` lines for recordings (relative
//!   to the run folder, the failing direction's recording first);
//! - `results.json`: the [`RunReport`] itself, documented in `docs/results-json.md`;
//! - `report.html`: one self-contained page for humans.
//!
//! ```
//! # fn main() -> Result<(), farend_report::ReportError> {
//! use farend_report::{LabInfo, RunReport};
//! let report = RunReport {
//!     run_id: "20261121-053117".into(),
//!     farend_version: "0.1.0".into(),
//!     started_at: "2026-11-21T05:31:17Z".into(),
//!     duration_s: 0.0,
//!     lab: LabInfo { kind: "virtual".into(), ..LabInfo::default() },
//!     redacted: true,
//!     plan: Default::default(),
//!     cases: vec![],
//! };
//! let xml = farend_report::junit_xml(&report)?;
//! assert!(xml.contains("<testsuites name=\"farend\""));
//! assert_eq!(farend_report::redact_number("+421900000001"), "*********0001");
//! # Ok(()) }
//! ```
//!
//! Writing is pure string building plus atomic file replacement; nothing here knows about
//! scenarios, devices or audio. Redaction is offered as [`redact_number`] and [`Redactor`]
//! (free text and whole case reports, one rule for every file of a run); the runner decides
//! when to apply it.

mod compare;
mod html;
pub mod image;
mod junit;
mod kpi;
mod merge;
mod model;
mod num;
mod pairs;
mod redact;
mod text;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub use compare::{Breach, Change, Comparison, DirectionChange, NewFailure, Thresholds};
pub use html::{compare_html, html, html_with_images};
pub use junit::{junit_xml, junit_xml_with_root};
pub use kpi::{Distribution, Kpis, KpisBy, Quality, Ratio};
pub use merge::{MergeError, Merged, merge};
pub use model::{
    Attachment, CallEvent, CaseReport, Check, Counts, ErrorKind, EventSource, FailureDetail,
    FailureKind, HandsetInfo, LabInfo, Measurement, PartyBinding, PlanInfo, RunReport, StepOutcome,
    StepReport, Timing, Track, Verdict,
};
pub use redact::{Redactor, ZipRedactError, redact_number, redact_zip, serial_alias};
pub use text::xml_safe;

/// File name of the JUnit report inside the run folder.
pub const JUNIT_FILE: &str = "junit.xml";
/// File name of the JSON results inside the run folder.
pub const JSON_FILE: &str = "results.json";
/// File name of the HTML report inside the run folder.
pub const HTML_FILE: &str = "report.html";

/// Errors from writing or reading reports.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or folder could not be read, written or renamed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// `results.json` could not be encoded or decoded.
    #[error("{path}: invalid results JSON: {source}")]
    Json {
        /// The file concerned (empty when encoding in memory).
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// The JUnit XML could not be produced.
    #[error("cannot write JUnit XML: {0}")]
    Junit(#[from] quick_junit::SerializeError),
}

/// Paths of the files [`write_all`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportFiles {
    /// `<run_dir>/junit.xml`.
    pub junit: PathBuf,
    /// `<run_dir>/results.json`.
    pub json: PathBuf,
    /// `<run_dir>/report.html`.
    pub html: PathBuf,
}

/// Writes `junit.xml`, `results.json` and `report.html` into `run_dir` (created if missing).
///
/// Each file is written to a temporary file in the same folder and renamed into place, so a
/// reader never sees a half-written report. Attachment lines in the JUnit file carry paths
/// relative to `run_dir`, the folder holding `junit.xml`, so the report folder can be moved
/// or archived as a whole.
pub fn write_all(report: &RunReport, run_dir: &Path) -> Result<ReportFiles, ReportError> {
    write_files(report, run_dir, None)
}

/// Like [`write_all`], but the JUnit `[[ATTACHMENT|...]]` lines carry
/// `attachment_root.join(path)` instead of paths relative to the run folder.
///
/// GitLab resolves attachment paths relative to `$CI_PROJECT_DIR`, so a GitLab job passes the
/// run folder relative to the project folder, e.g. `reports/<run-id>`.
pub fn write_all_with_attachment_root(
    report: &RunReport,
    run_dir: &Path,
    attachment_root: &Path,
) -> Result<ReportFiles, ReportError> {
    write_files(report, run_dir, Some(attachment_root))
}

/// Renders the three files and writes them atomically into `run_dir`.
fn write_files(
    report: &RunReport,
    run_dir: &Path,
    attachment_root: Option<&Path>,
) -> Result<ReportFiles, ReportError> {
    fs::create_dir_all(run_dir).map_err(|source| ReportError::Io {
        path: run_dir.to_path_buf(),
        source,
    })?;
    let junit = junit_xml_with_root(report, attachment_root)?;
    let json = results_json(report)?;
    let page = html_with_images(report, &|rel| fs::read(run_dir.join(rel)).ok());

    let files = ReportFiles {
        junit: run_dir.join(JUNIT_FILE),
        json: run_dir.join(JSON_FILE),
        html: run_dir.join(HTML_FILE),
    };
    write_atomic(&files.json, json.as_bytes())?;
    write_atomic(&files.junit, junit.as_bytes())?;
    write_atomic(&files.html, page.as_bytes())?;
    Ok(files)
}

/// Encodes the report as the pretty-printed JSON stored in `results.json`.
pub fn results_json(report: &RunReport) -> Result<String, ReportError> {
    /// The run with its KPIs beside the cases they are computed from.
    #[derive(serde::Serialize)]
    struct ResultsFile<'a> {
        #[serde(flatten)]
        report: &'a RunReport,
        kpis: Kpis,
        kpis_by: KpisBy,
    }
    let file = ResultsFile {
        report,
        kpis: Kpis::of(&report.cases),
        kpis_by: KpisBy::of(report),
    };
    let pretty = serde_json::to_string_pretty(&file).map_err(|source| ReportError::Json {
        path: PathBuf::new(),
        source,
    })?;
    let mut json = num::join_number_arrays(&pretty);
    json.push('\n');
    Ok(json)
}

/// Reads a `results.json` written by [`write_all`].
pub fn read_results(path: &Path) -> Result<RunReport, ReportError> {
    let data = fs::read_to_string(path).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&data).map_err(|source| ReportError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `data` to `path` through a temporary file in the same folder and a rename.
fn write_atomic(path: &Path, data: &[u8]) -> Result<(), ReportError> {
    let io_err = |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".to_string());
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}.{seq}.tmp", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(data)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io_err)
}
