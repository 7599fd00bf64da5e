//! The output parsers against fixtures of real Android output, release by release.

use std::path::PathBuf;

use farend_device::parse::{self, most_active};
use farend_device::{CallState, ParseError};

fn fixture(release: &str, name: &str) -> String {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "fixtures",
        release,
        name,
    ]
    .iter()
    .collect();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

use CallState::{Idle, Offhook, Ringing};

/// A fixture folder, the states it must parse to and the most active of them.
type RegistryCase = (&'static str, &'static [(u32, CallState)], CallState);

#[test]
fn telephony_registry_per_release() {
    let cases: &[RegistryCase] = &[
        // Android 7: no `Phone Id` header, one slot.
        ("android-7", &[(0, Ringing)], Ringing),
        // Android 10: one slot in a call; global fields follow the block.
        ("android-10", &[(0, Offhook)], Offhook),
        // Android 12 dual SIM: the second SIM rings.
        ("android-12", &[(0, Idle), (1, Ringing)], Ringing),
        // Android 13 dual SIM: the second SIM is in a call.
        ("android-13", &[(0, Idle), (1, Offhook)], Offhook),
        // Android 14: mCallState after other fields; a log line mentions mCallState=2.
        ("android-14", &[(0, Idle), (1, Idle)], Idle),
    ];
    for (release, want, active) in cases {
        let text = fixture(release, "telephony.registry.txt");
        let got = parse::telephony_registry(&text).unwrap_or_else(|e| panic!("{release}: {e}"));
        assert_eq!(&got, want, "{release}");
        assert_eq!(most_active(&got), *active, "{release}");
    }
}

#[test]
fn telephony_registry_inline_and_crlf() {
    let text = "last known state:\r\n  Phone Id=0 mCallState=2 mCallIncomingNumber=\r\n  Phone Id=1\r\n    mRingingCallState=0, mCallState=1, mForegroundCallState=0\r\n";
    assert_eq!(
        parse::telephony_registry(text).expect("parses"),
        vec![(0, Offhook), (1, Ringing)]
    );
}

#[test]
fn telephony_registry_rejects_garbage() {
    assert_eq!(parse::telephony_registry(""), Err(ParseError::NoCallState));
    assert_eq!(
        parse::telephony_registry("Can't find service: telephony.registry\n"),
        Err(ParseError::NoCallState)
    );
    assert!(matches!(
        parse::telephony_registry("  Phone Id=0\n    mCallState=7\n"),
        Err(ParseError::BadCallState { line: 2, .. })
    ));
    assert!(matches!(
        parse::telephony_registry("  Phone Id=x\n    mCallState=0\n"),
        Err(ParseError::BadPhoneId { line: 1, .. })
    ));
    // Only the log section mentions a state: no current state is known.
    assert_eq!(
        parse::telephony_registry("last known state:\nlocal logs:\n  mCallState=2\n"),
        Err(ParseError::NoCallState)
    );
}

#[test]
fn telecom_android_10() {
    let calls = parse::telecom_calls(&fixture("android-10", "telecom.txt"));
    let ids: Vec<&str> = calls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["TC@4", "TC@3"]);
    let active = &calls[0];
    assert_eq!(active.state.as_deref(), Some("ACTIVE"));
    assert_eq!(active.direction.as_deref(), Some("INCOMING"));
    assert_eq!(active.technologies, ["GSM"]);
    let done = &calls[1];
    assert_eq!(done.state, None);
    assert_eq!(done.direction.as_deref(), Some("OUTGOING"));
    assert_eq!(done.start_time.as_deref(), Some("1590998100000"));
    assert_eq!(done.end_time.as_deref(), Some("1590998400000"));
    assert!(
        done.termination
            .as_deref()
            .is_some_and(|t| t.contains("(LOCAL)"))
    );
    // Event-log lines (timestamps) are not fields.
    assert!(!done.fields.keys().any(|k| k.starts_with("2020")));
}

#[test]
fn telecom_android_12_ringing_new_list_format() {
    let calls = parse::telecom_calls(&fixture("android-12", "telecom.txt"));
    let ids: Vec<&str> = calls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["TC@7", "TC@6"]);
    assert_eq!(calls[0].state.as_deref(), Some("RINGING"));
    assert_eq!(calls[0].direction.as_deref(), Some("INCOMING"));
    assert_eq!(
        calls[0].fields.get("handle").map(String::as_str),
        Some("tel:***")
    );
    assert_eq!(calls[1].technologies, ["IMS"]);
    assert!(
        calls[1]
            .termination
            .as_deref()
            .is_some_and(|t| t.contains("MISSED"))
    );
}

