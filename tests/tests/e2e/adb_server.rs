//! The adb-server path end to end: Debian's `adb` connects the virtual handsets, and
//! `farend run --lab` drives them by serial through that server; `farend lab serve` serves
//! handsets that `adb` can talk to.

use farend_e2e::*;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

#[test]
fn farend_runs_through_a_real_adb_server() {
    if !require_tool("adb") {
        return;
    }
    let lab = farend_lab::VirtualLab::start(farend_lab::LabConfig::default())
        .expect("virtual lab starts");
    let server = AdbServer::start();
    let mut lab_file = format!("adb: {{ server: \"127.0.0.1:{}\" }}\nhandsets:\n", server.0);
    for h in lab.handsets() {
        let out = server.adb(&["connect", &h.serial]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("connected to"),
            "adb connect {}: {text}",
            h.serial
        );
        // Declared sound card latencies: 5 ms feeding each mic, 10 ms capturing each ear.
        lab_file.push_str(&format!(
            "  - id: {}\n    serial: \"{}\"\n    number: \"{}\"\n    audio: {{ mic: \"{}\", ear: \"{}\", mic_delay_ms: 5, ear_delay_ms: 10 }}\n",
            h.id, h.serial, h.number, h.mic, h.ear
        ));
    }
    let devices = String::from_utf8_lossy(&server.adb(&["devices"]).stdout).to_string();
    assert!(
        devices.contains(&format!("{}\tdevice", lab.handsets()[0].serial)),
        "{devices}"
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lab.yaml"), lab_file).unwrap();
    let out_dir = dir.path().join("out");
    let output = run(farend()
        .args(["run", "scenarios/01-basic-call.yaml", "--lab"])
        .arg(dir.path().join("lab.yaml"))
        .arg("--out")
        .arg(&out_dir));
    assert_eq!(
        output.status.code(),
        Some(0),
        "the basic call passes through the adb server"
    );
    let results = read_results(&only_run_dir(&out_dir));
    assert_eq!(results.lab.kind, "file");
    let models: Vec<_> = results
        .lab
        .handsets
        .iter()
        .filter_map(|h| h.model.clone())
        .collect();
    assert_eq!(
        models.len(),
        lab.handsets().len(),
        "every handset identified through adb: {models:?}"
    );
    // The network's 60 ms, less the 15 ms the lab file says its cards add on each path.
    let measured = |name: &str| -> Vec<f64> {
        results
            .cases
            .iter()
            .flat_map(|c| &c.measurements)
            .filter(|m| m.name == name)
            .map(|m| m.value)
            .collect()
    };
    let delays = measured("delay_ms");
    assert_eq!(delays.len(), 2, "both directions measured: {delays:?}");
    for d in &delays {
        assert!((d - 45.0).abs() < 1.0, "delay {d} ms, expected 60 - 15");
    }
    assert_eq!(measured("fixed_delay_ms"), vec![15.0, 15.0]);
}

#[test]
fn lab_serve_prints_handsets_that_adb_can_use() {
    if !require_tool("adb") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lab_path = dir.path().join("served-lab.yaml");
    let mut child = lab_serve(2, &lab_path, Stdio::piped());
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut serials = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        eprintln!("serve: {line}");
        if line.starts_with("vh-") {
            serials.push(line.split_whitespace().nth(1).unwrap().to_string());
        }
        if line.starts_with("serving") {
            break;
        }
    }
    assert_eq!(serials.len(), 2, "two handsets listed");
    let server = AdbServer::start();
    let out = server.adb(&["connect", &serials[0]]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("connected to"));
    let out = server.adb(&["-s", &serials[0], "shell", "getprop", "ro.product.model"]);
    assert!(out.status.success());
    assert!(
        !String::from_utf8_lossy(&out.stdout).trim().is_empty(),
        "a model name"
    );
    let out = server.adb(&["-s", &serials[0], "shell", "dumpsys", "telephony.registry"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("mCallState=0"));
    // The written lab file validates.
    let out = run(farend().args(["validate", "--kind", "lab"]).arg(&lab_path));
    assert_eq!(out.status.code(), Some(0));
    drop(child.stdin.take());
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "lab serve stops cleanly when stdin closes"
    );
}

