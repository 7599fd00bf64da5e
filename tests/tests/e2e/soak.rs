//! Soak: 100 consecutive calls with audio in one `farend run`, one case at a time, on a
//! virtual lab served by its own process (`farend lab serve`), as phones would be: the
//! memory measured is the runner's alone. Every call passes; the runner holds no more
//! threads or open files during the last calls than it did once warmed up (after 20 calls,
//! give or take two), and its resident memory grows by less than 10 % and by less than a
//! recording per call: nothing a case leaves behind (command logs, threads, recordings)
//! grows without bound beyond the case's own report, which is kept until the reports are
//! written.

use farend_e2e::*;
use std::io::{BufRead, BufReader};
use std::ops::RangeInclusive;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const CALLS: usize = 100;

/// Calls done before memory counts as warmed up, and the window the baseline is taken over.
const WARM: RangeInclusive<usize> = 20..=30;

/// The window compared with it: the last ten calls.
const LAST: RangeInclusive<usize> = CALLS - 10..=CALLS - 1;

/// Growth of resident memory per call that counts as a leak. Each case's report (steps,
/// events, measurements, tracks) stays in memory until the reports are written at the end,
/// about 13 KiB; one call's recording left behind (about a second at 16 kHz: 32 KiB as
/// 16-bit samples, twice that as floats) or a thread's stack would exceed this.
const MAX_KIB_PER_CALL: f64 = 24.0;

/// What one look at the runner process finds.
#[derive(Clone, Copy)]
struct Sample {
    calls_done: usize,
    rss_kib: u64,
    threads: u64,
    open_files: u64,
}

/// Resident memory (KiB), threads and open file descriptors of a process, from `/proc`.
fn sample(pid: u32, calls_done: usize) -> Option<Sample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    let open_files = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64;
    Some(Sample {
        calls_done,
        rss_kib: field("VmRSS:")?,
        threads: field("Threads:")?,
        open_files,
    })
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
        // glibc gives new threads arenas of their own, up to eight per core; how much those
        // hold while they fill up differs from run to run by more than 10 % of this small a
        // process. With two arenas, what the resident memory shows is what the runner keeps.
        .env("MALLOC_ARENA_MAX", "2")
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
    let mut samples: Vec<Sample> = Vec::new();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Some(s) = sample(pid, done.load(Ordering::SeqCst)) {
            samples.push(s);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    reader.join().unwrap();
    drop(lab.stdin.take());
    let _ = lab.wait();
    assert!(status.success(), "farend run: {status}");
    assert_eq!(passed.load(Ordering::SeqCst), CALLS, "every call passes");

    // Samples taken while a call of the window runs; once all are done the runner writes
    // the reports, which is no call's doing.
    let window = |calls: &RangeInclusive<usize>, of: fn(&Sample) -> u64| -> Vec<u64> {
        let mut values: Vec<u64> = samples
            .iter()
            .filter(|s| calls.contains(&s.calls_done))
            .map(of)
            .collect();
        assert!(
            !values.is_empty(),
            "the runner sampled during calls {calls:?}"
        );
        values.sort_unstable();
        values
    };
    for (what, of) in [
        ("threads", (|s: &Sample| s.threads) as fn(&Sample) -> u64),
        ("open files", |s: &Sample| s.open_files),
    ] {
        let warm = *window(&WARM, of).last().unwrap();
        let last = *window(&LAST, of).last().unwrap();
        println!("soak: {what}: at most {warm} during calls {WARM:?}, {last} during {LAST:?}");
        // A peak sampled every 200 ms may miss a short-lived thread in one window and not
        // in the other; one left behind per call would add 70.
        assert!(
            last <= warm + 2,
            "{what} grew from {warm} to {last} over {CALLS} calls"
        );
    }
    let median = |calls: &RangeInclusive<usize>| {
        let values = window(calls, |s| s.rss_kib);
        values[values.len() / 2] as f64
    };
    let centre = |calls: &RangeInclusive<usize>| (calls.start() + calls.end()) as f64 / 2.0;
    let (warm, last) = (median(&WARM), median(&LAST));
    let per_call = (last - warm) / (centre(&LAST) - centre(&WARM));
    let growth = last / warm - 1.0;
    println!(
        "soak: {CALLS} calls, resident memory {warm} KiB during calls {WARM:?}, {last} KiB during {LAST:?}: {:+.1} %, {per_call:+.1} KiB per call",
        growth * 100.0
    );
    assert!(
        per_call < MAX_KIB_PER_CALL,
        "memory grew {per_call:.1} KiB per call over {CALLS} calls"
    );
    assert!(
        growth < 0.10,
        "memory grew {:.1} % over {CALLS} calls",
        growth * 100.0
    );
}
