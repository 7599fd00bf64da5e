//! Plain data types shared by the parsers and the handset API.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use crate::CallStateError;

/// Android's call state as `TelephonyManager` reports it (`mCallState` 0, 1, 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallState {
    /// No call (0).
    Idle,
    /// An incoming call is ringing (1).
    Ringing,
    /// A call is dialing, active or on hold (2); a caller is offhook from the moment it dials.
    Offhook,
}

impl CallState {
    /// The state for an Android `mCallState` value, if it is one of 0, 1, 2.
    pub fn from_android(value: u32) -> Option<CallState> {
        match value {
            0 => Some(CallState::Idle),
            1 => Some(CallState::Ringing),
            2 => Some(CallState::Offhook),
            _ => None,
        }
    }

    /// The Android `mCallState` value of this state.
    pub fn android_value(self) -> u32 {
        match self {
            CallState::Idle => 0,
            CallState::Ringing => 1,
            CallState::Offhook => 2,
        }
    }

    /// The lowercase name (`idle`, `ringing`, `offhook`).
    pub fn as_str(self) -> &'static str {
        match self {
            CallState::Idle => "idle",
            CallState::Ringing => "ringing",
            CallState::Offhook => "offhook",
        }
    }

    /// The more active of two states (offhook > ringing > idle).
    pub fn most_active(self, other: CallState) -> CallState {
        if other.android_value() > self.android_value() {
            other
        } else {
            self
        }
    }
}

impl fmt::Display for CallState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CallState {
    type Err = CallStateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "idle" | "0" => Ok(CallState::Idle),
            "ringing" | "1" => Ok(CallState::Ringing),
            "offhook" | "off-hook" | "off_hook" | "2" => Ok(CallState::Offhook),
            _ => Err(CallStateError(s.to_owned())),
        }
    }
}

/// Output of one shell command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellOutput {
    /// What the command printed (stderr is merged in), with the exit-status marker removed and
    /// CR LF line ends turned into LF.
    pub stdout: String,
    /// Exit status of the command.
    pub exit_code: i32,
}

/// Who a handset is, from `getprop`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    /// `ro.product.model`, e.g. `Pixel 7`.
    pub model: String,
    /// `ro.product.manufacturer`, e.g. `Google`.
    pub manufacturer: String,
    /// `ro.product.device`, e.g. `panther`.
    pub device: String,
    /// `ro.build.version.release`, e.g. `14`.
    pub android_release: String,
    /// `ro.build.version.sdk`, e.g. 34 (None when absent or not a number).
    pub sdk: Option<u32>,
    /// `ro.build.fingerprint`.
    pub fingerprint: String,
    /// `gsm.operator.alpha` (falls back to `gsm.sim.operator.alpha`); dual-SIM phones list both,
    /// comma-separated.
    pub operator: String,
    /// `ro.serialno` (falls back to `ro.boot.serialno`).
    pub serialno: String,
}

/// One call as `dumpsys telecom` lists it (current calls and the call history).
///
/// Field values are kept as the handset printed them; formats differ between releases.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TelecomCall {
    /// Telecom call id, e.g. `TC@3`.
    pub id: String,
    /// Call state, e.g. `ACTIVE`, `RINGING`, `DIALING`, `DISCONNECTED`, when printed.
    pub state: Option<String>,
    /// `INCOMING`, `OUTGOING` or `UNKNOWN`, when printed.
    pub direction: Option<String>,
    /// Start time as printed.
    pub start_time: Option<String>,
    /// End time as printed.
    pub end_time: Option<String>,
    /// Call technologies, e.g. `GSM`, `IMS`.
    pub technologies: Vec<String>,
    /// Why the call ended (`callTerminationReason` or a disconnect cause), when printed.
    pub termination: Option<String>,
    /// Every `key: value` (or `key=value` in the call list) seen for the call.
    pub fields: BTreeMap<String, String>,
}

/// One command sent to a handset, for the evidence log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommandRecord {
    /// When it was sent.
    pub at: SystemTime,
    /// The arguments as given (before quoting).
    pub argv: Vec<String>,
    /// The command line sent, quoted, including the exit-status marker.
    pub command: String,
    /// Exit status, when the command completed.
    pub exit_code: Option<i32>,
    /// How long it took, including connecting when a connection had to be made.
    pub duration: Duration,
    /// Bytes of output received.
    pub output_bytes: usize,
    /// The reply: what the command printed; a longer one is cut to its first
    /// [`REPLY_LIMIT`](crate::REPLY_LIMIT) bytes and a line saying how long it was (empty
    /// when the command failed to run).
    pub reply: String,
    /// The error, if the command failed to run.
    pub error: Option<String>,
}

/// A device as `adb devices` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServerDevice {
    /// Serial (for network devices `HOST:PORT`).
    pub serial: String,
    /// State as adb prints it: `device`, `offline`, `unauthorized`, ...
    pub state: String,
}