#[test]
fn telecom_android_13_active_outgoing() {
    let calls = parse::telecom_calls(&fixture("android-13", "telecom.txt"));
    let active = calls.iter().find(|c| c.id == "TC@11").expect("TC@11");
    assert_eq!(active.state.as_deref(), Some("ACTIVE"));
    assert_eq!(active.direction.as_deref(), Some("OUTGOING"));
    assert_eq!(active.start_time.as_deref(), Some("1683621000000"));
    let old = calls.iter().find(|c| c.id == "TC@10").expect("TC@10");
    assert_eq!(old.direction.as_deref(), Some("OUTGOING"));
    assert!(
        old.termination
            .as_deref()
            .is_some_and(|t| t.contains("REMOTE"))
    );
    assert_eq!(calls.len(), 2);
}

#[test]
fn telecom_android_14_history_only() {
    let calls = parse::telecom_calls(&fixture("android-14", "telecom.txt"));
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|c| c.state.is_none()));
    assert_eq!(calls[0].id, "TC@20");
    assert_eq!(
        calls[0].fields.get("durationMillis").map(String::as_str),
        Some("32840")
    );
    assert_eq!(calls[1].direction.as_deref(), Some("INCOMING"));
    assert_eq!(calls[1].technologies, ["GSM"]);
}

#[test]
fn telecom_inline_block_and_nothing() {
    let text = "Call TC@1: {startTime: 2024-01-01 10:00:00.000, direction: OUTGOING, state: ACTIVE, callTechnologies: GSM}\n";
    let calls = parse::telecom_calls(text);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].state.as_deref(), Some("ACTIVE"));
    assert_eq!(calls[0].direction.as_deref(), Some("OUTGOING"));
    assert_eq!(
        calls[0].start_time.as_deref(),
        Some("2024-01-01 10:00:00.000")
    );
    assert!(parse::telecom_calls("").is_empty());
    assert!(parse::telecom_calls("Telecom system state\nmCallsManager:\n  mCalls: \n").is_empty());
}

#[test]
fn getprop_and_identity_per_release() {
    // (release, model, manufacturer, device, release, sdk, operator, serial)
    let cases = [
        (
            "android-7",
            "SM-G900F",
            "samsung",
            "klte",
            "7.0",
            24,
            "T-Mobile SK",
            "4d00b2f1a8c3",
        ),
        (
            "android-10",
            "Pixel 3",
            "Google",
            "blueline",
            "10",
            29,
            "Orange SK",
            "89AX0AB12C",
        ),
        (
            "android-12",
            "SM-G780G",
            "samsung",
            "r8q",
            "12",
            31,
            "Telekom SK,O2 - SK",
            "R58R12ABCDE",
        ),
        (
            "android-13",
            "Pixel 7",
            "Google",
            "panther",
            "13",
            33,
            "Orange SK",
            "2A111FDH6004XY",
        ),
        // No network on either slot: `gsm.operator.alpha` is `,`; the SIM's name is used.
        (
            "android-14",
            "moto g54 5G",
            "motorola",
            "cancunf",
            "14",
            34,
            "Orange,",
            "ZY22K3LMNP",
        ),
    ];
    for (release, model, manufacturer, device, android, sdk, operator, serial) in cases {
        let props = parse::getprop(&fixture(release, "getprop.txt"));
        assert!(props.len() >= 10, "{release}: {} properties", props.len());
        let id = parse::identity(&props);
        assert_eq!(id.model, model, "{release}");
        assert_eq!(id.manufacturer, manufacturer, "{release}");
        assert_eq!(id.device, device, "{release}");
        assert_eq!(id.android_release, android, "{release}");
        assert_eq!(id.sdk, Some(sdk), "{release}");
        assert_eq!(id.operator, operator, "{release}");
        assert_eq!(id.serialno, serial, "{release}");
        assert!(
            id.fingerprint.contains(&format!(":{android}/")),
            "{release}: {}",
            id.fingerprint
        );
    }
}

