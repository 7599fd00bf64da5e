//! The parsers against what real phones printed: every file of `$FAREND_REFS/android-real`
//! (Android 7 to 16; Pixel, OnePlus, Motorola, Samsung, Nokia, Sony; see its `SOURCES.md`),
//! each with the values read from the file by hand. The files stay in the shared folder; a
//! file added there without a test here fails `every_file_is_covered`.

use std::path::PathBuf;

use farend_device::parse::{getprop, identity, telecom_calls, telephony_registry};
use farend_device::{
    CallPhase, CallState, Registration, decode_capture, parse_precise_call_state, service_states,
    sim_slots,
};

/// The corpus folder; CI has it, elsewhere a missing folder skips with the reason.
fn corpus() -> Option<PathBuf> {
    match std::env::var_os("FAREND_REFS") {
        Some(refs) => Some(PathBuf::from(refs).join("android-real")),
        None if std::env::var_os("CI").is_some() => {
            panic!("FAREND_REFS is not set: CI must point it at the shared reference folder")
        }
        None => {
            eprintln!("skipped: FAREND_REFS is not set (the real Android captures live there)");
            None
        }
    }
}

/// A capture's text, decoded as a saved file is (UTF-16 or UTF-8).
fn read(name: &str) -> Option<String> {
    let path = corpus()?.join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some(decode_capture(&bytes))
}

/// Every file this test reads.
const FILES: &[&str] = &[
    "24or25_unknown-qcom_V2_PRO_dumpsys-phone.txt",
    "24or25_unknown-qcom_V2_PRO_telephony-registry_idle-outofservice.txt",
    "24or25_unknown-qcom_esim-device_telephony-registry_idle-fragment.txt",
    "26_oneplus_ONEPLUS-A5010_getprop.utf16le.txt",
    "27_huawei-google_nexus6p-angler_getprop-grep-fragment.txt",
    "27_oneplus_ONEPLUS-A5010_getprop.utf16le.txt",
    "28_hmd_nokia6.1-treble-gsi_polled-calls-fragment.txt",
    "28_oneplus_GM1915_getprop.txt",
    "29_oneplus_HD1911_getprop-dualsim.txt",
    "29_samsung_unknown-qcom-lineage17.1_logcat-radio_mo-call-excerpt.txt",
    "30_oneplus_GM1913_getprop.crlf.txt",
    "31_oneplus_LE2115_getprop.txt",
    "33_oneplus_CPH2451_getprop.txt",
    "35_motorola_unknown_telecom_mt-missed.txt",
    "36_google_pixel8-shiba_getprop-excerpt.txt",
    "36_google_pixel8-shiba_telephony-registry_idle-dualsim-fragment.txt",
    "36_oneplus_unknown_telecom_active-voip-and-sim-calls.utf16le.txt",
    "36_oneplus_unknown_telecom_active-voip-and-sim-calls.utf8-derived.txt",
    "36_unknown-qcom_unknown_telecom_mo-calls.utf16le.txt",
    "36_unknown-qcom_unknown_telecom_mo-calls.utf8-derived.txt",
    "unknown_sony_xperia-z3c-aries_logcat-telecom_disconnect-fragment.txt",
    "unknown_sony_xperia-z3c-aries_logcat-telecom_mt-answer-fragment.txt",
];

#[test]
fn every_file_is_covered() {
    let Some(dir) = corpus() else { return };
    let mut present: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "SOURCES.md")
        .collect();
    present.sort();
    let mut known: Vec<String> = FILES.iter().map(|s| s.to_string()).collect();
    known.sort();
    assert_eq!(
        present, known,
        "a capture without a test, or a test without its capture"
    );
}

/// (file, model, manufacturer, release, sdk, [(sim state, operator, radio)] per slot)
type GetpropCase = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<u32>,
    &'static [(
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
    )],
);

