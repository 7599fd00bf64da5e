//! The ADB device side, exercised with a minimal host written here.

mod common;

use common::{RawHost, sh};
use farend_lab::adb::transport::{A_CLSE, A_OKAY, A_WRTE, Message};
use farend_lab::{LabConfig, VirtualLab};

fn lab() -> VirtualLab {
    VirtualLab::start(LabConfig {
        handsets: 2,
        ..LabConfig::default()
    })
    .unwrap()
}

#[test]
fn handshake_banner_and_identity() {
    let lab = lab();
    let h = &lab.handsets()[0];
    let host = RawHost::connect(h.adb_addr, 256 * 1024);
    assert_eq!(host.device_max, 1024 * 1024);
    assert!(host.banner.starts_with("device::ro.product.name=panther;ro.product.model=Pixel 7;ro.product.device=panther;features="), "{}", host.banner);
    assert!(host.banner.contains("shell_v2"));
    assert_eq!(h.serial, h.adb_addr.to_string());
    assert_eq!(
        sh(h.adb_addr, "getprop ro.product.model").stdout,
        format!("{}\n", h.model)
    );
    assert_ne!(lab.handsets()[1].model, h.model);
}

#[test]
fn shell_v1_and_v2_exit_codes_and_stderr() {
    let lab = lab();
    let addr = lab.handsets()[0].adb_addr;
    let mut host = RawHost::connect(addr, 4096);
    let r = host.shell("shell:echo hello; nosuch", &[]);
    assert_eq!(
        r.stdout,
        "hello\n/system/bin/sh: nosuch: inaccessible or not found\n"
    );
    let r = host.shell("shell,v2,TERM=xterm-256color,raw:false", &[]);
    assert_eq!((r.stdout.as_str(), r.exit), ("", Some(1)));
    let r = host.shell("shell,v2,raw:nosuch 'a b'", &[]);
    assert_eq!(r.exit, Some(127));
    assert_eq!(
        r.stderr,
        "/system/bin/sh: nosuch: inaccessible or not found\n"
    );
    let r = host.shell("shell,v2,raw:getprop ro.build.version.release; exit 7", &[]);
    assert_eq!((r.stdout.as_str(), r.exit), ("14\n", Some(7)));
    let r = host.shell(
        "shell:getprop ro.build.version.sdk ; echo :farend-rc:$?",
        &[],
    );
    assert_eq!(r.stdout, "34\n:farend-rc:0\n");
}

#[test]
fn unknown_services_are_closed() {
    let lab = lab();
    let mut host = RawHost::connect(lab.handsets()[0].adb_addr, 4096);
    assert_eq!(host.open("framebuffer:"), None);
    assert_eq!(host.open("jdwp:1234"), None);
    // The connection still works afterwards.
    assert_eq!(host.shell("shell:echo ok", &[]).stdout, "ok\n");
}

#[test]
fn large_output_waits_for_okay_between_writes() {
    let lab = lab();
    let mut host = RawHost::connect(lab.handsets()[0].adb_addr, 256);
    let r = host.shell("shell,v2,raw:getprop", &[]);
    assert!(
        r.writes >= 4,
        "output split into many WRTEs, got {}",
        r.writes
    );
    assert!(r.stdout.contains("[ro.product.model]: [Pixel 7]\n"));
    assert_eq!(r.exit, Some(0));
}

#[test]
fn interactive_shells_read_stdin() {
    let lab = lab();
    let mut host = RawHost::connect(lab.handsets()[0].adb_addr, 4096);
    // v2: stdin packets, then close-stdin; the exit packet carries the last status.
    let mut stdin = farend_lab::adb::shell_service::packet(0, b"echo one\nfalse\n");
    stdin.extend(farend_lab::adb::shell_service::packet(4, &[]));
    let r = host.shell("shell,v2,raw:", &stdin);
    assert_eq!((r.stdout.as_str(), r.exit), ("one\n", Some(1)));
    // v1: raw bytes, `exit` ends the session.
    let r = host.shell("shell:", b"echo two && echo $?\nexit 3\necho never\n");
    assert_eq!(r.stdout, "two\n0\n");
}

#[test]
fn interactive_pty_shell_echoes_and_prompts() {
    let lab = lab();
    let mut host = RawHost::connect(lab.handsets()[0].adb_addr, 4096);
    let stdin = farend_lab::adb::shell_service::packet(0, b"echo hi\rnosuch\rexit 4\r");
    let r = host.shell("shell,v2,TERM=xterm-256color,pty:", &stdin);
    assert_eq!(
        r.stdout,
        "panther:/ $ echo hi\r\nhi\r\npanther:/ $ nosuch\r\n/system/bin/sh: nosuch: inaccessible or not found\r\npanther:/ $ exit 4\r\n"
    );
    assert_eq!(r.exit, Some(4));
}

#[test]
fn several_streams_and_connections_at_once() {
    let lab = lab();
    let addr = lab.handsets()[0].adb_addr;
    let mut host = RawHost::connect(addr, 4096);
    let (l1, r1) = host.open("shell:sleep 0.4; echo slow").unwrap();
    let (l2, r2) = host.open("shell:echo fast").unwrap();
    let mut order = Vec::new();
    let mut closed = 0;
    while closed < 2 {
        let m: Message = host.recv();
        let (local, remote) = if m.arg1 == l1 { (l1, r1) } else { (l2, r2) };
        assert_eq!(m.arg0, remote);
        match m.command {
            A_WRTE => {
                order.push(String::from_utf8(m.data).unwrap());
                host.send(&Message::new(A_OKAY, local, remote, Vec::new()));
            }
            A_CLSE => {
                closed += 1;
                host.send(&Message::new(A_CLSE, local, remote, Vec::new()));
            }
            _ => {}
        }
    }
    assert_eq!(order, ["fast\n", "slow\n"]);
    // A second connection to the same handset, used while the first stays open.
    let mut other = RawHost::connect(addr, 4096);
    assert_eq!(other.shell("shell:echo second", &[]).stdout, "second\n");
    assert_eq!(host.shell("shell:echo first", &[]).stdout, "first\n");
}
