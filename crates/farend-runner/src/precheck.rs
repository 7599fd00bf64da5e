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

/// The party's `require:`: one SIM in service that is on one of the radio technologies it
/// names and ready (or not) for voice over IMS as it asks. A handset whose SIMs in service
/// do not show what is asked cannot be said to meet it.
fn meets(sims: &Sims, requirement: &Requirement) -> Result<(), String> {
    let serving: Vec<(usize, &ServiceState)> = sims
        .iter()
        .filter_map(|(slot, s)| {
            let s = s.as_ref()?;
            (s.voice == Registration::InService).then_some((slot.slot + 1, s))
        })
        .collect();
    let radio_ok = |s: &ServiceState| {
        requirement.radio.is_empty()
            || s.radio
                .as_deref()
                .is_some_and(|r| requirement.radio.iter().any(|w| w.eq_ignore_ascii_case(r)))
    };
    let volte_ok = |s: &ServiceState| requirement.volte.is_none_or(|want| s.volte() == Some(want));
    if serving.iter().any(|(_, s)| radio_ok(s) && volte_ok(s)) {
        return Ok(());
    }
    let written = requirement_text(requirement);
    let unshown = if !requirement.radio.is_empty() && serving.iter().all(|(_, s)| s.radio.is_none())
    {
        Some("no voice radio technology")
    } else if requirement.volte.is_some() && serving.iter().all(|(_, s)| s.volte().is_none()) {
        Some("neither voice over PS nor an IMS PDN")
    } else {
        None
    };
    if let Some(unshown) = unshown {
        return Err(format!(
            "cannot be checked against `require: {{ {written} }}`: its release shows {unshown}"
        ));
    }
    let shown: Vec<String> = serving
        .iter()
        .map(|(slot, s)| {
            let ims = if requirement.volte.is_some() {
                format!(", {}", ims_text(s))
            } else {
                String::new()
            };
            format!(
                "SIM {slot}: {}{ims}",
                s.radio.as_deref().unwrap_or("unknown")
            )
        })
        .collect();
    Err(format!(
        "does not meet `require: {{ {written} }}` (voice on {})",
        shown.join(", ")
    ))
}

/// `radio: LTE or NR, volte: true`, as the messages quote a requirement.
fn requirement_text(requirement: &Requirement) -> String {
    let mut parts = Vec::new();
    if !requirement.radio.is_empty() {
        parts.push(format!("radio: {}", requirement.radio.join(" or ")));
    }
    if let Some(volte) = requirement.volte {
        parts.push(format!("volte: {volte}"));
    }
    parts.join(", ")
}

/// What a SIM shows about voice over IMS, for messages.
fn ims_text(s: &ServiceState) -> String {
    match (s.volte(), s.voice_over_ps, s.ims_pdn.as_deref()) {
        (Some(true), _, _) => "VoLTE ready".to_owned(),
        (_, Some(false), _) => "no VoLTE: the network offers no voice over PS".to_owned(),
        (Some(false), _, Some("NONE")) => "no VoLTE: no IMS PDN".to_owned(),
        (Some(false), _, Some(pdn)) => format!("no VoLTE: IMS PDN {pdn}"),
        _ => "VoLTE not shown".to_owned(),
    }
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
                    Some(ServiceState::new(
                        voice.clone(),
                        None,
                        radio.map(str::to_string),
                    )),
                )
            })
            .collect()
    }

    #[test]
    fn a_requirement_is_met_by_a_sim_in_service_on_a_named_radio() {
        let lte_or_nr = Requirement {
            radio: vec!["LTE".into(), "NR".into()],
            volte: None,
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
    fn a_volte_requirement_needs_one_sim_ready_for_voice_over_ims() {
        let require = |radio: &[&str], volte| Requirement {
            radio: radio.iter().map(|r| r.to_string()).collect(),
            volte: Some(volte),
            location: farend_scenario::Location::new(1, 1),
        };
        let with_ims = |vops: Option<bool>, pdn: Option<&str>, radio: &str| {
            let mut state = ServiceState::new(Registration::InService, None, Some(radio.into()));
            state.voice_over_ps = vops;
            state.ims_pdn = pdn.map(str::to_string);
            state
        };
        let slot = |slot| SimSlot {
            slot,
            state: None,
            operator: None,
            radio: None,
        };
        let ready = with_ims(Some(true), Some("CONNECTED"), "LTE");
        let no_vops = with_ims(Some(false), Some("CONNECTED"), "LTE");
        let no_pdn = with_ims(None, Some("NONE"), "NR");
        let unshown = with_ims(None, None, "LTE");
        let one = |s: &ServiceState| vec![(slot(0), Some(s.clone()))];
        assert_eq!(meets(&one(&ready), &require(&[], true)), Ok(()));
        assert_eq!(meets(&one(&no_vops), &require(&[], false)), Ok(()));
        let err = meets(&one(&no_vops), &require(&[], true)).unwrap_err();
        assert!(
            err.contains("`require: { volte: true }`") && err.contains("no voice over PS"),
            "{err}"
        );
        let err = meets(&one(&no_pdn), &require(&["NR"], true)).unwrap_err();
        assert!(
            err.contains("radio: NR, volte: true")
                && err.contains("SIM 1: NR, no VoLTE: no IMS PDN"),
            "{err}"
        );
        let err = meets(&one(&unshown), &require(&[], true)).unwrap_err();
        assert!(
            err.contains("shows neither voice over PS nor an IMS PDN"),
            "{err}"
        );
        // Radio and VoLTE must hold on the same SIM.
        let two = vec![
            (
                slot(0),
                Some(with_ims(Some(true), Some("CONNECTED"), "LTE")),
            ),
            (slot(1), Some(with_ims(None, Some("NONE"), "UMTS"))),
        ];
        assert!(meets(&two, &require(&["UMTS"], true)).is_err());
        assert_eq!(meets(&two, &require(&["UMTS"], false)), Ok(()));
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
