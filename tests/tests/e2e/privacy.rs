//! Privacy by default: no file a run writes (reports, command logs, logcats, bug reports,
//! evidence) holds a virtual handset's phone number or ADB serial; `--no-redact` keeps them.

use farend_e2e::*;
use std::path::{Path, PathBuf};

const SCENARIO: &str = "\
name: privacy-call
parties: [a, b]
steps:
  - dial: { from: a, to: b }
  - wait: { party: b, state: ringing, within: 20s }
  - answer: { party: b }
  - wait: { party: [a, b], state: active, within: 10s }
  - play: { ref: tones/dtmf-123, into: a, record: b, margin: 300ms }
    expect: { dtmf: \"999\" }
  - hangup: { party: a }
  - wait: { party: [a, b], state: idle, within: 10s }
";

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_symlink() {
            continue;
        }
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The files of the run that hold any of the needles.
/// What a file holds for a reader: a zip (a bug report) unpacked, entry names included
/// (a compressed entry would hide a number from a byte search); any other file as it is.
fn readable(file: &Path) -> Vec<(String, Vec<u8>)> {
    let bytes = std::fs::read(file).unwrap();
    let name = file.display().to_string();
    if !name.ends_with(".zip") {
        return vec![(name, bytes)];
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).unwrap();
            let entry_name = entry.name().unwrap().into_owned();
            let mut data = entry_name.as_bytes().to_vec();
            data.push(b'\n');
            std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
            (format!("{name}!{entry_name}"), data)
        })
        .collect()
}

fn leaks(run_dir: &Path, needles: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (file, bytes) in files_under(run_dir).iter().flat_map(|f| readable(f)) {
        for needle in needles {
            // A number stands alone: the digits of a measured value (`3.0900000002`, the
            // nanoseconds of a duration) that happen to contain a needle are not one.
            let alone = |at: usize| {
                let before = at.checked_sub(1).map(|i| bytes[i]);
                let after = bytes.get(at + needle.len()).copied();
                !before.is_some_and(|b| b.is_ascii_digit() || b == b'.')
                    && !after.is_some_and(|b| b.is_ascii_digit())
            };
            let hit = bytes
                .windows(needle.len())
                .enumerate()
                .any(|(at, w)| w == needle.as_bytes() && (needle.ends_with(':') || alone(at)));
            if hit {
                found.push(format!("{file} holds {needle}"));
            }
        }
    }
    found
}

fn run_once(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let output = run(farend()
        .arg("run")
        .arg(dir.join("privacy.yaml"))
        .arg("--lab")
        .arg(dir.join("lab.yaml"))
        .arg("--out")
        .arg(&out)
        .args(extra));
    // The DTMF expectation fails on purpose, so the case keeps its logcats too.
    assert_eq!(output.status.code(), Some(1));
    only_run_dir(&out)
}

#[test]
fn no_file_of_a_run_names_a_number_or_a_serial_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("privacy.yaml"), SCENARIO).unwrap();
    // The failing case also takes both handsets' bug reports (getprop, registry, Telecom).
    std::fs::write(
        dir.path().join("lab.yaml"),
        "evidence: { bugreport: on_failure, bugreport_within: 60s }\n",
    )
    .unwrap();
    // The virtual lab's numbers are +4219000000NN, in international and national form; its
    // serials are its adbd addresses; its identities are in the bug reports. (Nine digits alone would also match the digits of a
    // measured value such as 3.0900000004 in results.json.)
    let needles = [
        "421900000001",
        "421900000002",
        "421900000003",
        "421900000004",
        "0900000001",
        "0900000002",
        "0900000003",
        "0900000004",
        "127.0.0.1:",
        // IMEI, IMSI and ICCID of handsets 1 and 2, in the bug reports.
        "356938030000013",
        "356938030000021",
        "231010000000001",
        "231010000000002",
        "8942101000000000001",
        "8942101000000000002",
    ];

    let redacted = run_once(dir.path(), "redacted", &[]);
    let files = files_under(&redacted);
    assert!(
        files.iter().any(|f| f.to_string_lossy().contains("logcat")),
        "the failed case kept its logcats: {files:?}"
    );
    // Android 13/14 handsets zip their reports (`bugreportz`); farend keeps the zip, with
    // every text entry redacted.
    for role in ["a", "b"] {
        let report = files
            .iter()
            .find(|f| f.ends_with(format!("bugreport-{role}.zip")))
            .unwrap_or_else(|| panic!("the failed case kept {role}'s bug report: {files:?}"));
        let text = bug_report_main_entry(report);
        assert!(
            text.contains("== dumpstate:") && text.contains("mCallState="),
            "{text}"
        );
    }
    assert_eq!(leaks(&redacted, &needles), Vec::<String>::new());
    let report = read_results(&redacted);
    assert!(
        report
            .lab
            .handsets
            .iter()
            .all(|h| h.serial.starts_with("serial-")),
        "serials become stable aliases"
    );

    let open = run_once(dir.path(), "open", &["--no-redact"]);
    let kept = leaks(&open, &needles).join("\n");
    for needle in ["356938030000013", "231010000000001", "8942101000000000001"] {
        assert!(kept.contains(needle), "--no-redact keeps {needle}: {kept}");
    }
}
