//! Watches the bound handsets' call states during a case and records every change as an event.
//!
//! Each poll reads `dumpsys telephony.registry` once per handset and records two kinds of
//! change: `state X->Y` for `mCallState` (idle, ringing, offhook: every release prints it)
//! and `call <phase>` for the foreground call's precise state (dialing, alerting, active,
//! disconnected, with the network's disconnect cause), which is what tells a caller's
//! progress apart on the releases that print it.

use farend_device::{CallPhase, CallState, Handset, PreciseCallState};
use farend_report::CallEvent;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How often the monitor asks each handset for its call state.
const POLL: Duration = Duration::from_millis(250);

/// A background task polling call states; stop it with [`StateMonitor::stop`].
pub struct StateMonitor {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

/// What the monitor last saw of one handset.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Seen {
    state: Option<CallState>,
    phase: Option<CallPhase>,
}

impl StateMonitor {
    /// Starts polling `(role, handset)` pairs, appending events timed from `start`. The
    /// states are read once more when the monitor is stopped, so a change in the last poll
    /// interval (a call the network ended just before the last step finished) is kept.
    pub fn start(
        parties: Vec<(String, Handset)>,
        start: Instant,
        events: Arc<Mutex<Vec<CallEvent>>>,
    ) -> StateMonitor {
        let stop = CancellationToken::new();
        let token = stop.clone();
        let task = tokio::spawn(async move {
            let mut seen = vec![Seen::default(); parties.len()];
            loop {
                for (i, (role, handset)) in parties.iter().enumerate() {
                    // Errors are the step engine's to report; the monitor only records changes.
                    // A command is never cut short here: its own watchdog ends it and logs
                    // it, where dropping it would leave its worker waiting on the handset.
                    let Ok((state, precise)) = handset.call_progress().await else {
                        continue;
                    };
                    let at_ms = start.elapsed().as_secs_f64() * 1000.0;
                    let mut events = events.lock().unwrap_or_else(|e| e.into_inner());
                    for event in changes(&mut seen[i], state, precise) {
                        events.push(CallEvent {
                            at_ms,
                            party: role.clone(),
                            event,
                            source: farend_report::EventSource::Monitor,
                        });
                    }
                }
                if token.is_cancelled() {
                    break;
                }
                tokio::select! {
                    _ = token.cancelled() => {}
                    _ = tokio::time::sleep(POLL) => {}
                }
            }
        });
        StateMonitor { stop, task }
    }

    /// Reads every handset once more, then stops the monitor and waits for it.
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

/// The events one reading adds to what was seen before, updating `seen`: `state X->Y` when
/// `mCallState` changed, `call <phase>` when the foreground call's precise phase changed
/// (`call disconnected, cause 16 (normal call clearing)` when the call ended with a cause).
/// A reading without a precise state (older releases) adds no `call` events.
fn changes(seen: &mut Seen, state: CallState, precise: Option<PreciseCallState>) -> Vec<String> {
    let mut out = Vec::new();
    if seen.state != Some(state) {
        let from = seen
            .state
            .map_or_else(|| "?".to_string(), |s| s.to_string());
        out.push(format!("state {from}->{state}"));
        seen.state = Some(state);
    }
    if let Some(precise) = precise {
        let phase = precise.foreground;
        // Idle before any call is no news; idle after one is how some releases end it.
        let news = match seen.phase {
            None => phase != CallPhase::Idle,
            Some(before) => before != phase,
        };
        if news {
            let ended = seen.phase.is_some_and(CallPhase::is_up) && !phase.is_up();
            out.push(match precise.disconnect_cause {
                Some(cause) if ended => format!("call {phase}, {cause}"),
                _ => format!("call {phase}"),
            });
        }
        seen.phase = Some(phase);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use farend_device::DisconnectCause;

    fn precise(foreground: CallPhase, cause: Option<u32>) -> Option<PreciseCallState> {
        Some(PreciseCallState {
            ringing: CallPhase::Idle,
            foreground,
            disconnect_cause: cause.map(DisconnectCause),
        })
    }

    #[test]
    fn a_callers_progress_and_the_networks_cause_become_events() {
        let mut seen = Seen::default();
        let mut all = Vec::new();
        for (state, phase, cause) in [
            (CallState::Idle, CallPhase::Idle, None),
            (CallState::Offhook, CallPhase::Dialing, None),
            (CallState::Offhook, CallPhase::Alerting, None),
            (CallState::Offhook, CallPhase::Alerting, None),
            (CallState::Offhook, CallPhase::Active, None),
            (CallState::Idle, CallPhase::Disconnected, Some(27)),
        ] {
            all.extend(changes(&mut seen, state, precise(phase, cause)));
        }
        assert_eq!(
            all,
            [
                "state ?->idle",
                "state idle->offhook",
                "call dialing",
                "call alerting",
                "call active",
                "state offhook->idle",
                "call disconnected, cause 27 (destination out of order)",
            ]
        );
    }

    #[test]
    fn a_release_without_the_precise_state_gives_call_state_changes_only() {
        let mut seen = Seen::default();
        let mut all = changes(&mut seen, CallState::Idle, None);
        all.extend(changes(&mut seen, CallState::Ringing, None));
        all.extend(changes(&mut seen, CallState::Ringing, None));
        assert_eq!(all, ["state ?->idle", "state idle->ringing"]);
    }

    #[test]
    fn a_cause_left_from_an_earlier_call_is_not_given_to_a_new_one() {
        let mut seen = Seen::default();
        let mut all = changes(
            &mut seen,
            CallState::Idle,
            precise(CallPhase::Idle, Some(17)),
        );
        all.extend(changes(
            &mut seen,
            CallState::Offhook,
            precise(CallPhase::Dialing, Some(17)),
        ));
        assert_eq!(
            all,
            ["state ?->idle", "state idle->offhook", "call dialing"]
        );
    }
}