#[test]
fn getprop_edge_cases() {
    let text = "[a]: []\r\n[b.c]: [x]: [y]\n[multi]: [line one\nline two]\nnoise\n[]: [nokey]\n[d]: [last]";
    let props = parse::getprop(text);
    assert_eq!(props.get("a").map(String::as_str), Some(""));
    assert_eq!(props.get("b.c").map(String::as_str), Some("x]: [y"));
    assert_eq!(
        props.get("multi").map(String::as_str),
        Some("line one\nline two")
    );
    assert_eq!(props.get("d").map(String::as_str), Some("last"));
    assert_eq!(props.len(), 4);
    let id = parse::identity(&props);
    assert_eq!(id.model, "");
    assert_eq!(id.sdk, None);
}

#[test]
fn exit_marker() {
    assert_eq!(
        parse::split_exit_marker("hello\n:farend-rc:0\n"),
        Some(("hello\n", 0))
    );
    assert_eq!(
        parse::split_exit_marker(":farend-rc:127\n"),
        Some(("", 127))
    );
    assert_eq!(
        parse::split_exit_marker("no newline:farend-rc:1"),
        Some(("no newline", 1))
    );
    assert_eq!(
        parse::split_exit_marker("echo :farend-rc:5 in output\n:farend-rc:2\r\n"),
        Some(("echo :farend-rc:5 in output\n", 2))
    );
    assert_eq!(parse::split_exit_marker("hello\n"), None);
    assert_eq!(parse::split_exit_marker(":farend-rc:\n"), None);
    assert_eq!(parse::split_exit_marker(":farend-rc:1 trailing\n"), None);
}

#[test]
fn bugreportz_answers_name_the_zip_the_failure_or_nothing() {
    assert_eq!(
        parse::bugreportz_answer(
            "BEGIN:/bugreports/b.zip\nPROGRESS:10/100\nOK:/bugreports/bugreport-x-2026.zip\n"
        ),
        Some(Ok("/bugreports/bugreport-x-2026.zip".to_owned()))
    );
    assert_eq!(
        parse::bugreportz_answer("FAIL:Could not open /bugreports\r\n"),
        Some(Err("Could not open /bugreports".to_owned()))
    );
    assert!(matches!(parse::bugreportz_answer("OK:\n"), Some(Err(_))));
    assert_eq!(
        parse::bugreportz_answer("/system/bin/sh: bugreportz: inaccessible or not found\n"),
        None
    );
}

#[test]
fn a_binary_file_keeps_every_byte_before_the_exit_marker() {
    let mut raw = vec![0x50, 0x4b, 0x03, 0x04, 0xff, 0x00, b'\r', b'\n', 0x80];
    let file = raw.clone();
    raw.extend_from_slice(b":farend-rc:0\r\n");
    assert_eq!(
        parse::split_exit_marker_bytes(&raw),
        Some((file.as_slice(), 0))
    );
    assert_eq!(parse::split_exit_marker_bytes(&file), None);
}

#[test]
fn screen_and_keyguard_are_read_from_each_known_form_or_left_unknown() {
    assert_eq!(
        parse::screen_awake("Power Manager State:\n  mWakefulness=Awake\n"),
        Some(true)
    );
    assert_eq!(
        parse::screen_awake("  mWakefulness=Asleep\n  mWakefulnessChanging=false\n"),
        Some(false)
    );
    assert_eq!(parse::screen_awake("  mWakefulness=Dozing\n"), Some(false));
    assert_eq!(parse::screen_awake("  mScreenOn=true\n"), Some(true));
    // A key that merely ends with the name is not it; an unknown value is unknown.
    assert_eq!(parse::screen_awake("  lastmWakefulness=Awake\n"), None);
    assert_eq!(parse::screen_awake("  mWakefulness=Sideways\n"), None);
    assert_eq!(parse::screen_awake("nothing here"), None);

    assert_eq!(
        parse::keyguard_showing(
            "KeyguardController:\n  mKeyguardShowing=true\n  mAodShowing=false\n"
        ),
        Some(true)
    );
    assert_eq!(
        parse::keyguard_showing(
            "    mShowingLockscreen=false mShowingDream=false mDreamingLockscreen=true\n"
        ),
        Some(false)
    );
    assert_eq!(
        parse::keyguard_showing(
            "    KeyguardServiceDelegate\n      showing=true\n      showingAndNotOccluded=true\n"
        ),
        Some(true)
    );
    assert_eq!(
        parse::keyguard_showing("    mSystemBooted=true\n    showing=true\n"),
        None
    );
}
