//! JUnit XML writer (through quick-junit), in the dialect Jenkins and GitLab read.
//!
//! Layout: `<testsuites name="farend">`, one `<testsuite name="suite.scenario">` per scenario,
//! one `<testcase name="scenario #N" classname="suite.scenario">` per iteration (a matrix
//! variant is named `scenario[var=value,...] #N` and carries `matrix.<var>` properties). Network
//! verdicts become `<failure type="FailureKind">`, lab faults `<error type="ErrorKind">`,
//! skipped cases `<skipped>`. Measurements and party bindings are testcase `<properties>`;
//! `<system-out>` carries the step log and one `[[ATTACHMENT|path]]` line per attachment.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::ReportError;
use crate::model::{Attachment, CaseReport, RunReport, StepOutcome, Verdict};
use crate::text::xml_safe;

/// Longest `message` attribute written; the full text goes into the element's body.
const MAX_ATTR_MESSAGE: usize = 1000;

/// Renders the run as JUnit XML; attachment lines carry the paths as stored, relative to the
/// run folder (the folder [`crate::write_all`] writes `junit.xml` into).
pub fn junit_xml(report: &RunReport) -> Result<String, ReportError> {
    junit_xml_with_root(report, None)
}

/// Renders the run as JUnit XML; with `run_dir`, attachment lines carry
/// `run_dir.join(attachment.path)` instead of the relative path.
pub fn junit_xml_with_root(
    report: &RunReport,
    run_dir: Option<&Path>,
) -> Result<String, ReportError> {
    let mut junit = Report::new("farend");
    if let Some(ts) = timestamp(&report.started_at) {
        junit.set_timestamp(ts);
    }
    if let Some(d) = duration(report.duration_s) {
        junit.set_time(d);
    }

    // Group cases by scenario, keeping the order in which scenarios first appear.
    let mut groups: Vec<(String, Vec<&CaseReport>)> = Vec::new();
    for case in &report.cases {
        let name = suite_name(case);
        match groups.iter_mut().find(|(n, _)| *n == name) {
            Some((_, cases)) => cases.push(case),
            None => groups.push((name, vec![case])),
        }
    }

    for (name, cases) in groups {
        let mut suite = TestSuite::new(xml_safe(&name));
        if let Some(ts) = cases.first().and_then(|c| timestamp(&c.started_at)) {
            suite.set_timestamp(ts);
        }
        let total: f64 = cases
            .iter()
            .map(|c| c.duration_s)
            .filter(|d| d.is_finite() && *d > 0.0)
            .sum();
        if let Some(d) = duration(total) {
            suite.set_time(d);
        }
        suite.add_property(prop("farend.version", &report.farend_version));
        suite.add_property(prop("farend.run_id", &report.run_id));
        suite.add_property(prop("lab.kind", &report.lab.kind));
        if let Some(source) = &report.lab.source {
            suite.add_property(prop("lab.source", source));
        }
        if let Some(first) = cases.first() {
            suite.add_property(prop("scenario.file", &first.scenario_file));
        }
        for case in cases {
            suite.add_test_case(test_case(report, case, run_dir));
        }
        junit.add_test_suite(suite);
    }

    Ok(junit.to_string()?)
}

/// `suite.scenario`, or just the scenario when the suite is empty.
fn suite_name(case: &CaseReport) -> String {
    if case.suite.is_empty() {
        case.scenario.clone()
    } else {
        format!("{}.{}", case.suite, case.scenario)
    }
}

