//! Helpers for farend's end-to-end tests: find the binary, run it, find what it wrote.
//!
//! The tests in `tests/` run the real `farend` binary (set `FAREND_BIN`, or build it first with
//! `cargo build -p farend`) against the built-in virtual lab, Debian's `adb` and `xmllint`.

use std::net::TcpListener;
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

/// The text of a bug report zip's main entry (the one its `main_entry.txt` names).
pub fn bug_report_main_entry(zip_file: &Path) -> String {
    let bytes = std::fs::read(zip_file).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut read = |name: &str| {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut text).unwrap();
        text
    };
    let main = read("main_entry.txt");
    read(main.trim())
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

/// The playout delays (ms) one way of a call went through, from its `network-truth.json`
/// entry: `playout_delay_ms` holds `[time, delay]` pairs.
pub fn playout_delays(way: &serde_json::Value) -> Vec<f64> {
    way["playout_delay_ms"]
        .as_array()
        .expect("playout_delay_ms is a list")
        .iter()
        .map(|p| p[1].as_f64().expect("a [time, delay] pair"))
        .collect()
}

/// Reads results.json back into the report model.
pub fn read_results(run_dir: &Path) -> farend_report::RunReport {
    farend_report::read_results(&run_dir.join("results.json")).expect("results.json reads back")
}

/// Loads an HTML report in headless Chromium with background networking off and returns the
/// DOM after load; panics if the page logged anything to its console or requested anything
/// but local files.
pub fn load_in_chromium(page: &Path) -> String {
    assert!(
        require_tool("chromium"),
        "chromium is needed to load the report (scripts/setup.sh installs it)"
    );
    let scratch = tempfile::tempdir().expect("temp dir");
    let net_log = scratch.path().join("net-log.json");
    let url = format!(
        "file://{}",
        page.canonicalize().expect("the page exists").display()
    );
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
        ])
        .arg(format!(
            "--user-data-dir={}",
            scratch.path().join("profile").display()
        ))
        .arg(format!("--log-net-log={}", net_log.display()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed on {url}: {stderr}");
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(
        console.is_empty(),
        "the page logged to its console: {console:?}"
    );
    let requests = page_requests(&std::fs::read_to_string(&net_log).expect("net log"));
    assert!(
        requests.is_empty(),
        "the page requested more than local files: {requests:?}"
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// URLs a page loaded from a file requested that are not local files or inline data.
/// Chromium's own traffic (updates, accounts) has no `file://` page behind it and is left out.
fn page_requests(net_log: &str) -> Vec<String> {
    let log: serde_json::Value = serde_json::from_str(net_log)
        .or_else(|_| {
            serde_json::from_str(&format!("{}]}}", net_log.trim_end().trim_end_matches(',')))
        })
        .expect("the net log is JSON");
    let mut urls: Vec<String> = log["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let params = &e["params"];
            let from_page = params["network_isolation_key"]
                .as_str()
                .is_some_and(|k| k.starts_with("file://"));
            let url = params["url"].as_str()?;
            (from_page && !url.starts_with("file:") && !url.starts_with("data:"))
                .then(|| url.to_string())
        })
        .collect();
    urls.dedup();
    urls
}

/// A TCP port free on this machine now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `farend lab serve` with `handsets` handsets, writing its lab file to `lab_file`;
/// closing the child's stdin stops it. `stdout` is where its handset lines go.
pub fn lab_serve(
    handsets: usize,
    lab_file: &Path,
    stdout: std::process::Stdio,
) -> std::process::Child {
    farend()
        .args(["lab", "serve", "--until-eof", "--handsets"])
        .arg(handsets.to_string())
        .arg("--write-lab")
        .arg(lab_file)
        .stdin(std::process::Stdio::piped())
        .stdout(stdout)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("farend lab serve starts")
}

/// A private adb server on its own port, killed when dropped.
pub struct AdbServer(pub u16);

impl AdbServer {
    /// Starts a server on a free port.
    pub fn start() -> AdbServer {
        let port = free_port();
        let server = AdbServer(port);
        let out = server.adb(&["start-server"]);
        assert!(
            out.status.success(),
            "adb start-server: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        server
    }

    /// Runs `adb` against this server.
    pub fn adb(&self, args: &[&str]) -> std::process::Output {
        Command::new("adb")
            .arg("-P")
            .arg(self.0.to_string())
            .args(args)
            .output()
            .expect("adb runs")
    }
}

impl Drop for AdbServer {
    fn drop(&mut self) {
        let _ = self.adb(&["kill-server"]);
    }
}
