//! Every file of the malformed corpus (tests/malformed/) is refused by `farend validate` with
//! exit code 2 and a `file:line:col: message` naming the first error; nothing panics.

use farend_e2e::*;
use std::path::Path;

fn header(path: &Path) -> (String, String) {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let first = text.lines().next().unwrap_or_default();
    let rest = first
        .strip_prefix("# expect: ")
        .unwrap_or_else(|| panic!("{} starts with `# expect: LINE:COL text`", path.display()));
    let (pos, message) = rest.split_once(' ').unwrap_or((rest, ""));
    (pos.to_string(), message.trim().to_string())
}

#[test]
fn every_malformed_file_gives_exit_2_with_line_and_column() {
    let root = repo_root().join("tests/malformed");
    let mut checked = 0;
    for (kind, folder) in [("scenario", "scenario"), ("lab", "lab")] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(folder))
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        for file in files {
            let (pos, message) = header(&file);
            let out = run(farend().args(["validate", "--kind", kind]).arg(&file));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{}: exit 2\n{stderr}",
                file.display()
            );
            assert!(!stderr.contains("panicked"), "{}: no panic", file.display());
            let name = file.file_name().unwrap().to_string_lossy();
            let located = format!("{name}:{pos}:");
            assert!(
                stderr.contains(&located),
                "{}: message names {located}\n{stderr}",
                file.display()
            );
            assert!(
                stderr.contains(&message),
                "{}: message says `{message}`\n{stderr}",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 30,
        "the corpus has at least 30 files, found {checked}"
    );
}

#[test]
fn run_refuses_bad_input_with_exit_2() {
    let out = run(farend().args(["run", "no/such/folder"]));
    assert_eq!(out.status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "name: bad\nparties: { a: {}, b: {} }\nsteps:\n  - dial: { from: a, to: c }\n",
    )
    .unwrap();
    let out = run(farend()
        .arg("run")
        .arg(&bad)
        .arg("--out")
        .arg(dir.path().join("out")));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.yaml:4:"), "{stderr}");
    let out = run(farend().args(["run", "scenarios", "--lab"]).arg(&bad));
    assert_eq!(out.status.code(), Some(2), "a scenario is not a lab file");
}