fn test_case(report: &RunReport, case: &CaseReport, run_dir: Option<&Path>) -> TestCase {
    let status = match &case.verdict {
        Verdict::Pass => TestCaseStatus::success(),
        Verdict::Failure { kind, message, .. } => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_type(kind.name());
            s.set_message(attr_message(message));
            s.set_description(xml_safe(&failure_description(case, message)));
            s
        }
        Verdict::Error {
            kind,
            message,
            device,
        } => {
            let full = match device {
                Some(device) if !message.contains(device.as_str()) => {
                    format!("{message} (device {device})")
                }
                _ => message.clone(),
            };
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_type(kind.name());
            s.set_message(attr_message(&full));
            s.set_description(xml_safe(&full));
            s
        }
        Verdict::Skipped { reason } => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(attr_message(reason));
            s
        }
    };

    let mut tc = TestCase::new(
        xml_safe(&format!("{} #{}", case.variant(), case.iteration)),
        status,
    );
    tc.set_classname(xml_safe(&suite_name(case)));
    if let Some(ts) = timestamp(&case.started_at) {
        tc.set_timestamp(ts);
    }
    if let Some(d) = duration(case.duration_s) {
        tc.set_time(d);
    }
    if !case.scenario_file.is_empty() {
        tc.extra.insert(
            xml_safe("file").into(),
            xml_safe(&case.scenario_file).into(),
        );
    }

    tc.add_property(prop("case.id", &case.id));
    for (name, value) in &case.matrix {
        tc.add_property(prop(&format!("matrix.{name}"), value));
    }
    for party in &case.parties {
        let key = |what: &str| format!("party.{}.{what}", party.role);
        tc.add_property(prop(&key("handset"), &party.handset));
        tc.add_property(prop(&key("number"), &party.number));
        if let Some(h) = report.handset(&party.handset) {
            tc.add_property(prop(&key("serial"), &h.serial));
            for (what, value) in [
                ("model", &h.model),
                ("manufacturer", &h.manufacturer),
                ("android_release", &h.android_release),
            ] {
                if let Some(value) = value {
                    tc.add_property(prop(&key(what), value));
                }
            }
        }
    }
    for m in &case.measurements {
        let name = match &m.direction {
            Some(dir) => format!("step{}.{dir}.{}", m.step, m.name),
            None => format!("step{}.{}", m.step, m.name),
        };
        tc.add_property(prop(&name, &m.value.to_string()));
    }
    for c in &case.checks {
        let verdict = if c.passed { "pass" } else { "fail" };
        tc.add_property(prop(
            &format!("step{}.check.{}", c.step, c.name),
            &format!("{verdict}: expected {}, actual {}", c.expected, c.actual),
        ));
    }

    tc.set_system_out(xml_safe(&step_log(case, run_dir)));
    tc
}

/// The failure text: the verdict message, then the checks that did not hold and the steps
/// that did not succeed, each with its step's name when it has one.
fn failure_description(case: &CaseReport, message: &str) -> String {
    let mut out = message.to_string();
    for c in case.checks.iter().filter(|c| !c.passed) {
        let _ = write!(out, "\n{}", check_line(case, c));
    }
    for s in case
        .steps
        .iter()
        .filter(|s| !matches!(s.outcome, StepOutcome::Ok | StepOutcome::Skipped))
    {
        let _ = write!(
            out,
            "\n{} {} {}",
            case.step_label(s.index),
            s.keyword,
            s.outcome
        );
        if let Some(m) = &s.message {
            let _ = write!(out, ": {m}");
        }
    }
    out
}

/// Human-readable log of one case for `<system-out>`, ending with the attachment lines.
pub(crate) fn step_log(case: &CaseReport, run_dir: Option<&Path>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "case {} ({}, iteration {}/{})",
        case.id, case.scenario_file, case.iteration, case.iterations
    );
    let _ = writeln!(out, "verdict: {}", case.verdict);
    if !case.parties.is_empty() {
        let parties: Vec<String> = case
            .parties
            .iter()
            .map(|p| format!("{}={} ({})", p.role, p.handset, p.number))
            .collect();
        let _ = writeln!(out, "parties: {}", parties.join(", "));
    }
    log_steps(&mut out, case);
    log_events_and_measurements(&mut out, case);
    log_checks(&mut out, case);
    let t = &case.timing;
    let _ = writeln!(
        out,
        "timing: audio {:.1} s, waits {:.1} s, overhead {:.1} s",
        t.audio_s, t.waits_s, t.overhead_s
    );
    log_attachments(&mut out, case, run_dir);
    out
}