#[test]
fn getprop_of_eight_releases_gives_identity_and_sims() {
    let cases: &[GetpropCase] = &[
        (
            "26_oneplus_ONEPLUS-A5010_getprop.utf16le.txt",
            "ONEPLUS A5010",
            "OnePlus",
            "8.0.0",
            Some(26),
            &[
                (Some("READY"), Some("F-Bouygues Telecom"), Some("LTE")),
                (Some("ABSENT"), None, None),
            ],
        ),
        (
            "27_oneplus_ONEPLUS-A5010_getprop.utf16le.txt",
            "ONEPLUS A5010",
            "OnePlus",
            "8.1.0",
            Some(27),
            &[
                (Some("READY"), Some("F-Bouygues Telecom"), Some("LTE")),
                (Some("ABSENT"), None, None),
            ],
        ),
        // Filtered by grep and cut short: no model, the release only in the fingerprint.
        (
            "27_huawei-google_nexus6p-angler_getprop-grep-fragment.txt",
            "",
            "",
            "8.1.0",
            None,
            &[(None, None, Some("LTE"))],
        ),
        (
            "28_oneplus_GM1915_getprop.txt",
            "GM1915",
            "OnePlus",
            "9",
            Some(28),
            &[(Some("LOADED"), Some("T-Mobile"), Some("LTE"))],
        ),
        (
            "29_oneplus_HD1911_getprop-dualsim.txt",
            "HD1911",
            "OnePlus",
            "10",
            Some(29),
            &[
                (Some("LOADED"), Some("airtel"), Some("LTE")),
                (Some("LOADED"), Some("Jio 4G"), Some("LTE")),
            ],
        ),
        // CRLF, and the SIM in slot 2 only.
        (
            "30_oneplus_GM1913_getprop.crlf.txt",
            "GM1913",
            "OnePlus",
            "11",
            Some(30),
            &[
                (Some("ABSENT"), None, None),
                (Some("LOADED"), Some("T-Mobile  NL"), Some("LTE")),
            ],
        ),
        (
            "31_oneplus_LE2115_getprop.txt",
            "LE2115",
            "OnePlus",
            "12",
            Some(31),
            &[
                (Some("LOADED"), Some("KDDI"), Some("LTE")),
                (Some("ABSENT"), None, None),
            ],
        ),
        // Both SIMs absent, yet the modem reports NR standalone on slot 1.
        (
            "33_oneplus_CPH2451_getprop.txt",
            "CPH2451",
            "OnePlus",
            "13",
            Some(33),
            &[
                (Some("ABSENT"), None, Some("NR_SA")),
                (Some("ABSENT"), None, None),
            ],
        ),
        (
            "36_google_pixel8-shiba_getprop-excerpt.txt",
            "Pixel 8",
            "Google",
            "16",
            Some(36),
            &[
                (Some("LOADED"), Some("China Telecom"), Some("LTE")),
                (Some("LOADED"), Some("China Unicom"), Some("LTE")),
            ],
        ),
    ];
    for &(file, model, manufacturer, release, sdk, sims) in cases {
        let Some(text) = read(file) else { return };
        let props = getprop(&text);
        let id = identity(&props);
        assert_eq!(
            (
                id.model.as_str(),
                id.manufacturer.as_str(),
                id.android_release.as_str(),
                id.sdk
            ),
            (model, manufacturer, release, sdk),
            "{file}"
        );
        let slots = sim_slots(&props);
        let got: Vec<(Option<&str>, Option<&str>, Option<&str>)> = slots
            .iter()
            .map(|s| {
                (
                    s.state.as_deref(),
                    s.operator.as_deref(),
                    s.radio.as_deref(),
                )
            })
            .collect();
        assert_eq!(got, sims, "{file}");
        // No value keeps a line end of a CRLF capture.
        assert!(props.values().all(|v| !v.contains('\r')), "{file}");
    }
    // A value spanning two lines, and a non-ASCII SIM operator name.
    let Some(pixel) = read("36_google_pixel8-shiba_getprop-excerpt.txt") else {
        return;
    };
    let props = getprop(&pixel);
    assert_eq!(
        props["persist.sys.boot.reason.history"],
        "reboot,ota,1784346843\nreboot,userrequested,ota_update,1784346809"
    );
    assert_eq!(props["gsm.sim.operator.alpha"], "中国电信,GLOBE");
}

#[test]
fn telephony_registry_of_android_7_and_16() {
    // Android 7: fields straight under `Phone Id=0`, the space-separated service state.
    let Some(v2) = read("24or25_unknown-qcom_V2_PRO_telephony-registry_idle-outofservice.txt")
    else {
        return;
    };
    assert_eq!(telephony_registry(&v2).unwrap(), [(0, CallState::Idle)]);
    let service = service_states(&v2);
    assert_eq!(service.len(), 1);
    assert_eq!(service[0].1.voice, Registration::OutOfService);
    assert_eq!(
        (service[0].1.operator.clone(), service[0].1.radio.clone()),
        (None, None)
    );
    assert_eq!(
        parse_precise_call_state(&v2),
        None,
        "Android 7 prints no precise state"
    );

    let Some(esim) = read("24or25_unknown-qcom_esim-device_telephony-registry_idle-fragment.txt")
    else {
        return;
    };
    assert_eq!(telephony_registry(&esim).unwrap(), [(0, CallState::Idle)]);
    let service = service_states(&esim);
    assert_eq!(service[0].1.voice, Registration::InService);
    assert_eq!(service[0].1.operator.as_deref(), Some("树米eSIM"));
    assert_eq!(service[0].1.radio.as_deref(), Some("LTE"));

    // Android 16, two SIMs, brace-map service state, precise states of -1 (no call yet).
    let Some(pixel) = read("36_google_pixel8-shiba_telephony-registry_idle-dualsim-fragment.txt")
    else {
        return;
    };
    assert_eq!(
        telephony_registry(&pixel).unwrap(),
        [(0, CallState::Idle), (1, CallState::Idle)]
    );
    let service = service_states(&pixel);
    let summary: Vec<(u32, Registration, Option<&str>, Option<&str>)> = service
        .iter()
        .map(|(id, s)| {
            (
                *id,
                s.voice.clone(),
                s.operator.as_deref(),
                s.radio.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                0,
                Registration::InService,
                Some("China Telecom"),
                Some("LTE")
            ),
            (
                1,
                Registration::InService,
                Some("China Unicom"),
                Some("LTE")
            ),
        ],
        "the local-logs history (out of service at boot) is not the state"
    );
    // SIM 1 at home: the network offers voice over PS (`mVopsSupport = 2`) and the IMS PDN
    // is up; SIM 2 roaming: no VoPS (`= 3`) and an empty data-connection list.
    let ims: Vec<(Option<bool>, Option<&str>, Option<bool>)> = service
        .iter()
        .map(|(_, s)| (s.voice_over_ps, s.ims_pdn.as_deref(), s.volte()))
        .collect();
    assert_eq!(
        ims,
        [
            (Some(true), Some("CONNECTED"), Some(true)),
            (Some(false), Some("NONE"), Some(false)),
        ]
    );
    // Android 7 shows neither.
    let v2_service = service_states(&v2);
    assert_eq!(
        (v2_service[0].1.voice_over_ps, v2_service[0].1.volte()),
        (None, None)
    );
    let precise = parse_precise_call_state(&pixel);
    assert!(
        precise.is_none_or(|p| p.foreground == CallPhase::Idle && p.ringing == CallPhase::Idle),
        "{precise:?}"
    );
}

