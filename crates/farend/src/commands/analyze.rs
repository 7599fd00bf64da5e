//! `farend analyze` (being written).

use clap::Args;

/// Arguments of `farend analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {}

/// Runs `farend analyze`.
pub fn run(_args: AnalyzeArgs) -> super::Outcome {
    Err(super::CliError::BadInput("not available yet".into()))
}
