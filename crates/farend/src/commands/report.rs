//! `farend report merge RUN… --out DIR`: joins the shards of one plan, run on several hosts
//! with `farend run --shard I/N`, into one run folder (JUnit, results.json with KPIs, HTML
//! and the cases' evidence files).
//!
//! Exit codes are those of `farend run` for the merged run (0 every case passed, 1 a case
//! failed or a case of the plan is in none of the runs, 3 a lab fault), and 2 for runs that
//! cannot be merged (different plans, the same shard twice, unreadable files).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use farend_report::RunReport;

use super::{CliError, Outcome};

/// Arguments of `farend report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// What to do with reports.
    #[command(subcommand)]
    pub what: ReportWhat,
}

/// The report subcommands.
#[derive(Debug, Subcommand)]
pub enum ReportWhat {
    /// Join shards of one plan into one run.
    Merge(MergeArgs),
}

/// Arguments of `farend report merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The runs to join: run folders (or their results.json).
    #[arg(required = true, num_args = 1..)]
    pub runs: Vec<PathBuf>,
    /// The merged run's folder (created; its name becomes the run id).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Runs `farend report`.
pub fn run(args: ReportArgs) -> Outcome {
    match args.what {
        ReportWhat::Merge(args) => merge(args),
    }
}

/// A run and the folder its evidence paths are relative to.
fn read_run(path: &Path) -> Result<(RunReport, PathBuf), CliError> {
    let (file, dir) = if path.is_dir() {
        (path.join(farend_report::JSON_FILE), path.to_path_buf())
    } else {
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        (path.to_path_buf(), dir)
    };
    let report =
        farend_report::read_results(&file).map_err(|e| CliError::BadInput(e.to_string()))?;
    Ok((report, dir))
}

fn merge(args: MergeArgs) -> Outcome {
    let runs: Vec<(RunReport, PathBuf)> = args
        .runs
        .iter()
        .map(|p| read_run(p))
        .collect::<Result<_, _>>()?;
    let run_id = args
        .out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "merged".into());
    let reports: Vec<RunReport> = runs.iter().map(|(r, _)| r.clone()).collect();
    let merged =
        farend_report::merge(&reports, &run_id).map_err(|e| CliError::BadInput(e.to_string()))?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| CliError::LabFault(format!("cannot create {}: {e}", args.out.display())))?;
    for (report, dir) in &runs {
        copy_evidence(report, dir, &args.out)?;
    }
    let files = farend_report::write_all(&merged.report, &args.out)
        .map_err(|e| CliError::LabFault(format!("cannot write the report: {e}")))?;
    for id in &merged.missing {
        eprintln!("warning: case {id} is in none of the merged runs (a shard is missing)");
    }
    crate::output::summary(&merged.report, &files);
    Ok(if merged.missing.is_empty() {
        super::run::exit_code(&merged.report)
    } else {
        match super::run::exit_code(&merged.report) {
            code if code == ExitCode::from(3) => code,
            _ => ExitCode::from(1),
        }
    })
}

/// Copies every evidence file of the run's cases into the merged run folder, keeping its
/// path relative to the run folder. A file that is gone is reported, not fatal.
fn copy_evidence(report: &RunReport, from: &Path, to: &Path) -> Result<(), CliError> {
    for attachment in report.cases.iter().flat_map(|c| &c.attachments) {
        let relative = Path::new(&attachment.path);
        if relative.is_absolute() || relative.components().any(|c| c.as_os_str() == "..") {
            eprintln!(
                "warning: {}: evidence path outside the run folder, not copied",
                attachment.path
            );
            continue;
        }
        let (source, target) = (from.join(relative), to.join(relative));
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                CliError::LabFault(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        if let Err(e) = std::fs::copy(&source, &target) {
            eprintln!(
                "warning: {}: {e}; the merged report links to a missing file",
                source.display()
            );
        }
    }
    Ok(())
}
