//! farend: end-to-end voice call tests on mobile handsets.

mod commands;

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
    /// Score a degraded recording against its reference (ITU-T P.862 family).
    Score(commands::score::ScoreArgs),
    /// Detect DTMF digits, tones or call-progress tones in a recording.
    Detect(commands::detect::DetectArgs),
    /// Build a fingerprint index or identify a recording against one.
    Fingerprint(commands::fingerprint::FingerprintArgs),
    /// Delay and audio-path verdicts of a recording against its reference.
    Analyze(commands::analyze::AnalyzeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Score(args) => commands::score::run(args),
        Command::Detect(args) => commands::detect::run(args),
        Command::Fingerprint(args) => commands::fingerprint::run(args),
        Command::Analyze(args) => commands::analyze::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("farend: error: {err}");
            err.exit_code()
        }
    }
}
