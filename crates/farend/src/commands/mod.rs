//! One module per subcommand; each exposes clap `Args` and a `run` function.

use std::process::ExitCode;

pub mod analyze;
pub mod detect;
pub mod fingerprint;
pub mod score;

/// Why a subcommand could not finish; the binary prints it and exits with its code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The user gave something unusable (a file, an argument): exit code 2.
    #[error("{0}")]
    BadInput(String),
    /// The lab or the machine failed (device, sound card, I/O): exit code 3.
    #[error("{0}")]
    LabFault(String),
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::BadInput(_) => ExitCode::from(2),
            CliError::LabFault(_) => ExitCode::from(3),
        }
    }
}

/// What a subcommand returns: its exit code, or an error to print.
pub type Outcome = Result<ExitCode, CliError>;
