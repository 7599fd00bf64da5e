//! Handset control over ADB for farend: place, answer and end calls, read the call state,
//! identify the phone and collect its logs.
//!
//! The same code drives real phones (behind an `adb` server or over `adb tcpip`) and the
//! virtual handsets of `farend-lab`, which speak the ADB device protocol.
//!
//! ```no_run
//! use farend_device::{CallState, Connection, Handset, Number, Timeouts};
//! use std::time::Duration;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let a = Handset::new("a", Connection::Direct { addr: "127.0.0.1:6001".parse()? }, Timeouts::default());
//! let b = Handset::new(
//!     "b",
//!     Connection::Server { server: "127.0.0.1:5037".parse()?, serial: "2A111FDH6004XY".into() },
//!     Timeouts::default(),
//! );
//! a.dial(&"+421900000002".parse::<Number>()?).await?;
//! b.wait_for_state(CallState::Ringing, Duration::from_secs(20)).await?;
//! b.answer().await?;
//! a.hang_up().await?;
//! # Ok(()) }
//! ```
//!
//! ADB calls are blocking (adb_client); each runs on its own thread under a watchdog, so a
//! hung phone yields [`DeviceError::Timeout`] instead of a hang. Exit statuses travel as a
//! `; echo :farend-rc:$?` marker appended to every command, since the adb protocol loses them
//! on some paths. [`DeviceError::is_lab_fault`] tells a broken lab from a network verdict.

mod error;
mod handset;
mod number;
pub mod parse;
mod precise;
mod quote;
pub mod radio;
mod transport;
mod types;

use std::net::SocketAddr;
use std::time::Duration;

pub use error::{CallStateError, DeviceError, NumberError, ParseError};
pub use handset::{
    BUG_REPORT_LIMIT, BugReport, COMMAND_LOG_CAPACITY, Connection, Handset, LOGCAT_LINES,
    REPLY_LIMIT, SHELL_OUTPUT_LIMIT, STATE_POLL_INTERVAL, ScreenState, Timeouts,
};
pub use number::{DIALABLE_RULE, MAX_NUMBER_LEN, Number, is_dialable};
pub use precise::{CallPhase, DisconnectCause, PreciseCallState, parse_precise_call_state};
pub use quote::{command_line, quote};
pub use radio::{Registration, ServiceState, SimSlot, decode_capture, service_states, sim_slots};
pub use types::{CallState, CommandRecord, Identity, ServerDevice, ShellOutput, TelecomCall};

/// Lists the devices an adb server knows (`adb devices`), giving up after `timeout`.
///
/// Does not start a server: an unreachable server is [`DeviceError::Offline`] naming the
/// server address.
pub async fn server_devices(
    server: SocketAddr,
    timeout: Duration,
) -> Result<Vec<ServerDevice>, DeviceError> {
    let device = format!("adb server {server}");
    match transport::watched(timeout + Duration::from_millis(500), "devices", move || {
        transport::list_devices(server, timeout)
    })
    .await
    {
        transport::Watched::Done(Ok(list)) => Ok(list),
        transport::Watched::Done(Err(detail)) | transport::Watched::Lost(detail) => {
            Err(DeviceError::Offline { device, detail })
        }
        transport::Watched::TimedOut => Err(DeviceError::Timeout {
            device,
            command: "host:devices".to_owned(),
            after: timeout,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send_sync<T: Send + Sync + Clone + 'static>() {}

    #[test]
    fn handles_are_send_sync() {
        send_sync::<Handset>();
        send_sync::<DeviceError>();
    }

    #[test]
    fn lab_fault_classification() {
        let device = "x".to_owned();
        let command = "c".to_owned();
        let after = Duration::from_secs(1);
        let faults = [
            DeviceError::Timeout {
                device: device.clone(),
                command: command.clone(),
                after,
            },
            DeviceError::Offline {
                device: device.clone(),
                detail: "d".into(),
            },
            DeviceError::CommandFailed {
                device: device.clone(),
                command: command.clone(),
                exit_code: 1,
                output: String::new(),
            },
            DeviceError::Parse {
                device: device.clone(),
                command,
                detail: "d".into(),
            },
        ];
        for e in &faults {
            assert!(e.is_lab_fault(), "{e}");
            assert_eq!(e.device(), "x");
        }
        let verdict = DeviceError::StateTimeout {
            device,
            want: CallState::Ringing,
            last: Some(CallState::Idle),
            after,
        };
        assert!(!verdict.is_lab_fault());
        assert_eq!(
            verdict.to_string(),
            "x: call state did not become ringing within 1s (last seen: idle)"
        );
    }

    #[test]
    fn devices_body() {
        let list = transport::parse_devices("a\tdevice\n\nb offline\nbroken\n");
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].serial, "b");
        assert_eq!(list[1].state, "offline");
    }
}
