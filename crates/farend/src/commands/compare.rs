//! `farend compare BASELINE NEW`: what changed between two runs, and whether the new run
//! stays within the thresholds.
//!
//! ```text
//! farend compare reports/20261201-101500 reports/latest [--max-mos-drop 0.2]
//!     [--max-setup-failure-increase 0.05] [--max-cut-off-increase 0.05]
//!     [--max-delay-increase-ms MS] [--html compare.html] [--json]
//! ```
//! BASELINE and NEW are run folders or `results.json` files. Exit 0 within the thresholds,
//! 1 past them, 2 for unreadable input.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use farend_report::{Comparison, RunReport, Thresholds};

use super::{CliError, Outcome, print_line};

/// Arguments of `farend compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline run: a run folder or its results.json.
    pub baseline: PathBuf,
    /// The new run: a run folder or its results.json.
    pub new: PathBuf,
    /// Largest allowed drop of a mean MOS-LQO (the run's and each scenario direction's).
    #[arg(long, value_name = "MOS", default_value_t = 0.2)]
    pub max_mos_drop: f64,
    /// Largest allowed increase of the call setup failure ratio (0.05 = 5 points).
    #[arg(long, value_name = "RATIO", default_value_t = 0.05)]
    pub max_setup_failure_increase: f64,
    /// Largest allowed increase of the cut-off (dropped) call ratio.
    #[arg(long, value_name = "RATIO", default_value_t = 0.05)]
    pub max_cut_off_increase: f64,
    /// Largest allowed increase of a median mouth-to-ear delay (not gated unless given).
    #[arg(long, value_name = "MS")]
    pub max_delay_increase_ms: Option<f64>,
    /// Where to write the HTML page.
    #[arg(long, value_name = "FILE", default_value = "compare.html")]
    pub html: PathBuf,
    /// Print the comparison as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Reads a run from its folder or its results.json.
fn read_run(path: &Path) -> Result<RunReport, CliError> {
    let file = if path.is_dir() {
        path.join(farend_report::JSON_FILE)
    } else {
        path.to_path_buf()
    };
    farend_report::read_results(&file).map_err(|e| CliError::BadInput(e.to_string()))
}

/// Runs `farend compare`.
pub fn run(args: CompareArgs) -> Outcome {
    let baseline = read_run(&args.baseline)?;
    let new = read_run(&args.new)?;
    for (name, value) in [
        ("--max-mos-drop", args.max_mos_drop),
        (
            "--max-setup-failure-increase",
            args.max_setup_failure_increase,
        ),
        ("--max-cut-off-increase", args.max_cut_off_increase),
    ] {
        if !(value.is_finite() && value >= 0.0) {
            return Err(CliError::BadInput(format!(
                "{name} must be a number ≥ 0, not {value}"
            )));
        }
    }
    let thresholds = Thresholds {
        max_mos_drop: args.max_mos_drop,
        max_setup_failure_increase: args.max_setup_failure_increase,
        max_cut_off_increase: args.max_cut_off_increase,
        max_delay_increase_ms: args.max_delay_increase_ms,
    };
    let comparison = Comparison::of(&baseline, &new, thresholds);
    std::fs::write(&args.html, farend_report::compare_html(&comparison))
        .map_err(|e| CliError::LabFault(format!("{}: {e}", args.html.display())))?;
    if args.json {
        print_line(&serde_json::to_string_pretty(&comparison).unwrap_or_default());
    } else {
        print_text(&comparison, &args.html);
    }
    Ok(if comparison.within_thresholds() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_text(c: &Comparison, html: &Path) {
    let num = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into());
    let delta = |v: Option<f64>| v.map(|v| format!("{v:+.3}")).unwrap_or_else(|| "-".into());
    print_line(&format!(
        "baseline {}  →  new {}",
        c.baseline_run, c.new_run
    ));
    print_line(&format!(
        "{:<24} {:>10} {:>10} {:>10}",
        "KPI", "baseline", "new", "change"
    ));
    for (name, ch) in &c.kpis {
        print_line(&format!(
            "{name:<24} {:>10} {:>10} {:>10}",
            num(ch.baseline),
            num(ch.new),
            delta(ch.delta)
        ));
    }
    for d in &c.directions {
        print_line(&format!(
            "{} {}: MOS-LQO {} → {} ({}), delay p50 {} → {} ms",
            d.scenario,
            d.direction,
            num(d.mos_lqo.baseline),
            num(d.mos_lqo.new),
            delta(d.mos_lqo.delta),
            num(d.delay_ms.baseline),
            num(d.delay_ms.new)
        ));
    }
    for f in &c.new_failures {
        print_line(&format!("new failure: {}: {}", f.case, f.verdict));
    }
    if c.within_thresholds() {
        print_line("verdict: within every threshold");
    } else {
        for b in &c.breaches {
            print_line(&format!(
                "past threshold: {} {:+.3} (threshold {:.3})",
                b.what, b.delta, b.threshold
            ));
        }
    }
    print_line(&format!("html: {}", html.display()));
}
