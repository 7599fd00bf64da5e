//! Waiting for the precise state of a party's own call (`alerting`, `active`), which
//! `mCallState` cannot show: a caller is "offhook" from the moment it dials, so a call to an
//! unassigned number would look like a call that is up. Android 8 and later print the
//! precise state in `dumpsys telephony.registry`; on Android 7, `active` falls back to the
//! newest call's state in `dumpsys telecom` and `alerting` cannot be observed.

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

/// The phase of the newest call `dumpsys telecom` lists (the highest `TC@` number), for
/// releases that print no precise call state (Android 7). Telecom has no alerting state: a
/// caller's call stays `DIALING` until it is answered, so only `active` can be waited for
/// this way.
pub fn telecom_phase(calls: &[farend_device::TelecomCall]) -> Option<CallPhase> {
    let number = |id: &str| {
        id.trim_start_matches("TC@")
            .split('_')
            .next()
            .and_then(|n| n.parse::<u64>().ok())
    };
    let newest = calls.iter().max_by_key(|c| number(&c.id))?;
    Some(match newest.state.as_deref()? {
        "ACTIVE" => CallPhase::Active,
        "ON_HOLD" => CallPhase::Holding,
        "DIALING" | "CONNECTING" | "SELECT_PHONE_ACCOUNT" | "NEW" => CallPhase::Dialing,
        "RINGING" | "ANSWERED" => CallPhase::Incoming,
        "DISCONNECTING" => CallPhase::Disconnecting,
        "DISCONNECTED" | "ABORTED" => CallPhase::Disconnected,
        _ => return None,
    })
}

/// The party's foreground call phase and last disconnect cause: from the precise call state,
/// or for `active` on releases without one, from `dumpsys telecom` (no cause there).
async fn current_phase(
    device: &Handset,
    want: CallStateName,
) -> Result<Option<(CallPhase, Option<DisconnectCause>)>, DeviceError> {
    if let Some(state) = device.precise_call_state().await? {
        return Ok(Some((state.foreground, state.disconnect_cause)));
    }
    if want != CallStateName::Active {
        return Ok(None);
    }
    let calls = device.telecom_calls().await?;
    Ok(Some((
        telecom_phase(&calls).unwrap_or(CallPhase::Idle),
        None,
    )))
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
        let Some((phase, cause)) = current_phase(device, want).await? else {
            return Ok(PhaseWait::Unsupported);
        };
        let state = farend_device::PreciseCallState {
            ringing: CallPhase::Idle,
            foreground: phase,
            disconnect_cause: cause,
        };
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
    fn the_newest_telecom_call_gives_the_phase_where_no_precise_state_is_printed() {
        // Android 7's current-call list and an older call in the history.
        let dump = "Call TC@1: {\n    state: DISCONNECTED\n}\nmCalls:\n  [TC@2, ACTIVE, com.android.phone/com.android.services.telephony.TelephonyConnectionService]\n";
        let calls = farend_device::parse::telecom_calls(dump);
        assert_eq!(telecom_phase(&calls), Some(CallPhase::Active));
        let dialing = dump.replace("TC@2, ACTIVE", "TC@2, DIALING");
        let calls = farend_device::parse::telecom_calls(&dialing);
        assert_eq!(telecom_phase(&calls), Some(CallPhase::Dialing));
        let ended =
            "Call TC@10: {\n    state: DISCONNECTED\n}\nCall TC@9: {\n    state: ACTIVE\n}\n";
        let calls = farend_device::parse::telecom_calls(ended);
        assert_eq!(
            telecom_phase(&calls),
            Some(CallPhase::Disconnected),
            "TC@10 is newest"
        );
        assert_eq!(telecom_phase(&[]), None);
    }

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
