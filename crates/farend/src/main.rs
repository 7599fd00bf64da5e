//! farend: end-to-end voice call tests on mobile handsets.

mod commands;
mod output;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// End-to-end voice call tests on mobile handsets.
#[derive(Debug, Parser)]
#[command(name = "farend", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run call scenarios on a lab (the built-in virtual lab unless --lab is given).
    Run(commands::run::RunArgs),
    /// Check scenario and lab files without running them.
    Validate(commands::validate::ValidateArgs),
    /// The built-in virtual lab on its own (`farend lab serve`).
    Lab(commands::lab::LabArgs),
    /// List the lab's handsets: identity, number, call state.
    Devices(commands::devices::DevicesArgs),
    /// Score a degraded recording against its reference (ITU-T P.862 family).
    ///
    /// A single pair exits 1 when its MOS-LQO is below --min-mos or when a warning disqualifies
    /// the score (the recording does not follow the reference, or far too little speech).
    Score(commands::score::ScoreArgs),
    /// Detect DTMF digits, tones or call-progress tones in a recording.
    Detect(commands::detect::DetectArgs),
    /// Build a fingerprint index or identify a recording against one.
    Fingerprint(commands::fingerprint::FingerprintArgs),
    /// Delay and audio-path verdicts of a recording against its reference.
    Analyze(commands::analyze::AnalyzeArgs),
    /// What changed between two runs; exit 1 when the new run is past the thresholds.
    Compare(commands::compare::CompareArgs),
    /// Work on run reports: `farend report merge RUN… --out DIR` joins shards of one plan.
    Report(commands::report::ReportArgs),
    /// Sound cards for lab staff: `farend audio check --mic ... --ear ...`, `farend audio devices`.
    Audio(commands::audio::AudioArgs),
    /// Measure a handset's sound card latency through a loop cable and write it into the lab file.
    Calibrate(commands::calibrate::CalibrateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Run(args) => commands::run::run(args),
        Command::Validate(args) => commands::validate::run(args),
        Command::Lab(args) => commands::lab::run(args),
        Command::Devices(args) => commands::devices::run(args),
        Command::Score(args) => commands::score::run(args),
        Command::Detect(args) => commands::detect::run(args),
        Command::Fingerprint(args) => commands::fingerprint::run(args),
        Command::Analyze(args) => commands::analyze::run(args),
        Command::Audio(args) => commands::audio::run(args),
        Command::Calibrate(args) => commands::calibrate::run(args),
        Command::Compare(args) => commands::compare::run(args),
        Command::Report(args) => commands::report::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("farend: error: {err}");
            err.exit_code()
        }
    }
}
