//! Golden outputs of the emulated Android commands, one folder per handset profile, kept in
//! `fixtures/virtual/<device>/`. They pin the formats the virtual handsets print (and give
//! parsers something to test against). Regenerate with `FAREND_LAB_BLESS=1 cargo test`.

use std::path::PathBuf;
use std::sync::Mutex;

use farend_lab::android::{AndroidHost, Handset};
use farend_lab::network::Network;
use farend_lab::profile::{PROFILES, profile};
use farend_lab::shell::run_script;

fn run(h: &Handset, net: &Mutex<Network>, cmd: &str) -> String {
    let (o, status) = run_script(cmd, &mut AndroidHost { handset: h, net });
    assert_eq!(status, 0, "{cmd}");
    String::from_utf8(o.stdout).unwrap()
}

/// Replaces run-dependent parts: epoch times and log timestamps.
fn normalise(text: &str) -> String {
    let mut out = String::new();
    let mut in_logs = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let mut l = line.to_string();
        for key in ["startTime: ", "endTime: "] {
            if trimmed.strip_prefix(key).is_some_and(|v| v != "0") {
                l = format!("{}{key}<epoch-ms>", &line[..line.len() - trimmed.len()]);
            }
        }
        if in_logs && line.len() > 23 {
            l = format!("<time>{}", &line[23..]);
        }
        if line == "local logs:" {
            in_logs = true;
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

fn check(dir: &str, name: &str, actual: &str) {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "fixtures", "virtual", dir, name]
        .iter()
        .collect();
    if std::env::var_os("FAREND_LAB_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        actual,
        expected,
        "{} differs (FAREND_LAB_BLESS=1 regenerates)",
        path.display()
    );
}

#[test]
fn every_profile_prints_its_golden_outputs() {
    for (i, p) in PROFILES.iter().enumerate() {
        // Handset i calls handset i+1 (another profile) so both sides are recorded.
        let me = Handset {
            idx: 0,
            profile: profile(i),
            serialno: format!("FVH{:02}", i + 1),
            number: "+421900000001".into(),
        };
        let peer = Handset {
            idx: 1,
            profile: profile(i + 1),
            serialno: "FVHXX".into(),
            number: "+421900000002".into(),
        };
        let net = Mutex::new(
            Network::new(
                vec![me.number.clone(), peer.number.clone()],
                farend_lab::NetworkProfile::clean("test", farend_lab::CodecSpec::G711ALaw),
                16000,
            )
            .unwrap(),
        );
        let dir = p.device;
        check(dir, "getprop.txt", &run(&me, &net, "getprop"));
        check(
            dir,
            "dumpsys-telephony.registry-idle.txt",
            &normalise(&run(&me, &net, "dumpsys telephony.registry")),
        );
        run(
            &peer,
            &net,
            "am start -a android.intent.action.CALL -d tel:+421900000001",
        );
        check(
            dir,
            "dumpsys-telephony.registry-ringing.txt",
            &normalise(&run(&me, &net, "dumpsys telephony.registry")),
        );
        run(&me, &net, "input keyevent KEYCODE_CALL");
        check(
            dir,
            "dumpsys-telephony.registry-offhook.txt",
            &normalise(&run(&me, &net, "dumpsys telephony.registry")),
        );
        check(
            dir,
            "dumpsys-telecom-active.txt",
            &normalise(&run(&me, &net, "dumpsys telecom")),
        );
        run(&peer, &net, "input keyevent KEYCODE_ENDCALL");
        check(
            dir,
            "dumpsys-telecom-ended.txt",
            &normalise(&run(&me, &net, "dumpsys telecom")),
        );
        let out = run(
            &me,
            &net,
            "am start -a android.intent.action.CALL -d tel:+421900000002",
        );
        check(dir, "am-start-call.txt", &out);
    }
}
