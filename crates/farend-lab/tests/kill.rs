//! A handset that vanishes mid-call.

mod common;

use std::io::Read;
use std::net::TcpStream;
use std::time::Duration;

use common::{RawHost, call_state, card_addr, card_connect, sh, wait_for};
use farend_lab::{LabConfig, VirtualLab};

fn closed(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return true,
            Ok(_) => continue, // drain frames already in flight
        }
    }
}

#[test]
fn killing_a_handset_drops_its_call_and_closes_its_ports() {
    let lab = VirtualLab::start(LabConfig {
        handsets: 3,
        ..LabConfig::default()
    })
    .unwrap();
    let (a, b, c) = (&lab.handsets()[0], &lab.handsets()[1], &lab.handsets()[2]);
    let r = sh(
        a.adb_addr,
        &format!("am start -a android.intent.action.CALL -d tel:{}", b.number),
    );
    assert_eq!(r.exit, Some(0));
    assert_eq!(sh(b.adb_addr, "input keyevent KEYCODE_CALL").exit, Some(0));
    assert_eq!((call_state(a.adb_addr), call_state(b.adb_addr)), (2, 2));

    let mut adb_conn = RawHost::connect(a.adb_addr, 4096);
    let mut mic = card_connect(&a.mic, 0, 16000);
    let mut ear = card_connect(&a.ear, 1, 16000);

    assert!(lab.kill_handset(&a.id));
    assert!(!lab.kill_handset(&a.id), "already gone");
    assert!(!lab.kill_handset("vh-99"));

    assert!(
        wait_for(Duration::from_secs(2), || call_state(b.adb_addr) == 0),
        "peer goes idle"
    );
    assert!(closed(&mut adb_conn.stream), "open ADB connection closed");
    assert!(closed(&mut mic), "mic connection closed");
    assert!(closed(&mut ear), "ear connection closed");
    for addr in [a.adb_addr, card_addr(&a.mic), card_addr(&a.ear)] {
        let e = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).expect_err("port closed");
        assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{addr}");
    }
    // The rest of the lab carries on; calls to the vanished number fail.
    let r = sh(
        c.adb_addr,
        &format!("am start -a android.intent.action.CALL -d tel:{}", a.number),
    );
    assert_eq!(r.exit, Some(0));
    assert_eq!(call_state(c.adb_addr), 2);
    assert!(
        wait_for(Duration::from_secs(4), || call_state(c.adb_addr) == 0),
        "failed call drops"
    );
    assert!(
        sh(c.adb_addr, "dumpsys telecom")
            .stdout
            .contains("Code: (ERROR)")
    );
}

#[test]
fn shutdown_closes_every_port() {
    let lab = VirtualLab::start(LabConfig {
        handsets: 2,
        ..LabConfig::default()
    })
    .unwrap();
    let infos = lab.handsets().to_vec();
    let mut conn = RawHost::connect(infos[0].adb_addr, 4096);
    let mut ear = card_connect(&infos[1].ear, 1, 16000);
    lab.shutdown();
    assert!(closed(&mut conn.stream) && closed(&mut ear));
    for h in &infos {
        for addr in [h.adb_addr, card_addr(&h.mic), card_addr(&h.ear)] {
            assert!(
                TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(),
                "{addr} still open"
            );
        }
    }
}

#[test]
fn fixed_base_ports_are_used_in_order() {
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Pick a base well away from the ephemeral port just seen, below the adb emulator range or above it.
    let base = if free > 20000 {
        free - 10000
    } else {
        free + 10000
    };
    let lab = match VirtualLab::start(LabConfig {
        handsets: 2,
        base_port: Some(base),
        ..LabConfig::default()
    }) {
        Ok(lab) => lab,
        Err(farend_lab::LabError::Bind { .. }) => {
            return eprintln!("skipping: ports near {base} are in use");
        }
        Err(e) => panic!("{e}"),
    };
    let h = lab.handsets();
    assert_eq!(h[0].adb_addr.port(), base);
    assert_eq!(h[0].mic, format!("virtual:127.0.0.1:{}", base + 1));
    assert_eq!(h[0].ear, format!("virtual:127.0.0.1:{}", base + 2));
    assert_eq!(h[1].serial, format!("127.0.0.1:{}", base + 3));
    assert_eq!(
        (h[0].number.as_str(), h[1].number.as_str()),
        ("+421900000001", "+421900000002")
    );
    assert_eq!((h[0].id.as_str(), h[1].id.as_str()), ("vh-1", "vh-2"));
}
