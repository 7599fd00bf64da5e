//! The device layer against the virtual lab's handsets, straight over TCP (the path
//! `adb tcpip` phones use): identity, a full call A -> B, exit codes, and a handset that dies.

use std::time::{Duration, Instant};

use farend_device::{CallState, Connection, DeviceError, Handset, Number, Timeouts};
use farend_lab::{LabConfig, VirtualLab};

const STATE_WAIT: Duration = Duration::from_secs(10);

fn handset(lab: &VirtualLab, index: usize, name: &str) -> Handset {
    let info = &lab.handsets()[index];
    Handset::new(
        name,
        Connection::Direct {
            addr: info.adb_addr,
        },
        Timeouts::default(),
    )
}

fn start_lab(handsets: usize) -> VirtualLab {
    VirtualLab::start(LabConfig {
        handsets,
        ..LabConfig::default()
    })
    .expect("virtual lab starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_matches_the_lab() {
    let lab = start_lab(2);
    for (i, info) in lab.handsets().iter().enumerate() {
        let phone = handset(&lab, i, &info.id);
        let id = phone.identity().await.expect("identity");
        assert_eq!(id.model, info.model);
        assert_eq!(id.manufacturer, info.manufacturer);
        assert_eq!(id.android_release, info.android_release);
        assert!(id.sdk.is_some_and(|s| s >= 21), "sdk {:?}", id.sdk);
        assert!(!id.serialno.is_empty());
        assert!(!id.fingerprint.is_empty());
    }
    lab.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_and_quoting_through_the_handset_shell() {
    let lab = start_lab(1);
    let phone = handset(&lab, 0, "vh-1");
    assert_eq!(phone.shell(&["true"]).await.expect("true").exit_code, 0);
    assert_eq!(phone.shell(&["false"]).await.expect("false").exit_code, 1);
    let missing = phone.shell(&["no-such-command"]).await.expect("runs");
    assert_eq!(missing.exit_code, 127);
    for text in [
        "plain",
        "two words",
        "it's",
        "$(reboot)",
        "`reboot`",
        "a;b && c || d",
        "$?",
        "\"q\"",
        "back\\slash",
        "line1\nline2",
        "tab\there",
        "#hash",
        "*glob?",
    ] {
        let out = phone.shell(&["echo", text]).await.expect("echo");
        assert_eq!(out.exit_code, 0, "{text:?}");
        assert_eq!(out.stdout, format!("{text}\n"), "{text:?}");
    }
    let log = phone.command_log();
    assert_eq!(log.len(), 16);
    assert_eq!(log[1].argv, ["false"]);
    assert_eq!(log[1].exit_code, Some(1));
    assert_eq!(log[1].command, "false ; echo :farend-rc:$?");
    assert!(
        log.iter()
            .all(|r| r.error.is_none() && r.duration < Duration::from_secs(10))
    );
    assert!(log.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(log[2].reply.contains("not found"), "{:?}", log[2]);
    assert_eq!(log[3].reply, "plain\n");

    // A mark splits the log: only the commands sent after it.
    let mark = phone.command_mark();
    phone
        .shell(&["echo", "after the mark"])
        .await
        .expect("echo");
    let since = phone.command_log_since(mark);
    assert_eq!(since.len(), 1);
    assert_eq!(since[0].argv, ["echo", "after the mark"]);
    assert_eq!(since[0].reply, "after the mark\n");
    assert_eq!(phone.command_log().len(), 17);
    lab.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_a_to_b_answer_and_hang_up() {
    let lab = start_lab(2);
    let a = handset(&lab, 0, "a");
    let b = handset(&lab, 1, "b");
    let b_number: Number = lab.handsets()[1]
        .number
        .parse()
        .expect("lab numbers are dialable");

    assert_eq!(a.call_state().await.expect("state"), CallState::Idle);
    assert_eq!(b.call_state().await.expect("state"), CallState::Idle);
    // No call up: hang_up sends nothing.
    assert!(!a.hang_up().await.expect("hang_up"));
    assert!(
        !a.command_log()
            .iter()
            .any(|r| r.argv.iter().any(|w| w == "KEYCODE_ENDCALL"))
    );

    // Nobody rings within a short wait: a network verdict, not a lab fault.
    let err = b
        .wait_for_state(CallState::Ringing, Duration::from_millis(300))
        .await
        .expect_err("nobody calls");
    match &err {
        DeviceError::StateTimeout {
            device,
            want,
            last,
            after,
        } => {
            assert_eq!(device, "b");
            assert_eq!(*want, CallState::Ringing);
            assert_eq!(*last, Some(CallState::Idle));
            assert!(*after >= Duration::from_millis(300));
        }
        other => panic!("expected StateTimeout, got {other:?}"),
    }
    assert!(!err.is_lab_fault());

    a.dial(&b_number).await.expect("dial");
    a.wait_for_state(CallState::Offhook, STATE_WAIT)
        .await
        .expect("caller offhook");
    let ring = b
        .wait_for_state(CallState::Ringing, STATE_WAIT)
        .await
        .expect("callee rings");
    assert!(ring < STATE_WAIT);

    b.answer().await.expect("answer");
    b.wait_for_state(CallState::Offhook, STATE_WAIT)
        .await
        .expect("callee offhook");
    a.wait_for_state(CallState::Offhook, STATE_WAIT)
        .await
        .expect("caller offhook");

    let calls = a.telecom_calls().await.expect("telecom");
    assert!(!calls.is_empty(), "dumpsys telecom lists the call");
    assert!(calls.iter().all(|c| c.id.starts_with("TC@")));
    assert!(
        calls
            .iter()
            .any(|c| c.direction.as_deref() == Some("OUTGOING")),
        "{calls:?}"
    );

    assert!(a.hang_up().await.expect("hang_up"), "ENDCALL sent");
    a.wait_for_state(CallState::Idle, STATE_WAIT)
        .await
        .expect("caller idle");
    b.wait_for_state(CallState::Idle, STATE_WAIT)
        .await
        .expect("callee idle");
    assert!(!b.hang_up().await.expect("hang_up"), "nothing left to end");

    let log = a.logcat().await.expect("logcat");
    assert!(!log.trim().is_empty());

    let sent: Vec<String> = a.command_log().iter().map(|r| r.argv.join(" ")).collect();
    let dial = format!(
        "am start -a android.intent.action.CALL -d {}",
        b_number.tel_uri()
    );
    assert!(sent.contains(&dial), "{sent:?}");
    assert!(sent.iter().any(|c| c == "input keyevent KEYCODE_ENDCALL"));
    assert!(
        b.command_log()
            .iter()
            .any(|r| r.argv == ["input", "keyevent", "KEYCODE_CALL"])
    );
    let mut times: Vec<Duration> = a.command_log().iter().map(|r| r.duration).collect();
    times.sort();
    eprintln!(
        "direct path: {} commands to a, median {:?}, slowest {:?}",
        times.len(),
        times[times.len() / 2],
        times[times.len() - 1]
    );
    lab.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_handset_is_a_named_lab_fault_not_a_hang() {
    let lab = start_lab(2);
    let timeouts = Timeouts {
        command: Duration::from_secs(3),
        connect: Duration::from_secs(2),
    };
    let info = lab.handsets()[1].clone();
    let phone = Handset::new(
        "doomed",
        Connection::Direct {
            addr: info.adb_addr,
        },
        timeouts,
    );
    assert_eq!(phone.call_state().await.expect("alive"), CallState::Idle);
    assert!(lab.kill_handset(&info.id));

    for attempt in 0..2 {
        let started = Instant::now();
        let err = phone.call_state().await.expect_err("handset is gone");
        let took = started.elapsed();
        assert!(
            took <= timeouts.command + timeouts.connect + Duration::from_secs(1),
            "attempt {attempt} took {took:?}"
        );
        assert!(
            matches!(
                err,
                DeviceError::Offline { .. } | DeviceError::Timeout { .. }
            ),
            "attempt {attempt}: {err:?}"
        );
        assert_eq!(err.device(), "doomed");
        assert!(err.is_lab_fault());
        assert!(err.to_string().contains("doomed"));
    }
    // A new handle to the dead handset fails the same way.
    let fresh = Handset::new(
        "doomed-2",
        Connection::Direct {
            addr: info.adb_addr,
        },
        timeouts,
    );
    let err = fresh.identity().await.expect_err("gone");
    assert!(
        matches!(
            err,
            DeviceError::Offline { .. } | DeviceError::Timeout { .. }
        ),
        "{err:?}"
    );
    // The other handset is unaffected.
    let other = handset(&lab, 0, "survivor");
    assert_eq!(other.call_state().await.expect("alive"), CallState::Idle);
    lab.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_android_14_handset_gives_its_bug_report_as_the_zip_bugreportz_wrote() {
    let lab = start_lab(1);
    let phone = handset(&lab, 0, "vh-1");
    let report = phone
        .bug_report(Duration::from_secs(30))
        .await
        .expect("bug report");
    let farend_device::BugReport::Zip(bytes) = report else {
        panic!("Android 14 has bugreportz: expected its zip");
    };
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a readable zip");
    let mut read = |name: &str| {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).expect(name), &mut text).unwrap();
        text
    };
    let main = read("main_entry.txt");
    assert!(
        main.starts_with("bugreport-") && main.ends_with(".txt"),
        "{main}"
    );
    let text = read(main.trim());
    assert!(text.contains("== dumpstate:"), "{text}");
    assert!(text.contains("DUMPSYS telecom"), "{text}");
    // A report stays on the handset until removed; then `cat` names it missing.
    let written = phone.shell(&["bugreportz"]).await.expect("runs");
    let path = written.stdout.trim().strip_prefix("OK:").expect("OK:PATH");
    assert_eq!(phone.shell(&["cat", path]).await.unwrap().exit_code, 0);
    assert_eq!(phone.shell(&["rm", path]).await.unwrap().exit_code, 0);
    let missing = phone.shell(&["cat", path]).await.expect("runs");
    assert_eq!(missing.exit_code, 1);
    assert!(
        missing.stdout.contains("No such file"),
        "{}",
        missing.stdout
    );
    lab.shutdown();
}
