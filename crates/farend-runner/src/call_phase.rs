//! Waiting for the precise state of a party's own call (`alerting`, `active`), which
//! `mCallState` cannot show: a caller is "offhook" from the moment it dials, so a call to an
//! unassigned number would look like a call that is up.

use std::time::{Duration, Instant};

use farend_device::{CallPhase, DeviceError, DisconnectCause, Handset};
use farend_scenario::CallStateName;

/// How often the precise state is read while waiting.
const POLL: Duration = Duration::from_millis(100);

/// How a wait for a precise state ended.
#[derive(Debug, PartialEq)]
pub enum PhaseWait {
    /// The state was reached after this long.
    Reached(Duration),
    /// The party's call was up and ended before reaching the state.
    Ended {
        /// The last phase seen while the call was up.
        last: CallPhase,
        /// The network's disconnect cause, when the handset reports one.
        cause: Option<DisconnectCause>,
    },
    /// `within` passed.
    TimedOut {
        /// The last phase seen.
        last: Option<CallPhase>,
        /// The last disconnect cause reported, if any.
        cause: Option<DisconnectCause>,
    },
    /// The handset's Android release does not print the precise call state.
    Unsupported,
}

/// Whether `phase` satisfies a wait for `want`: `alerting` also holds once the call is up
/// (the far end rang before it answered), `active` only while it is up.
pub fn satisfies(want: CallStateName, phase: CallPhase) -> bool {
    match want {
        CallStateName::Alerting => phase == CallPhase::Alerting || phase.is_established(),
        CallStateName::Active => phase.is_established(),
        _ => false,
    }
}

/// Waits until the party's foreground call satisfies `want` (`alerting` or `active`).
pub async fn wait_for_phase(
    device: &Handset,
    want: CallStateName,
    within: Duration,
) -> Result<PhaseWait, DeviceError> {
    let started = Instant::now();
    let mut seen_up: Option<CallPhase> = None;
    loop {
        let Some(state) = device.precise_call_state().await? else {
            return Ok(PhaseWait::Unsupported);
        };
        let phase = state.foreground;
        if satisfies(want, phase) {
            return Ok(PhaseWait::Reached(started.elapsed()));
        }
        if phase.is_up() {
            seen_up = Some(phase);
        } else if let Some(last) = seen_up {
            return Ok(PhaseWait::Ended {
                last,
                cause: state.disconnect_cause,
            });
        }
        let elapsed = started.elapsed();
        if elapsed >= within {
            return Ok(PhaseWait::TimedOut {
                last: Some(phase),
                cause: state.disconnect_cause,
            });
        }
        tokio::time::sleep(POLL.min(within - elapsed)).await;
    }
}

/// ` (network cause N, name)` for a message, or nothing without a cause.
pub fn cause_text(cause: Option<DisconnectCause>) -> String {
    cause.map(|c| format!(" (network {c})")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerting_holds_once_the_call_is_up_and_active_only_then() {
        assert!(satisfies(CallStateName::Alerting, CallPhase::Alerting));
        assert!(satisfies(CallStateName::Alerting, CallPhase::Active));
        assert!(!satisfies(CallStateName::Alerting, CallPhase::Dialing));
        assert!(satisfies(CallStateName::Active, CallPhase::Active));
        assert!(!satisfies(CallStateName::Active, CallPhase::Alerting));
        assert!(!satisfies(CallStateName::Active, CallPhase::Disconnected));
    }
}
