//! Helpers for farend's end-to-end tests: find the binary, run it, find what it wrote.
//!
//! The tests in `tests/` run the real `farend` binary (set `FAREND_BIN`, or build it first with
//! `cargo build -p farend`) against the built-in virtual lab, Debian's `adb` and `xmllint`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repo")
        .to_path_buf()
}

/// The farend binary under test: `$FAREND_BIN`, else the newest of target/{release,debug}/farend.
pub fn farend_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("FAREND_BIN") {
        return bin.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repo_root().join("target"), PathBuf::from);
    ["release", "debug"]
        .iter()
        .map(|p| target.join(p).join("farend"))
        .filter(|p| p.exists())
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
        .expect("the farend binary is not built: run `cargo build -p farend` or set FAREND_BIN")
}

/// A `farend` command run from the repository root.
pub fn farend() -> Command {
    let mut cmd = Command::new(farend_bin());
    cmd.current_dir(repo_root());
    cmd
}

/// Runs a command and returns its output, printing both streams for the test log.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("the command starts");
    eprintln!("--- {:?} -> {:?}", cmd, out.status.code());
    eprintln!("stdout:\n{}", String::from_utf8_lossy(&out.stdout));
    eprintln!("stderr:\n{}", String::from_utf8_lossy(&out.stderr));
    out
}

/// The single run folder a `farend run --out OUT` created.
pub fn only_run_dir(out: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(out)
        .expect("the out folder exists")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.is_symlink())
        .collect();
    assert_eq!(
        dirs.len(),
        1,
        "one run folder in {}: {dirs:?}",
        out.display()
    );
    dirs.into_iter().next().unwrap()
}

/// Whether a required external tool is present; in CI (env `CI`) its absence fails the test.
pub fn require_tool(tool: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var_os("CI").is_some() {
            panic!("{tool} is required in CI (scripts/setup.sh installs it)");
        }
        eprintln!("skipping: {tool} is not installed (scripts/setup.sh installs it)");
    }
    found
}

/// Validates a JUnit file against the project's XSD with xmllint; panics with its message if invalid.
pub fn assert_junit_valid(junit: &Path) {
    if !require_tool("xmllint") {
        return;
    }
    let xsd = repo_root().join("crates/farend-report/schema/junit.xsd");
    let out = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg(junit)
        .output()
        .expect("xmllint runs");
    assert!(
        out.status.success(),
        "{} is not valid against {}:\n{}",
        junit.display(),
        xsd.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Reads a JUnit file back with quick-junit's reader.
pub fn read_junit(junit: &Path) -> quick_junit::Report {
    let text = std::fs::read_to_string(junit).expect("junit.xml is readable");
    quick_junit::Report::deserialize_from_str(&text).expect("junit.xml reads back with quick-junit")
}

/// Reads results.json back into the report model.
pub fn read_results(run_dir: &Path) -> farend_report::RunReport {
    farend_report::read_results(&run_dir.join("results.json")).expect("results.json reads back")
}
