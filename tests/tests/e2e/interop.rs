//! The ADB tools users already have, against the virtual handsets: Python `adbutils` and
//! Google's Mobly `AndroidDevice` through Debian's adb server, and Python `adb-shell` straight
//! to a handset's port with ADB AUTH.
//! Both come from PyPI into `.venv` (scripts/setup.sh installs tests/interop/requirements.txt).

use farend_e2e::*;
use std::path::PathBuf;
use std::process::Command;

/// The project's Python with the interop clients, or `None` (outside CI) when it is missing.
fn python() -> Option<PathBuf> {
    let python = repo_root().join(".venv/bin/python");
    let ok = Command::new(&python)
        .args(["-c", "import adbutils, adb_shell, mobly"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        let why = "the Python ADB clients are not in .venv (scripts/setup.sh installs tests/interop/requirements.txt)";
        assert!(std::env::var_os("CI").is_none(), "{why}");
        eprintln!("skipping: {why}");
        return None;
    }
    Some(python)
}

/// Runs tests/interop/adb_clients.py and parses what it printed.
fn clients(python: &PathBuf, args: &[&str]) -> serde_json::Value {
    clients_with(python, args, None)
}

/// As [`clients`], with `ANDROID_ADB_SERVER_PORT` set for tools that run `adb` themselves.
fn clients_with(python: &PathBuf, args: &[&str], server_port: Option<u16>) -> serde_json::Value {
    let mut cmd = Command::new(python);
    if let Some(port) = server_port {
        cmd.env("ANDROID_ADB_SERVER_PORT", port.to_string());
    }
    let out = cmd
        .arg(repo_root().join("tests/interop/adb_clients.py"))
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "adb_clients.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

fn authenticating_lab() -> farend_lab::VirtualLab {
    farend_lab::VirtualLab::start(farend_lab::LabConfig {
        handsets: 2,
        require_auth: true,
        ..Default::default()
    })
    .expect("virtual lab starts")
}

#[test]
fn adb_shell_connects_straight_to_a_handset_with_auth() {
    let Some(python) = python() else { return };
    let lab = authenticating_lab();
    let h = &lab.handsets()[0];
    let keys = tempfile::tempdir().unwrap();
    let seen = clients(
        &python,
        &[
            "adb-shell",
            &h.adb_addr.ip().to_string(),
            &h.adb_addr.port().to_string(),
            keys.path().to_str().unwrap(),
        ],
    );
    // A host without a key is refused, one with a key is let in after AUTH.
    assert_eq!(seen["without_key"], "DeviceAuthError", "{seen}");
    assert_eq!(seen["connect"], true, "{seen}");
    assert_eq!(seen["model"], h.model.as_str(), "{seen}");
    assert_eq!(seen["echo"], "farend interop\n", "{seen}");
    assert_eq!(seen["registry_has_call_state"], true, "{seen}");
}

#[test]
fn adbutils_drives_a_handset_through_debians_adb_server() {
    if !require_tool("adb") {
        return;
    }
    let Some(python) = python() else { return };
    let lab = authenticating_lab();
    let h = &lab.handsets()[1];
    let server = AdbServer::start();
    let seen = clients(&python, &["adbutils", &server.0.to_string(), &h.serial]);
    // The handset asks for AUTH: the server's first signature is unknown to it (adb says
    // "failed to authenticate", as with a real handset's first connection), then it offers
    // its public key, the handset allows it, and the handset is a `device`.
    assert!(
        seen["connect"].as_str().unwrap().contains(&h.serial),
        "{seen}"
    );
    assert_eq!(seen["state"], "device", "{seen}");
    assert_eq!(seen["model"], h.model.as_str(), "{seen}");
    assert!(
        seen["release"].as_str().is_some_and(|r| !r.is_empty()),
        "{seen}"
    );
    assert_eq!(seen["echo"], "farend interop", "{seen}");
    // Exit codes come through: `false` fails with 1 and its output is kept.
    assert_eq!(seen["exit_code"], 1, "{seen}");
    assert_eq!(seen["exit_output"], "out\n", "{seen}");
    assert_eq!(seen["registry_has_call_state"], true, "{seen}");
    assert!(seen["logcat_lines"].as_u64().unwrap() >= 1, "{seen}");
    // A push fails with the handset's FAIL answer (adbutils keeps only the word; Debian's
    // adb prints adbd's message, see adb_server.rs); it is not faked.
    assert!(
        seen["push_error"]
            .as_str()
            .is_some_and(|e| e.contains("FAIL")),
        "{seen}"
    );
}

#[test]
fn mobly_sets_up_a_handset_reads_its_build_and_collects_logcat_and_a_bug_report() {
    if !require_tool("adb") {
        return;
    }
    let Some(python) = python() else { return };
    let lab = farend_lab::VirtualLab::start(farend_lab::LabConfig {
        handsets: 1,
        ..Default::default()
    })
    .expect("virtual lab starts");
    let h = &lab.handsets()[0];
    let server = AdbServer::start();
    assert!(server.adb(&["connect", &h.serial]).status.success());
    let logs = tempfile::tempdir().unwrap();
    let seen = clients_with(
        &python,
        &["mobly", &h.serial, logs.path().to_str().unwrap()],
        Some(server.0),
    );
    assert_eq!(seen["build_info"]["build_version_sdk"], "34", "{seen}");
    assert!(
        seen["build_info"]["build_fingerprint"]
            .as_str()
            .is_some_and(|f| f.contains("release-keys")),
        "{seen}"
    );
    assert_eq!(seen["logcat_files"], 1, "{seen}");
    // An Android 14 handset has bugreportz: the report is its zip, pulled over sync.
    assert_eq!(seen["bugreport_zip"], true, "{seen}");
    assert_eq!(seen["bugreport_dumpstate"], true, "{seen}");
    assert_eq!(seen["bugreport_registry"], true, "{seen}");
}