/// The `steps:` block: one line per step, its name (when it has one) before its description.
fn log_steps(out: &mut String, case: &CaseReport) {
    if case.steps.is_empty() {
        return;
    }
    out.push_str("steps:\n");
    for s in &case.steps {
        let name = s
            .name
            .as_deref()
            .map(|n| format!("\"{n}\": "))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:>3} {:<8} {:<7} +{:.0} ms ({:.0} ms) {name}{}",
            s.index, s.outcome, s.keyword, s.started_ms, s.duration_ms, s.description
        );
        if let Some(m) = &s.message {
            let _ = writeln!(out, "        {m}");
        }
    }
}

/// The `events:` and `measurements:` blocks; a score names its band and standard.
fn log_events_and_measurements(out: &mut String, case: &CaseReport) {
    if !case.events.is_empty() {
        out.push_str("events:\n");
        for e in &case.events {
            let _ = writeln!(out, "  +{:.0} ms {} {}", e.at_ms, e.party, e.event);
        }
    }
    if !case.measurements.is_empty() {
        out.push_str("measurements:\n");
        for m in &case.measurements {
            let dir = m.direction.as_deref().unwrap_or("-");
            let _ = write!(
                out,
                "  step {} {} {}: {} {}",
                m.step, dir, m.name, m.value, m.unit
            );
            let _ = writeln!(out, "{}", score_note(m));
        }
    }
}

/// ` (wb, ITU-T P.862.2 ...)` for a score that names its band or standard, else nothing.
pub(crate) fn score_note(m: &crate::model::Measurement) -> String {
    let parts: Vec<&str> = [m.band.as_deref(), m.standard.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// The `checks:` block.
fn log_checks(out: &mut String, case: &CaseReport) {
    if case.checks.is_empty() {
        return;
    }
    out.push_str("checks:\n");
    for c in &case.checks {
        let verdict = if c.passed { "pass" } else { "FAIL" };
        let _ = writeln!(out, "  {verdict} {}", check_line(case, c));
    }
}

/// One check as the failure text and the step log both show it.
fn check_line(case: &CaseReport, c: &crate::model::Check) -> String {
    format!(
        "{} {}: expected {}, actual {}",
        case.step_label(c.step),
        c.name,
        c.expected,
        c.actual
    )
}

/// One `[[ATTACHMENT|path]]` line per attachment. GitLab links only the first attachment line
/// of a testcase, so recordings go first, the failing steps' ones (the verdict's first).
fn log_attachments(out: &mut String, case: &CaseReport, run_dir: Option<&Path>) {
    for a in ordered_attachments(case) {
        let path = match run_dir {
            Some(root) => root.join(&a.path).to_string_lossy().into_owned(),
            None => a.path.clone(),
        };
        // The attachment syntax is line-based: a path must stay on one line.
        let path: String = path
            .chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
            .collect();
        let _ = writeln!(out, "[[ATTACHMENT|{path}]]");
    }
}

/// The case's attachments in JUnit order: recordings of failing steps (most important step
/// first), other recordings, then everything else; otherwise in the order given.
pub(crate) fn ordered_attachments(case: &CaseReport) -> Vec<&Attachment> {
    let failing = case.failing_steps();
    let rank = |a: &Attachment| {
        if a.kind != "recording" {
            return failing.len() + 1;
        }
        a.step
            .and_then(|s| failing.iter().position(|&f| f == s))
            .unwrap_or(failing.len())
    };
    let mut out: Vec<&Attachment> = case.attachments.iter().collect();
    out.sort_by_key(|a| rank(a));
    out
}

fn prop(name: &str, value: &str) -> Property {
    Property::new(xml_safe(name), xml_safe(value))
}

/// A single-line, bounded message for a `message` attribute.
fn attr_message(message: &str) -> String {
    let one_line: String = xml_safe(message)
        .chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .collect();
    if one_line.chars().count() > MAX_ATTR_MESSAGE {
        let mut cut: String = one_line.chars().take(MAX_ATTR_MESSAGE).collect();
        cut.push('…');
        cut
    } else {
        one_line
    }
}

fn timestamp(s: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(s).ok()
}

fn duration(seconds: f64) -> Option<Duration> {
    if seconds.is_finite() && seconds >= 0.0 {
        Duration::try_from_secs_f64(seconds).ok()
    } else {
        None
    }
}