#[test]
fn dumpsys_telecom_of_android_15_and_16() {
    // Android 15: no call up; one missed incoming IMS call in the history, written
    // `Call TC@1: {` in the analytics and `CallTC@1 [...](MT - incoming)` in the events.
    let Some(moto) = read("35_motorola_unknown_telecom_mt-missed.txt") else {
        return;
    };
    let calls = telecom_calls(&moto);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].id, "TC@1");
    assert_eq!(calls[0].direction.as_deref(), Some("INCOMING"));
    assert_eq!(calls[0].technologies, ["IMS"]);
    assert!(
        calls[0]
            .termination
            .as_deref()
            .is_some_and(|t| t.contains("MISSED")),
        "{:?}",
        calls[0].termination
    );

    // The event-log header alone (`CallTC@1`, no space) still gives the direction.
    let events_only = &moto[moto.find("Historical Events:").expect("events")..];
    let calls = telecom_calls(events_only);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].direction.as_deref(), Some("INCOMING"));

    // Android 16 saved on Windows (UTF-16LE, CRLF) and its UTF-8 copy: eleven outgoing
    // calls, each once although analytics and events both list them.
    for file in [
        "36_unknown-qcom_unknown_telecom_mo-calls.utf16le.txt",
        "36_unknown-qcom_unknown_telecom_mo-calls.utf8-derived.txt",
    ] {
        let Some(text) = read(file) else { return };
        let calls = telecom_calls(&text);
        let ids: Vec<&str> = calls.iter().map(|c| c.id.as_str()).collect();
        let expected: Vec<String> = (1..=11).map(|n| format!("TC@{n}")).collect();
        assert_eq!(ids, expected, "{file}");
        assert!(
            calls
                .iter()
                .all(|c| c.direction.as_deref() == Some("OUTGOING")),
            "{file}: {:?}",
            calls.iter().map(|c| &c.direction).collect::<Vec<_>>()
        );
        assert!(
            calls
                .iter()
                .all(|c| !c.fields.values().any(|v| v.contains('\r')))
        );
    }

    // Android 16 with a call up: the self-managed Zoom call TC@127 is ACTIVE.
    for file in [
        "36_oneplus_unknown_telecom_active-voip-and-sim-calls.utf16le.txt",
        "36_oneplus_unknown_telecom_active-voip-and-sim-calls.utf8-derived.txt",
    ] {
        let Some(text) = read(file) else { return };
        let calls = telecom_calls(&text);
        let zoom = calls.iter().find(|c| c.id == "TC@127").expect("TC@127");
        assert_eq!(zoom.state.as_deref(), Some("ACTIVE"), "{file}");
        let ids: Vec<&str> = calls.iter().map(|c| c.id.as_str()).collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "{file}: a call listed twice");
        assert_eq!(ids.len(), 99, "{file}: TC@34 … TC@132");
    }
}

#[test]
fn outputs_without_call_state_are_reported_as_such() {
    // `dumpsys phone` of Android 7 (only the visual voicemail section) and logcat excerpts
    // hold no registry call state: the parser says so instead of guessing idle.
    for file in [
        "24or25_unknown-qcom_V2_PRO_dumpsys-phone.txt",
        "28_hmd_nokia6.1-treble-gsi_polled-calls-fragment.txt",
        "29_samsung_unknown-qcom-lineage17.1_logcat-radio_mo-call-excerpt.txt",
        "unknown_sony_xperia-z3c-aries_logcat-telecom_disconnect-fragment.txt",
        "unknown_sony_xperia-z3c-aries_logcat-telecom_mt-answer-fragment.txt",
    ] {
        let Some(text) = read(file) else { return };
        assert!(
            matches!(
                telephony_registry(&text),
                Err(farend_device::ParseError::NoCallState)
            ),
            "{file}"
        );
        assert!(service_states(&text).is_empty(), "{file}");
        assert!(
            getprop(&text).is_empty() || file.contains("getprop"),
            "{file}"
        );
    }
}
