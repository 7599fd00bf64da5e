//! Soak: 100 consecutive calls with audio in one `farend run`, one case at a time, on a
//! virtual lab served by its own process (`farend lab serve`), as phones would be: the
//! memory measured is the runner's alone. Every call passes, and the runner's resident
//! memory over the last calls is within 10 % of what it was once warmed up (after 20
//! calls): nothing a case leaves behind (command logs, threads, reports) grows without bound.

use farend_e2e::*;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const CALLS: usize = 100;

/// Calls done before memory counts as warmed up, and the window the baseline is taken over.
const WARM: std::ops::RangeInclusive<usize> = 20..=30;

/// Resident memory of a process in KiB, from `/proc/PID/status`.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_hundred_calls_pass_and_memory_stays_flat() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = format!(
        "\
name: soak
parties: {{ a: {{}}, b: {{}} }}
repeat: {CALLS}
steps:
  - dial: {{ from: a, to: b }}
  - wait: {{ party: b, state: ringing, within: 10s }}
  - answer: {{ party: b }}
  - wait: {{ party: [a, b], state: active, within: 10s }}
  - play: {{ ref: tones/dtmf-123, into: a, record: b, margin: 200ms }}
    expect: {{ dtmf: \"123\" }}
  - hangup: {{ party: a }}
  - wait: {{ party: [a, b], state: idle, within: 10s }}
"
    );
    std::fs::write(dir.path().join("soak.yaml"), scenario).unwrap();
    let lab_file = dir.path().join("lab.yaml");
    let mut lab = lab_serve(2, &lab_file, Stdio::null());
    let waited = std::time::Instant::now();
    while !lab_file.exists() {
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "the lab file is written"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(200));
    let mut child = farend()
        .arg("run")
        .arg(dir.path().join("soak.yaml"))
        .arg("--lab")
        .arg(&lab_file)
        .args(["--jobs", "1", "--out"])
        .arg(dir.path().join("out"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("farend starts");
    let pid = child.id();
    let done = Arc::new(AtomicUsize::new(0));
    let passed = Arc::new(AtomicUsize::new(0));
    // Progress goes to stderr: `[ 3/100] PASS  soak#3 (1.2 s)`.
    let progress = child.stderr.take().unwrap();
    let reader = {
        let (done, passed) = (done.clone(), passed.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(progress).lines().map_while(Result::ok) {
                if line.starts_with('[') && line.contains('/') {
                    done.fetch_add(1, Ordering::SeqCst);
                    if line.contains("] PASS") {
                        passed.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        })
    };
    let mut samples: Vec<(usize, u64)> = Vec::new();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Some(rss) = rss_kib(pid) {
            samples.push((done.load(Ordering::SeqCst), rss));
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    reader.join().unwrap();
    drop(lab.stdin.take());
    let _ = lab.wait();
    assert!(status.success(), "farend run: {status}");
    assert_eq!(passed.load(Ordering::SeqCst), CALLS, "every call passes");

    let peak = |calls: &dyn Fn(usize) -> bool| {
        samples
            .iter()
            .filter(|(n, _)| calls(*n))
            .map(|&(_, rss)| rss)
            .max()
            .expect("memory sampled over those calls")
    };
    let warm = peak(&|n| WARM.contains(&n));
    let last = peak(&|n| n >= CALLS - 10);
    let growth = last as f64 / warm as f64 - 1.0;
    println!(
        "soak: {CALLS} calls, resident memory {warm} KiB after {}-{} calls, {last} KiB over the last 10: {:+.1} %",
        WARM.start(),
        WARM.end(),
        growth * 100.0
    );
    assert!(
        growth < 0.10,
        "memory grew {:.1} % over {CALLS} calls",
        growth * 100.0
    );
}
