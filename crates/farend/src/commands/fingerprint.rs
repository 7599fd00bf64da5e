//! `farend fingerprint` (being written).

use clap::Args;

/// Arguments of `farend fingerprint`.
#[derive(Debug, Args)]
pub struct FingerprintArgs {}

/// Runs `farend fingerprint`.
pub fn run(_args: FingerprintArgs) -> super::Outcome {
    Err(super::CliError::BadInput("not available yet".into()))
}
