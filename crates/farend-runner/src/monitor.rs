//! Watches the bound handsets' call states during a case and records every change as an event.

use farend_device::{CallState, Handset};
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

impl StateMonitor {
    /// Starts polling `(role, handset)` pairs, appending `state X->Y` events timed from `start`.
    pub fn start(
        parties: Vec<(String, Handset)>,
        start: Instant,
        events: Arc<Mutex<Vec<CallEvent>>>,
    ) -> StateMonitor {
        let stop = CancellationToken::new();
        let token = stop.clone();
        let task = tokio::spawn(async move {
            let mut last: Vec<Option<CallState>> = vec![None; parties.len()];
            loop {
                for (i, (role, handset)) in parties.iter().enumerate() {
                    // Errors are the step engine's to report; the monitor only records changes.
                    // A command is never cut short here: its own watchdog ends it and logs
                    // it, where dropping it would leave its worker waiting on the handset.
                    if let Ok(state) = handset.call_state().await
                        && last[i] != Some(state)
                    {
                        let from = last[i].map_or_else(|| "?".to_string(), |s| s.to_string());
                        last[i] = Some(state);
                        events
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(CallEvent {
                                at_ms: start.elapsed().as_secs_f64() * 1000.0,
                                party: role.clone(),
                                event: format!("state {from}->{state}"),
                                source: farend_report::EventSource::Monitor,
                            });
                    }
                }
                tokio::select! {
                    _ = token.cancelled() => break,
                    _ = tokio::time::sleep(POLL) => {}
                }
            }
        });
        StateMonitor { stop, task }
    }

    /// Stops the monitor and waits for it.
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}