/// One virtual handset, connected to a private adb server: the lab, the server, its serial.
fn one_handset_behind_adb() -> (farend_lab::VirtualLab, AdbServer, String) {
    let lab = farend_lab::VirtualLab::start(farend_lab::LabConfig {
        handsets: 1,
        ..Default::default()
    })
    .expect("virtual lab starts");
    let serial = lab.handsets()[0].serial.clone();
    let server = AdbServer::start();
    assert!(server.adb(&["connect", &serial]).status.success());
    (lab, server, serial)
}

/// What a command printed, stdout then stderr.
fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn push_pull_and_install_fail_with_androids_messages() {
    if !require_tool("adb") {
        return;
    }
    let (_lab, server, serial) = one_handset_behind_adb();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.txt");
    std::fs::write(&file, "hello").unwrap();
    let file = file.to_str().unwrap();
    // The handset's storage folders exist and are read-only, as adbd reports it.
    let push = server.adb(&["-s", &serial, "push", file, "/sdcard/"]);
    assert!(!push.status.success());
    assert!(
        text(&push).contains("remote couldn't create file: Read-only file system"),
        "{}",
        text(&push)
    );
    let pull = server.adb(&["-s", &serial, "pull", "/sdcard/x.txt", file]);
    assert!(!pull.status.success());
    assert!(
        text(&pull)
            .contains("failed to stat remote object '/sdcard/x.txt': No such file or directory"),
        "{}",
        text(&pull)
    );
    // There is no package manager: Android's `cmd` says so.
    let apk = dir.path().join("x.apk");
    std::fs::write(&apk, "not an apk").unwrap();
    let install = server.adb(&["-s", &serial, "install", apk.to_str().unwrap()]);
    assert!(!install.status.success());
    assert!(
        text(&install).contains("Can't find service: package"),
        "{}",
        text(&install)
    );
}

#[test]
fn adb_bugreport_pulls_the_zip_bugreportz_writes() {
    if !require_tool("adb") {
        return;
    }
    let (_lab, server, serial) = one_handset_behind_adb();
    let dir = tempfile::tempdir().unwrap();
    // Debian's adb asks bugreportz for its version, runs it with progress and pulls the zip.
    let to = dir.path().to_str().unwrap();
    let report = server.adb(&["-s", &serial, "bugreport", to]);
    assert!(report.status.success(), "{}", text(&report));
    let zips: Vec<std::path::PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "zip"))
        .collect();
    assert_eq!(zips.len(), 1, "{}", text(&report));
    let report_text = bug_report_main_entry(&zips[0]);
    assert!(
        report_text.contains("== dumpstate:") && report_text.contains("mCallState="),
        "{report_text}"
    );

    // The path bugreportz prints is what `adb pull` fetches and `cat` prints, byte for byte.
    let written = server.adb(&["-s", &serial, "shell", "bugreportz"]);
    let stdout = String::from_utf8_lossy(&written.stdout).into_owned();
    let path = stdout
        .trim()
        .strip_prefix("OK:")
        .unwrap_or_else(|| panic!("bugreportz answers OK:PATH, not {stdout:?}"));
    let pulled = dir.path().join("pulled.zip");
    let pull = server.adb(&["-s", &serial, "pull", path, pulled.to_str().unwrap()]);
    assert!(pull.status.success(), "{}", text(&pull));
    let cat = server.adb(&["-s", &serial, "exec-out", "cat", path]);
    assert_eq!(std::fs::read(&pulled).unwrap(), cat.stdout);
    assert!(cat.stdout.starts_with(b"PK\x03\x04"), "a zip");
}
