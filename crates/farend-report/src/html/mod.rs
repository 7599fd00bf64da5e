//! Self-contained HTML report: inline CSS and SVG, no scripts, no external assets.

mod compare;
mod kpis;
mod plays;
mod timeline;
mod tracks;

use std::fmt::Write as _;

pub use compare::compare_html;

use crate::model::{CaseReport, RunReport, StepOutcome, Verdict};
use crate::text::html_escape as esc;

pub(super) const CSS: &str = r#"
:root { --pass:#1a7f37; --fail:#cf222e; --error:#9a6700; --skip:#6e7781; --line:#d0d7de; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color:#1f2328; background:#f6f8fa; }
header { background:#24292f; color:#fff; padding:16px 24px; }
header h1 { margin:0 0 6px; font-size:20px; }
header .meta { color:#d0d7de; font-size:13px; }
main { padding: 16px 24px; max-width: 1200px; }
section { background:#fff; border:1px solid var(--line); border-radius:6px; padding:12px 16px; margin:0 0 16px; }
h2 { font-size:17px; margin:0 0 8px; }
h3 { font-size:14px; margin:14px 0 6px; }
table { border-collapse: collapse; width:100%; margin:4px 0 8px; }
th, td { text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#f6f8fa; font-weight:600; }
td.num { text-align:right; font-variant-numeric: tabular-nums; white-space:nowrap; }
.counts span { display:inline-block; margin-right:14px; font-weight:600; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; color:#fff; font-size:12px; font-weight:600; }
.pass { background:var(--pass); } .failure { background:var(--fail); } .error { background:var(--error); } .skipped { background:var(--skip); }
.c-pass { color:#7ee787; } .c-failure { color:#ff7b72; } .c-error { color:#e3b341; } .c-skipped { color:#d0d7de; }
tr.row-failure td:first-child { border-left:4px solid var(--fail); }
tr.row-error td:first-child { border-left:4px solid var(--error); }
tr.row-pass td:first-child { border-left:4px solid var(--pass); }
tr.row-skipped td:first-child { border-left:4px solid var(--skip); }
.msg { white-space:pre-wrap; word-break:break-word; }
.verdict { padding:8px 12px; border-radius:6px; margin:6px 0; white-space:pre-wrap; word-break:break-word; }
.v-pass { background:#dafbe1; } .v-failure { background:#ffebe9; } .v-error { background:#fff8c5; } .v-skipped { background:#eaeef2; }
.bar { position:relative; height:10px; background:#eaeef2; border-radius:3px; min-width:120px; }
.bar i { position:absolute; top:0; height:10px; border-radius:3px; }
.timing { display:flex; height:14px; border-radius:3px; overflow:hidden; max-width:600px; }
.timing i { display:block; height:14px; }
svg text { font: 11px system-ui, sans-serif; fill:#1f2328; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size:12px; }
figure.play { margin:8px 0; } figure.play img { max-width:100%; height:auto; image-rendering:pixelated; }
figcaption { font-size:12px; color:#57606a; }
audio { height:28px; vertical-align:middle; margin-left:8px; }
summary { cursor:pointer; list-style-position:outside; }
summary h2 { display:inline; }
"#;

/// Renders the run as one HTML page (inline CSS, no scripts); the plots of plays link to
/// their PNG files in the run folder. [`html_with_images`] inlines them instead.
///
/// Every piece of report text is escaped; attachment links are relative to the run folder.
pub fn html(report: &RunReport) -> String {
    html_with_images(report, &|_| None)
}

/// Renders the run as one self-contained HTML page: `image` gives the bytes of a plot
/// attachment by its path relative to the run folder, and they are inlined; a plot it cannot
/// give is linked instead.
pub fn html_with_images(report: &RunReport, image: &dyn Fn(&str) -> Option<Vec<u8>>) -> String {
    let counts = report.counts();
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>farend run {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&report.run_id)
    );

    // Summary header.
    let _ = write!(
        out,
        "<header>\n<h1>farend run {}</h1>\n<div class=\"counts\">\
         <span>{} {}</span><span class=\"c-pass\">{} passed</span>\
         <span class=\"c-failure\">{} failed</span><span class=\"c-error\">{} {}</span>\
         <span class=\"c-skipped\">{} skipped</span></div>\n<div class=\"meta\">started {} · \
         duration {} · lab {}{} · farend {}{}</div>\n</header>\n<main>\n",
        esc(&report.run_id),
        counts.total,
        if counts.total == 1 { "case" } else { "cases" },
        counts.passed,
        counts.failed,
        counts.errors,
        if counts.errors == 1 {
            "error"
        } else {
            "errors"
        },
        counts.skipped,
        esc(&report.started_at),
        secs(report.duration_s),
        esc(&report.lab.kind),
        report
            .lab
            .source
            .as_deref()
            .map(|s| format!(" ({})", esc(s)))
            .unwrap_or_default(),
        esc(&report.farend_version),
        if report.redacted {
            " · numbers redacted"
        } else {
            ""
        },
    );

    cases_table(&mut out, report);
    kpis::kpi_section(&mut out, report);
    lab_section(&mut out, report);
    let open = open_cases(report);
    for (n, case) in report.cases.iter().enumerate() {
        case_section(&mut out, report, n, case, open.contains(&n), image);
    }

    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn lab_section(out: &mut String, report: &RunReport) {
    if report.lab.handsets.is_empty() {
        return;
    }
    out.push_str(
        "<section>\n<h2>Lab handsets</h2>\n<table>\n<tr><th>Id</th><th>Serial</th><th>Model</th>\
         <th>Manufacturer</th><th>Android</th><th>Number</th></tr>\n",
    );
    for h in &report.lab.handsets {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&h.id),
            esc(&h.serial),
            opt(&h.model),
            opt(&h.manufacturer),
            opt(&h.android_release),
            esc(&h.number)
        );
    }
    out.push_str("</table>\n</section>\n");
}

fn cases_table(out: &mut String, report: &RunReport) {
    out.push_str("<section>\n<h2>Cases</h2>\n");
    if report.cases.is_empty() {
        out.push_str("<p>This run has no cases.</p>\n</section>\n");
        return;
    }
    out.push_str(
        "<table>\n<tr><th>Case</th><th>Scenario</th><th>Iteration</th><th>Verdict</th>\
         <th>Reason</th><th>Duration</th></tr>\n",
    );
    for (n, case) in report.cases.iter().enumerate() {
        let status = case.verdict.status();
        let _ = writeln!(
            out,
            "<tr class=\"row-{status}\"><td><a href=\"#case-{n}\">{}</a></td><td>{}</td>\
             <td class=\"num\">{}/{}</td><td>{}</td><td class=\"msg\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&case.id),
            esc(&suite_scenario(case)),
            case.iteration,
            case.iterations,
            badge(&case.verdict),
            esc(&reason(&case.verdict)),
            secs(case.duration_s)
        );
    }
    out.push_str("</table>\n</section>\n");
}

/// How many failing cases are shown open; the rest of a long run stays collapsed.
const OPEN_FAILURES: usize = 10;

/// The cases shown open: the first failures and lab errors, or the first case of a run
/// without any.
fn open_cases(report: &RunReport) -> Vec<usize> {
    let failing: Vec<usize> = report
        .cases
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c.verdict, Verdict::Failure { .. } | Verdict::Error { .. }))
        .map(|(n, _)| n)
        .take(OPEN_FAILURES)
        .collect();
    if failing.is_empty() && !report.cases.is_empty() {
        vec![0]
    } else {
        failing
    }
}

fn case_section(
    out: &mut String,
    report: &RunReport,
    n: usize,
    case: &CaseReport,
    open: bool,
    image: &dyn Fn(&str) -> Option<Vec<u8>>,
) {
    case_header(out, n, case, open);
    parties_table(out, report, case);
    let span_ms = case_span_ms(case);
    steps_table(out, case, span_ms);
    events_block(out, case, span_ms);
    measurements_table(out, case);
    plays::plays_block(out, case, image);
    tracks::tracks_block(out, case);
    checks_table(out, case);
    timing_block(out, case);
    attachments_list(out, case);
    out.push_str("</details>\n</section>\n");
}

/// The case's heading, verdict, scenario file and matrix variant.
fn case_header(out: &mut String, n: usize, case: &CaseReport, open: bool) {
    let status = case.verdict.status();
    let _ = write!(
        out,
        "<section id=\"case-{n}\" class=\"case\">\n<details{}>\n<summary><h2>{} {} <small>{} #{}/{} · {} · \
         started {}</small></h2></summary>\n\
         <div class=\"verdict v-{status}\">{}</div>\n<p>Scenario file <code>{}</code></p>\n",
        if open { " open" } else { "" },
        badge(&case.verdict),
        esc(&case.id),
        esc(&suite_scenario(case)),
        case.iteration,
        case.iterations,
        secs(case.duration_s),
        esc(&case.started_at),
        esc(&case.verdict.to_string()),
        esc(&case.scenario_file),
    );
    if !case.matrix.is_empty() {
        let values: Vec<String> = case
            .matrix
            .iter()
            .map(|(k, v)| format!("<code>{}={}</code>", esc(k), esc(v)))
            .collect();
        let _ = writeln!(out, "<p>Matrix variant {}</p>", values.join(" "));
    }
}

fn parties_table(out: &mut String, report: &RunReport, case: &CaseReport) {
    if case.parties.is_empty() {
        return;
    }
    out.push_str(
        "<h3>Parties</h3>\n<table>\n<tr><th>Role</th><th>Handset</th><th>Model</th>\
         <th>Android</th><th>Number</th></tr>\n",
    );
    for p in &case.parties {
        let h = report.handset(&p.handset);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.role),
            esc(&p.handset),
            h.map(|h| opt(&h.model)).unwrap_or_default(),
            h.map(|h| opt(&h.android_release)).unwrap_or_default(),
            esc(&p.number)
        );
    }
    out.push_str("</table>\n");
}

/// One row per step: its number, keyword, name (when it has one), description, timing bar.
fn steps_table(out: &mut String, case: &CaseReport, span_ms: f64) {
    if case.steps.is_empty() {
        return;
    }
    out.push_str(
        "<h3>Steps</h3>\n<table>\n<tr><th>#</th><th>Step</th><th>Name</th><th>Description</th>\
         <th>Start</th><th>Duration</th><th>Outcome</th><th>Timeline</th><th>Message</th></tr>\n",
    );
    for s in &case.steps {
        let (left, width) = bar_geometry(s.started_ms, s.duration_ms, span_ms);
        let _ = writeln!(
            out,
            "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"step-name\">{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td><span class=\"badge {}\">{}</span></td>\
             <td><div class=\"bar\"><i style=\"left:{left:.2}%;width:{width:.2}%;background:{}\"></i></div></td>\
             <td class=\"msg\">{}</td></tr>",
            s.index,
            esc(&s.keyword),
            opt(&s.name),
            esc(&s.description),
            ms(s.started_ms),
            ms(s.duration_ms),
            outcome_class(s.outcome),
            s.outcome,
            outcome_colour(s.outcome),
            s.message.as_deref().map(esc).unwrap_or_default()
        );
    }
    out.push_str("</table>\n");
}

fn events_block(out: &mut String, case: &CaseReport, span_ms: f64) {
    if case.events.is_empty() {
        return;
    }
    out.push_str("<h3>Call events</h3>\n");
    timeline::timeline_svg(out, case, span_ms);
    out.push_str(
        "<table>\n<tr><th>At (from case start)</th><th>Party</th><th>Event</th><th>Seen by</th></tr>\n",
    );
    for e in &case.events {
        let _ = writeln!(
            out,
            "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"msg\">{}</td><td>{}</td></tr>",
            ms(e.at_ms),
            esc(&e.party),
            esc(&e.event),
            timeline::source_name(e.source)
        );
    }
    out.push_str("</table>\n");
}

/// One row per measurement; a score's unit names its band and standard.
fn measurements_table(out: &mut String, case: &CaseReport) {
    if case.measurements.is_empty() {
        return;
    }
    out.push_str(
        "<h3>Measurements</h3>\n<table>\n<tr><th>Step</th><th>Direction</th><th>Name</th>\
         <th>Value</th><th>Unit</th></tr>\n",
    );
    for m in &case.measurements {
        let _ = writeln!(
            out,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}{}</td></tr>",
            m.step,
            m.direction.as_deref().map(esc).unwrap_or_default(),
            esc(&m.name),
            value(m.value),
            esc(&m.unit),
            esc(&crate::junit::score_note(m))
        );
    }
    out.push_str("</table>\n");
}

fn checks_table(out: &mut String, case: &CaseReport) {
    if case.checks.is_empty() {
        return;
    }
    out.push_str(
        "<h3>Checks</h3>\n<table>\n<tr><th>Step</th><th>Check</th><th>Expected</th>\
         <th>Actual</th><th>Result</th></tr>\n",
    );
    for c in &case.checks {
        let (class, label) = if c.passed {
            ("pass", "pass")
        } else {
            ("failure", "fail")
        };
        let _ = writeln!(
            out,
            "<tr class=\"row-{class}\"><td class=\"num\">{}</td><td>{}</td><td class=\"msg\">{}</td>\
             <td class=\"msg\">{}</td><td><span class=\"badge {class}\">{label}</span></td></tr>",
            c.step,
            esc(&c.name),
            esc(&c.expected),
            esc(&c.actual)
        );
    }
    out.push_str("</table>\n");
}

fn timing_block(out: &mut String, case: &CaseReport) {
    let t = &case.timing;
    let parts = [
        (t.audio_s, "#0969da", "audio"),
        (t.waits_s, "#bf8700", "waits"),
        (t.overhead_s, "#8c959f", "overhead"),
    ];
    let total: f64 = parts.iter().map(|p| finite_pos(p.0)).sum();
    let _ = write!(
        out,
        "<h3>Timing</h3>\n<p>audio {} · waits {} · overhead {}</p>\n",
        secs(t.audio_s),
        secs(t.waits_s),
        secs(t.overhead_s)
    );
    if total > 0.0 {
        out.push_str("<div class=\"timing\">");
        for (v, colour, label) in parts {
            let pct = finite_pos(v) / total * 100.0;
            let _ = write!(
                out,
                "<i style=\"width:{pct:.2}%;background:{colour}\" title=\"{label}\"></i>"
            );
        }
        out.push_str("</div>\n");
    }
}

fn attachments_list(out: &mut String, case: &CaseReport) {
    if case.attachments.is_empty() {
        return;
    }
    out.push_str("<h3>Attachments</h3>\n<ul>\n");
    for a in &case.attachments {
        let href = url_path(&a.path);
        let party = a
            .party
            .as_deref()
            .map(|p| format!(" ({})", esc(p)))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<li>{}{party}: <a href=\"{href}\">{}</a>",
            esc(&a.kind),
            esc(&a.path)
        );
        if a.path.to_ascii_lowercase().ends_with(".wav") {
            let _ = write!(
                out,
                "<audio controls preload=\"none\" src=\"{href}\"></audio>"
            );
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n");
}

/// Length of the case on its own clock: the case duration, or the latest step or event.
fn case_span_ms(case: &CaseReport) -> f64 {
    let mut span = finite_pos(case.duration_s) * 1000.0;
    for s in &case.steps {
        span = span.max(finite_pos(s.started_ms) + finite_pos(s.duration_ms));
    }
    for e in &case.events {
        span = span.max(finite_pos(e.at_ms));
    }
    span
}

fn bar_geometry(start_ms: f64, duration_ms: f64, span_ms: f64) -> (f64, f64) {
    if span_ms <= 0.0 {
        return (0.0, 0.0);
    }
    let left = (finite_pos(start_ms) / span_ms * 100.0).clamp(0.0, 100.0);
    let width = (finite_pos(duration_ms) / span_ms * 100.0)
        .max(0.5)
        .min(100.0 - left);
    (left, width)
}

fn finite_pos(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 { v } else { 0.0 }
}

fn suite_scenario(case: &CaseReport) -> String {
    if case.suite.is_empty() {
        case.scenario.clone()
    } else {
        format!("{}.{}", case.suite, case.scenario)
    }
}

fn badge(v: &Verdict) -> String {
    format!("<span class=\"badge {0}\">{0}</span>", v.status())
}

fn reason(v: &Verdict) -> String {
    match v {
        Verdict::Pass => String::new(),
        Verdict::Failure { kind, message, .. } => format!("{kind}: {message}"),
        Verdict::Error {
            kind,
            message,
            device: Some(d),
        } => format!("{kind} ({d}): {message}"),
        Verdict::Error { kind, message, .. } => format!("{kind}: {message}"),
        Verdict::Skipped { reason } => reason.clone(),
    }
}

fn outcome_class(o: StepOutcome) -> &'static str {
    match o {
        StepOutcome::Ok => "pass",
        StepOutcome::Failed => "failure",
        StepOutcome::Error => "error",
        StepOutcome::Skipped => "skipped",
    }
}

fn outcome_colour(o: StepOutcome) -> &'static str {
    match o {
        StepOutcome::Ok => "#1a7f37",
        StepOutcome::Failed => "#cf222e",
        StepOutcome::Error => "#9a6700",
        StepOutcome::Skipped => "#8c959f",
    }
}

fn opt(v: &Option<String>) -> String {
    v.as_deref().map(esc).unwrap_or_default()
}

pub(super) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    } else {
        s.to_string()
    }
}

fn secs(s: f64) -> String {
    if !s.is_finite() {
        "n/a".to_string()
    } else if s < 60.0 {
        format!("{s:.2} s")
    } else {
        let m = (s / 60.0).floor();
        format!("{m:.0} min {:.1} s", s - m * 60.0)
    }
}

pub(super) fn ms(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.0} ms")
    } else {
        "n/a".to_string()
    }
}

fn value(v: f64) -> String {
    if v.is_finite() {
        let rounded = (v * 1000.0).round() / 1000.0;
        format!("{rounded}")
    } else {
        "n/a".to_string()
    }
}

/// Percent-encodes a relative path for an `href`/`src`, keeping `/` separators; anything
/// that could start a scheme (`:`) or break out of the attribute is encoded.
fn url_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_path_encodes_everything_unsafe() {
        assert_eq!(url_path("cases/a b/x.wav"), "cases/a%20b/x.wav");
        assert_eq!(url_path("javascript:alert(1)"), "javascript%3Aalert%281%29");
        assert_eq!(url_path("\"><script>"), "%22%3E%3Cscript%3E");
    }

    #[test]
    fn bar_geometry_stays_inside_the_bar() {
        assert_eq!(bar_geometry(0.0, 500.0, 1000.0), (0.0, 50.0));
        let (l, w) = bar_geometry(990.0, 500.0, 1000.0);
        assert!(l + w <= 100.0 + 1e-9);
        assert_eq!(bar_geometry(2000.0, 10.0, 1000.0), (100.0, 0.0));
        assert_eq!(bar_geometry(f64::NAN, f64::INFINITY, 0.0), (0.0, 0.0));
    }
}
