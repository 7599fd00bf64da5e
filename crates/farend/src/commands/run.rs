//! `farend run`: load scenarios, set up the lab, run the plan, write the reports.

use super::{CliError, Outcome};
use crate::output::Progress;
use clap::Args;
use farend_report::RunReport;
use farend_runner::{Lab, RunOptions};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

/// Arguments of `farend run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files or folders of them (default: scenarios/).
    pub paths: Vec<PathBuf>,
    /// Lab file binding roles to real handsets; without one the built-in virtual lab runs.
    #[arg(long)]
    pub lab: Option<PathBuf>,
    /// Folder for reports; each run writes a sub-folder named after its run id.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Run every scenario this many times, whatever its own `repeat` says.
    #[arg(long)]
    pub repeat: Option<u32>,
    /// Only cases whose scenario name or case id matches (substring, or a glob with `*`).
    #[arg(long)]
    pub filter: Option<String>,
    /// How many cases may run at once (handsets permitting).
    #[arg(long, short = 'j', default_value_t = 2)]
    pub jobs: usize,
    /// Run only shard I of N (`1/3`, `2/3`, `3/3`): every N-th case of the plan, for labs split over hosts.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<(u32, u32)>,
    /// Show phone numbers in full in reports (they are redacted by default).
    #[arg(long)]
    pub no_redact: bool,
    /// Runs every case on this network profile of the virtual network (built in:
    /// clean-g711, amr-nb-12.2, amr-wb-12.65, opus-wb, lte-poor, dropped-call,
    /// one-way-audio; or a lab file's `network:`).
    #[arg(long, value_name = "NAME")]
    pub network: Option<String>,
    #[command(flatten)]
    pub refs: super::RefsArg,
    #[command(flatten)]
    pub virtual_lab: super::VirtualLabArgs,
}

/// Parses `I/N` with 1 <= I <= N.
fn parse_shard(text: &str) -> Result<(u32, u32), String> {
    let (i, n) = text.split_once('/').ok_or("expected I/N, e.g. 1/3")?;
    let (i, n): (u32, u32) = (
        i.trim()
            .parse()
            .map_err(|_| format!("`{i}` is not a number"))?,
        n.trim()
            .parse()
            .map_err(|_| format!("`{n}` is not a number"))?,
    );
    if n == 0 || i == 0 || i > n {
        return Err(format!("shard {i}/{n}: need 1 <= I <= N"));
    }
    Ok((i, n))
}

/// A run id from the current UTC time, made unique within `out`.
fn new_run_dir(out: &Path) -> PathBuf {
    let now = time::OffsetDateTime::now_utc();
    let base = format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let mut dir = out.join(&base);
    let mut n = 2;
    while dir.exists() {
        dir = out.join(format!("{base}-{n}"));
        n += 1;
    }
    dir
}

/// Points `out/latest` at the newest run (best effort: not every file system has links).
fn link_latest(out: &Path, run_dir: &Path) {
    #[cfg(unix)]
    if let Some(name) = run_dir.file_name() {
        let link = out.join("latest");
        let _ = std::fs::remove_file(&link);
        let _ = std::os::unix::fs::symlink(name, &link);
    }
}

/// The exit code for a finished run: 3 when the lab failed, 1 when a case failed, else 0.
pub fn exit_code(report: &RunReport) -> ExitCode {
    let counts = report.counts();
    if counts.errors > 0 {
        ExitCode::from(3)
    } else if counts.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs `farend run`.
pub fn run(args: RunArgs) -> Outcome {
    let refs = args.refs.open()?;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        args.paths.clone()
    };
    let scenarios = super::load_scenarios(&paths, &refs)?;
    let mut plan = farend_scenario::plan(scenarios, args.repeat, args.filter.as_deref());
    if let Some((i, n)) = args.shard {
        plan = plan.shard(i - 1, n);
    }
    if plan.cases.is_empty() {
        return Err(CliError::BadInput("no case matches: nothing to run".into()));
    }
    let lab_file = args
        .lab
        .as_deref()
        .map(|p| farend_scenario::load_lab(p).map_err(super::load_error))
        .transpose()?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::LabFault(format!("cannot start the async runtime: {e}")))?;

    // A lab file of `network:` profiles (and `virtual:`) describes the built-in virtual lab.
    let real_lab = lab_file.as_ref().filter(|f| !f.handsets.is_empty());
    let network = farend_runner::network::NetworkChoice {
        profiles: farend_runner::network::profiles(lab_file.as_ref())
            .map_err(|e| CliError::BadInput(e.to_string()))?,
        forced: args.network.clone(),
    };
    let scenarios: Vec<&farend_scenario::Scenario> =
        plan.cases.iter().map(|c| c.scenario.as_ref()).collect();
    network
        .check(&scenarios, real_lab.is_none())
        .map_err(|e| CliError::BadInput(e.to_string()))?;

    // The virtual lab owns its own threads; it lives as long as this function.
    let mut virtual_lab = None;
    let lab = match real_lab {
        Some(file) => Lab::from_file(file, Default::default()),
        None => {
            let config =
                super::virtual_config(args.virtual_lab.config(args.jobs), lab_file.as_ref());
            let vl =
                std::sync::Arc::new(farend_lab::VirtualLab::start(config).map_err(|e| {
                    CliError::LabFault(format!("cannot start the virtual lab: {e}"))
                })?);
            let lab = Lab::from_virtual(&vl, Default::default()).map(|mut lab| {
                lab.bug_report_on_failure = lab_file.as_ref().and_then(|f| f.bug_report_on_failure);
                lab
            });
            virtual_lab = Some(vl);
            lab
        }
    }
    .map_err(|e| CliError::BadInput(e.to_string()))?;

    let run_dir = new_run_dir(&args.out);
    std::fs::create_dir_all(&run_dir)
        .map_err(|e| CliError::LabFault(format!("cannot create {}: {e}", run_dir.display())))?;
    let mut options = RunOptions::new(run_dir.clone());
    options.jobs = args.jobs.max(1);
    options.redact = !args.no_redact;
    options.network = network;

    let progress = Progress::new(plan.cases.len());
    progress.line(&format!(
        "farend: {} case(s) from {} scenario file(s) on the {} lab; reports in {}",
        plan.cases.len(),
        plan.cases
            .iter()
            .map(|c| &c.scenario.path)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        lab.kind,
        run_dir.display()
    ));

    let cancel = CancellationToken::new();
    let report = runtime.block_on(async {
        let token = cancel.clone();
        let interrupt = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                token.cancel();
            }
        });
        let report = farend_runner::run(&plan, &lab, &refs, &options, cancel.clone(), &|event| {
            progress.event(event)
        })
        .await;
        interrupt.abort();
        report
    });
    progress.finish();
    drop(lab);
    drop(virtual_lab);

    let files = farend_report::write_all(&report, &run_dir)
        .map_err(|e| CliError::LabFault(format!("cannot write the report: {e}")))?;
    link_latest(&args.out, &run_dir);
    crate::output::summary(&report, &files);
    Ok(exit_code(&report))
}

#[cfg(test)]
mod tests {
    use super::parse_shard;

    #[test]
    fn shards_parse_and_refuse_nonsense() {
        assert_eq!(parse_shard("2/3"), Ok((2, 3)));
        assert!(parse_shard("0/3").is_err());
        assert!(parse_shard("4/3").is_err());
        assert!(parse_shard("3").is_err());
        assert!(parse_shard("a/b").is_err());
    }
}
