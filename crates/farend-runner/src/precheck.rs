//! Checks before a case's first step that its handsets can take part: in service, screen on
//! and unlocked. A handset that fails one is a lab fault naming it and the check, not a
//! network failure. A handset whose output shows no known form of a state passes that check.

use crate::case::CaseRun;
use crate::lab::LabHandset;
use farend_device::{DeviceError, ScreenState};
use farend_report::{ErrorKind, Verdict};
use std::time::Duration;

/// How long a handset gets to show the screen on and the keyguard gone after being woken.
const SETTLE: Duration = Duration::from_millis(500);

/// Runs every check on every bound handset at once; the first handset that fails one ends
/// the case before it starts.
pub(crate) async fn pre_check(run: &CaseRun<'_>) -> Result<(), Verdict> {
    let checks = run.bound.iter().map(|h| check_handset(h));
    for (h, outcome) in run
        .bound
        .iter()
        .zip(futures::future::join_all(checks).await)
    {
        if let Err(problem) = outcome {
            let role = run
                .bound
                .iter()
                .zip(&run.case.scenario.parties)
                .find(|(b, _)| b.id == h.id)
                .map_or("?", |(_, r)| r.as_str());
            return Err(Verdict::Error {
                kind: ErrorKind::LabSetup,
                message: format!("pre-check: {role} ({}) {problem}", h.id),
                device: Some(h.id.clone()),
            });
        }
    }
    Ok(())
}

/// One handset's checks; `Err` says what is wrong, to follow the handset's name.
async fn check_handset(h: &LabHandset) -> Result<(), String> {
    in_service(h).await?;
    screen_ready(h).await
}

/// In service on at least one SIM. Errors reading the state are the steps' to report.
async fn in_service(h: &LabHandset) -> Result<(), String> {
    let Ok(sims) = h.device.sims().await else {
        return Ok(());
    };
    let states: Vec<String> = sims
        .iter()
        .filter_map(|(slot, service)| {
            let service = service.as_ref()?;
            Some(format!("SIM {}: {}", slot.slot + 1, service.voice))
        })
        .collect();
    let in_service = sims.iter().any(|(_, s)| {
        s.as_ref()
            .is_some_and(|s| s.voice == farend_device::Registration::InService)
    });
    if !states.is_empty() && !in_service {
        return Err(format!("is not in service ({})", states.join(", ")));
    }
    Ok(())
}

/// Screen on and keyguard gone. A handset that is asleep or shows a keyguard is woken and
/// its keyguard dismissed, as a tester would before a call; only one that stays asleep or
/// locked (a PIN, pattern or password is set) fails.
async fn screen_ready(h: &LabHandset) -> Result<(), String> {
    let Ok(before) = h.device.screen().await else {
        return Ok(());
    };
    if is_ready(before) {
        return Ok(());
    }
    let after = async {
        h.device.wake_and_unlock().await?;
        tokio::time::sleep(SETTLE).await;
        h.device.screen().await
    };
    match after.await {
        Ok(after) if is_ready(after) => Ok(()),
        Ok(after) => Err(not_ready(after)),
        Err(e) => Err(could_not_wake(&e)),
    }
}

/// Ready unless the screen is known to be off or the keyguard known to show.
fn is_ready(screen: ScreenState) -> bool {
    screen.awake != Some(false) && screen.keyguard != Some(true)
}

fn not_ready(screen: ScreenState) -> String {
    if screen.awake == Some(false) {
        "keeps its screen off after `input keyevent KEYCODE_WAKEUP` (dumpsys power)".to_string()
    } else {
        "is locked: its keyguard stays after `wm dismiss-keyguard`, so a PIN, pattern or \
         password is set; remove the lock or unlock the handset before the run"
            .to_string()
    }
}

fn could_not_wake(e: &DeviceError) -> String {
    format!("is asleep or locked and could not be woken: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_known_bad_state_is_not_ready() {
        let state = |awake, keyguard| ScreenState { awake, keyguard };
        assert!(is_ready(state(Some(true), Some(false))));
        assert!(is_ready(state(None, None)), "unknown forms pass");
        assert!(!is_ready(state(Some(false), None)));
        assert!(!is_ready(state(Some(true), Some(true))));
        assert!(not_ready(state(Some(true), Some(true))).contains("is locked"));
        assert!(not_ready(state(Some(false), Some(true))).contains("screen off"));
    }
}
