//! What `farend run` shows while it works and when it ends.

use farend_report::{ReportFiles, RunReport, Verdict};
use farend_runner::RunEvent;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// Progress output: a bar on a terminal, plain log lines otherwise.
pub struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    done: std::sync::atomic::AtomicUsize,
}

/// One word for a verdict, as shown in logs.
pub fn verdict_word(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "PASS",
        Verdict::Failure { .. } => "FAIL",
        Verdict::Error { .. } => "ERROR",
        Verdict::Skipped { .. } => "SKIP",
    }
}

fn verdict_detail(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Pass => String::new(),
        Verdict::Failure { kind, message, .. } => format!(": {kind}: {message}"),
        Verdict::Error { kind, message, .. } => format!(": {kind}: {message}"),
        Verdict::Skipped { reason } => format!(": {reason}"),
    }
}

impl Progress {
    /// Progress for a run of `total` cases.
    pub fn new(total: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            total,
            done: Default::default(),
        }
    }

    /// Prints a line above the bar (or on its own).
    pub fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    /// Shows one runner event.
    pub fn event(&self, event: RunEvent<'_>) {
        match event {
            RunEvent::LabReady { reachable, total } => {
                self.line(&format!("lab: {reachable} of {total} handset(s) answer"));
            }
            RunEvent::CaseStarted { id, handsets } => {
                if let Some(bar) = &self.bar {
                    bar.set_message(format!("{id} on {}", handsets.join(", ")));
                } else {
                    eprintln!("start {id} on {}", handsets.join(", "));
                }
            }
            RunEvent::CaseFinished { report } => {
                let n = self.done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                let width = self.total.to_string().len();
                self.line(&format!(
                    "[{n:>width$}/{}] {:5} {} ({:.1} s){}",
                    self.total,
                    verdict_word(&report.verdict),
                    report.id,
                    report.duration_s,
                    verdict_detail(&report.verdict)
                ));
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
            }
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The one-screen summary printed at the end of a run.
pub fn summary(report: &RunReport, files: &ReportFiles) {
    let c = report.counts();
    crate::commands::print_line("");
    crate::commands::print_line(&format!(
        "farend: {} case(s): {} passed, {} failed, {} error(s), {} skipped in {:.1} s",
        c.total, c.passed, c.failed, c.errors, c.skipped, report.duration_s
    ));
    let mut overheads: Vec<f64> = report
        .cases
        .iter()
        .filter(|c| !c.steps.is_empty())
        .map(|c| c.timing.overhead_s)
        .collect();
    if !overheads.is_empty() {
        overheads.sort_by(f64::total_cmp);
        crate::commands::print_line(&format!(
            "  runner overhead per case (wall time minus audio and waits): median {:.2} s, max {:.2} s",
            overheads[overheads.len() / 2],
            overheads[overheads.len() - 1]
        ));
    }
    for case in report
        .cases
        .iter()
        .filter(|c| !matches!(c.verdict, Verdict::Pass))
    {
        crate::commands::print_line(&format!(
            "  {:5} {}{}",
            verdict_word(&case.verdict),
            case.id,
            verdict_detail(&case.verdict)
        ));
    }
    crate::commands::print_line(&format!("  report:  {}", files.html.display()));
    crate::commands::print_line(&format!("  junit:   {}", files.junit.display()));
    crate::commands::print_line(&format!("  results: {}", files.json.display()));
}
