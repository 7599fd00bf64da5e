//! The `adb_client` crate's direct TCP device (`ADBTcpDevice`) against a virtual handset.

use adb_client::ADBDeviceExt;
use adb_client::tcp::ADBTcpDevice;
use farend_lab::{LabConfig, VirtualLab};

fn shell(dev: &mut ADBTcpDevice, cmd: &str) -> String {
    let mut out = Vec::new();
    dev.shell_command(&cmd, Some(&mut out), None)
        .expect("shell_command");
    String::from_utf8(out).unwrap()
}

#[test]
fn adb_client_tcp_device_runs_shell_commands() {
    let lab = VirtualLab::start(LabConfig {
        handsets: 2,
        ..LabConfig::default()
    })
    .unwrap();
    let (a, b) = (&lab.handsets()[0], &lab.handsets()[1]);
    // A key path that does not exist: adb_client generates a throwaway key (never asked for).
    let key = std::env::temp_dir().join(format!("farend-lab-test-{}-adbkey", std::process::id()));
    let mut dev =
        ADBTcpDevice::new_with_custom_private_key(b.adb_addr, &key).expect("CNXN handshake");

    assert_eq!(
        shell(&mut dev, "getprop ro.product.model"),
        format!("{}\n", b.model)
    );
    assert_eq!(
        shell(&mut dev, "getprop ro.build.version.release"),
        format!("{}\n", b.android_release)
    );
    // farend's exit-code convention over shell v1.
    assert_eq!(
        shell(&mut dev, "'false' ; echo :farend-rc:$?"),
        ":farend-rc:1\n"
    );
    assert_eq!(
        shell(&mut dev, "frobnicate ; echo :farend-rc:$?"),
        "/system/bin/sh: frobnicate: inaccessible or not found\n:farend-rc:127\n"
    );

    // A call placed through another handset shows up here.
    let mut dev_a =
        ADBTcpDevice::new_with_custom_private_key(a.adb_addr, &key).expect("handshake A");
    let started = shell(
        &mut dev_a,
        &format!("am start -a android.intent.action.CALL -d tel:{}", b.number),
    );
    assert!(
        started.starts_with("Starting: Intent { act=android.intent.action.CALL"),
        "{started}"
    );
    assert!(shell(&mut dev, "dumpsys telephony.registry").contains("    mCallState=1\n"));
    shell(&mut dev, "input keyevent 6");
    assert!(shell(&mut dev_a, "dumpsys telephony.registry").contains("    mCallState=0\n"));
}
