//! `farend score` (being written).

use clap::Args;

/// Arguments of `farend score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {}

/// Runs `farend score`.
pub fn run(_args: ScoreArgs) -> super::Outcome {
    Err(super::CliError::BadInput("not available yet".into()))
}
