//! Checks before a case's first step that its handsets can take part: in service, screen on
//! and unlocked. A handset that fails one is a lab fault naming it and the check, not a
//! network failure. A handset whose output shows no known form of a state passes that check.

use crate::case::CaseRun;
use crate::lab::LabHandset;
use farend_device::{DeviceError, Registration, ScreenState, ServiceState, SimSlot};
use farend_report::{ErrorKind, Verdict};
use farend_scenario::Requirement;
use std::time::Duration;

/// How long a handset gets to show the screen on and the keyguard gone after being woken.
const SETTLE: Duration = Duration::from_millis(500);

/// Runs every check on every bound handset at once; the first handset that fails one ends
/// the case before it starts.
pub(crate) async fn pre_check(run: &CaseRun<'_>) -> Result<(), Verdict> {
    let scenario = &run.case.scenario;
    let checks = run.bound.iter().zip(&scenario.parties).map(|(h, role)| {
        let requirement = scenario
            .requires
            .iter()
            .find(|(party, _)| party == role)
            .map(|(_, r)| r);
        check_handset(h, requirement)
    });
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
async fn check_handset(h: &LabHandset, requirement: Option<&Requirement>) -> Result<(), String> {
    // Errors reading the state are the steps' to report.
    if let Ok(sims) = h.device.sims().await {
        in_service(&sims)?;
        if let Some(requirement) = requirement {
            meets(&sims, requirement)?;
        }
    }
    screen_ready(h).await
}

type Sims = [(SimSlot, Option<ServiceState>)];

/// In service on at least one SIM.
fn in_service(sims: &Sims) -> Result<(), String> {
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

/// The party's `require:`: a SIM in service on one of the radio technologies it names. A
/// handset whose SIMs in service show no radio technology cannot be said to meet it.
fn meets(sims: &Sims, requirement: &Requirement) -> Result<(), String> {
    let serving: Vec<(usize, Option<&str>)> = sims
        .iter()
        .filter_map(|(slot, s)| {
            let s = s.as_ref()?;
            (s.voice == Registration::InService).then_some((slot.slot + 1, s.radio.as_deref()))
        })
        .collect();
    let wanted = requirement.radio.join(" or ");
    if serving.iter().any(|(_, radio)| {
        radio.is_some_and(|r| requirement.radio.iter().any(|w| w.eq_ignore_ascii_case(r)))
    }) {
        return Ok(());
    }
    if serving.iter().all(|(_, radio)| radio.is_none()) {
        return Err(format!(
            "cannot be checked against `require: {{ radio: {wanted} }}`: its release shows no voice radio technology"
        ));
    }
    let shown: Vec<String> = serving
        .iter()
        .map(|(slot, radio)| format!("SIM {slot}: {}", radio.unwrap_or("unknown")))
        .collect();
    Err(format!(
        "does not meet `require: {{ radio: {wanted} }}` (voice on {})",
        shown.join(", ")
    ))
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

    fn sims(radios: &[(Registration, Option<&str>)]) -> Vec<(SimSlot, Option<ServiceState>)> {
        radios
            .iter()
            .enumerate()
            .map(|(slot, (voice, radio))| {
                (
                    SimSlot {
                        slot,
                        state: None,
                        operator: None,
                        radio: None,
                    },
                    Some(ServiceState {
                        voice: voice.clone(),
                        operator: None,
                        radio: radio.map(str::to_string),
                    }),
                )
            })
            .collect()
    }

    #[test]
    fn a_requirement_is_met_by_a_sim_in_service_on_a_named_radio() {
        let lte_or_nr = Requirement {
            radio: vec!["LTE".into(), "NR".into()],
            location: farend_scenario::Location::new(1, 1),
        };
        let ok = sims(&[
            (Registration::OutOfService, Some("NR")),
            (Registration::InService, Some("LTE")),
        ]);
        assert_eq!(meets(&ok, &lte_or_nr), Ok(()));
        // The NR SIM is out of service: only the in-service UMTS one counts.
        let umts = sims(&[
            (Registration::OutOfService, Some("NR")),
            (Registration::InService, Some("UMTS")),
        ]);
        let err = meets(&umts, &lte_or_nr).unwrap_err();
        assert!(
            err.contains("LTE or NR") && err.contains("SIM 2: UMTS"),
            "{err}"
        );
        let unknown = sims(&[(Registration::InService, None)]);
        let err = meets(&unknown, &lte_or_nr).unwrap_err();
        assert!(err.contains("shows no voice radio technology"), "{err}");
    }

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
