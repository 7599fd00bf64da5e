//! `farend detect` (being written).

use clap::Args;

/// Arguments of `farend detect`.
#[derive(Debug, Args)]
pub struct DetectArgs {}

/// Runs `farend detect`.
pub fn run(_args: DetectArgs) -> super::Outcome {
    Err(super::CliError::BadInput("not available yet".into()))
}
