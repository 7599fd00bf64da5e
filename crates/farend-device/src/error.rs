//! Error types of the device layer.

use std::time::Duration;

use crate::CallState;

/// Why a command to a handset failed.
///
/// Every variant names the handset (`device`) and, where there is one, the command line that was
/// sent, so a report can say which phone and which step broke.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// The handset did not answer within the watchdog time; the connection was discarded.
    #[error("{device}: `{command}` timed out after {after:?}")]
    Timeout {
        /// Handset name.
        device: String,
        /// Command line (or `connect`) that timed out.
        command: String,
        /// Watchdog time that elapsed.
        after: Duration,
    },
    /// The handset (or the adb server in front of it) could not be reached.
    #[error("{device}: offline: {detail}")]
    Offline {
        /// Handset name.
        device: String,
        /// What the transport reported.
        detail: String,
    },
    /// A command ran but reported failure (non-zero exit status or an error message).
    #[error("{device}: `{command}` failed with exit code {exit_code}: {output}")]
    CommandFailed {
        /// Handset name.
        device: String,
        /// Command line that failed.
        command: String,
        /// Exit status reported by the handset's shell.
        exit_code: i32,
        /// Output of the command (trimmed).
        output: String,
    },
    /// The output of a command could not be understood.
    #[error("{device}: cannot parse the output of `{command}`: {detail}")]
    Parse {
        /// Handset name.
        device: String,
        /// Command line whose output was not understood.
        command: String,
        /// What was wrong with it.
        detail: String,
    },
    /// A command could not be sent at all (for example an argument holding a NUL byte).
    #[error("{device}: cannot send `{command}`: {detail}")]
    InvalidCommand {
        /// Handset name.
        device: String,
        /// The offending command line (NUL bytes shown escaped).
        command: String,
        /// Why it cannot be sent.
        detail: String,
    },
    /// The connection settings cannot work (for example an IPv6 adb server address).
    #[error("{device}: bad connection settings: {detail}")]
    Config {
        /// Handset name (or the server address for server-wide calls).
        device: String,
        /// What is wrong.
        detail: String,
    },
    /// The handset did not reach the wanted call state in time: a network verdict, not a lab fault.
    #[error("{device}: call state did not become {want} within {after:?} (last seen: {})", last.map_or_else(|| "unknown".to_owned(), |s| s.to_string()))]
    StateTimeout {
        /// Handset name.
        device: String,
        /// The state that was awaited.
        want: CallState,
        /// The last state read, if any read succeeded.
        last: Option<CallState>,
        /// How long it waited.
        after: Duration,
    },
}

impl DeviceError {
    /// True when the error means the lab is broken (adb, handset, settings), false when it is
    /// a verdict about the network under test (a call that did not reach a state in time).
    pub fn is_lab_fault(&self) -> bool {
        !matches!(self, DeviceError::StateTimeout { .. })
    }

    /// Name of the handset the error is about.
    pub fn device(&self) -> &str {
        match self {
            DeviceError::Timeout { device, .. }
            | DeviceError::Offline { device, .. }
            | DeviceError::CommandFailed { device, .. }
            | DeviceError::Parse { device, .. }
            | DeviceError::InvalidCommand { device, .. }
            | DeviceError::Config { device, .. }
            | DeviceError::StateTimeout { device, .. } => device,
        }
    }
}

/// Errors of the pure output parsers in [`crate::parse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The text holds no `mCallState=` entry at all.
    #[error("no mCallState entry found")]
    NoCallState,
    /// An `mCallState=` entry holds something other than 0, 1 or 2.
    #[error("line {line}: unknown call state value {value:?}")]
    BadCallState {
        /// 1-based line number.
        line: usize,
        /// The value found.
        value: String,
    },
    /// A `Phone Id=` header holds something other than a number.
    #[error("line {line}: bad phone id {value:?}")]
    BadPhoneId {
        /// 1-based line number.
        line: usize,
        /// The value found.
        value: String,
    },
}

/// Why a string is not a dialable number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberError {
    /// The string is empty (or only a `+`).
    #[error("a number needs at least one digit, `*` or `#`")]
    Empty,
    /// The string is longer than 32 characters.
    #[error("a number is at most 32 characters long, this one has {len}")]
    TooLong {
        /// Length found.
        len: usize,
    },
    /// A character other than a leading `+`, `0-9`, `*` or `#`.
    #[error(
        "character {ch:?} at position {position} is not allowed in a number (only a leading '+', 0-9, '*' and '#')"
    )]
    BadCharacter {
        /// The character.
        ch: char,
        /// 0-based character position.
        position: usize,
    },
}

/// Why a call state name was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown call state {0:?} (expected idle, ringing or offhook)")]
pub struct CallStateError(pub String);
