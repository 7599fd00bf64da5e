//! Real sound cards through cpal against a private PulseAudio daemon with null sinks.
//!
//! The cpal PulseAudio client finds its server through `PULSE_SERVER`, which a test process
//! cannot set for itself safely once threads run; so this test binary (no libtest harness)
//! starts the daemon and runs itself again as a child with the daemon's environment, and
//! the child runs the cases. PulseAudio missing fails the run, naming what is missing.

#[path = "support/pulse_daemon.rs"]
mod pulse_daemon;

use std::panic::AssertUnwindSafe;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use farend_audio::{AudioError, Endpoint, Pcm, play_and_record, record};
use farend_dsp::delay::estimate_delay;

/// Set in the child that runs the cases.
const CHILD: &str = "FAREND_PULSE_TEST_CHILD";

fn main() -> ExitCode {
    if std::env::var_os(CHILD).is_some() {
        return run_cases();
    }
    let daemon = pulse_daemon::PulseDaemon::start();
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let status = Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(CHILD, "1")
        .envs(daemon.client_env())
        .status()
        .expect("the test binary runs again");
    if !status.success() {
        eprintln!("PulseAudio daemon log:\n{}", daemon.log());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

type Case = fn() -> Result<(), String>;

fn run_cases() -> ExitCode {
    let cases: [(&str, Case); 4] = [
        ("null_sink_monitor_returns_what_was_played", same_sink),
        ("loopback_across_two_sinks_is_delayed_but_intact", two_sinks),
        ("record_alone_returns_the_requested_length", record_alone),
        (
            "unknown_devices_are_typed_errors_listing_the_names",
            unknown_devices,
        ),
    ];
    // libtest's filter convention: only cases whose name contains a free argument.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let started = Instant::now();
    let (mut passed, mut failed, mut filtered) = (0, 0, 0);
    for (name, case) in cases {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            filtered += 1;
            continue;
        }
        let t = Instant::now();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(case))
            .unwrap_or_else(|_| Err("panicked".to_string()));
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("test {name} ... ok ({:.1} s)", t.elapsed().as_secs_f64());
            }
            Err(why) => {
                failed += 1;
                println!("test {name} ... FAILED: {why}");
            }
        }
    }
    println!(
        "\ntest result: {}. {passed} passed; {failed} failed; 0 ignored; 0 measured; \
         {filtered} filtered out; finished in {:.2}s\n",
        if failed == 0 { "ok" } else { "FAILED" },
        started.elapsed().as_secs_f64()
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn ep(text: &str) -> Endpoint {
    text.parse().expect("a valid endpoint")
}

/// A 1.5 s pseudo-random noise burst at about −20 dBov between 0.2 s of silence on each
/// side: white noise has one sharp correlation peak, so its delay is unambiguous.
fn burst() -> Pcm {
    let rate = 16_000;
    let mut seed: u32 = 0x2545_f491;
    let mut samples = vec![0i16; rate as usize / 5];
    samples.extend((0..rate as usize * 3 / 2).map(|_| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        // Uniform in ±5700: RMS about 3300, i.e. −20 dBov.
        ((seed % 11_401) as i32 - 5_700) as i16
    }));
    samples.extend(std::iter::repeat_n(0, rate as usize / 5));
    Pcm::new(rate, samples)
}

/// Runs `stream` again (twice at most) while it fails with an xrun. A user-space sound server
/// on a loaded 2-core machine can be late to its own capture, and the card then rightly
/// refuses the recording as an xrun: that is the machine, not the path under test. Any other
/// failure counts at once.
fn again_after_xrun<T>(mut stream: impl FnMut() -> Result<T, AudioError>) -> Result<T, AudioError> {
    let mut outcome = stream();
    for _ in 0..2 {
        match &outcome {
            Err(e) if e.to_string().contains("xrun") => outcome = stream(),
            _ => break,
        }
    }
    outcome
}

/// Plays the burst into `mic` and records `ear`; returns (delay ms, correlation).
fn measure(mic: &str, ear: &str) -> Result<(f64, f64), String> {
    let reference = burst();
    let len = reference.samples.len() + 8_000;
    let capture = again_after_xrun(|| {
        runtime().block_on(play_and_record(
            &ep(mic),
            &ep(ear),
            &reference,
            len,
            Duration::from_secs(20),
        ))
    })
    .map_err(|e| format!("play and record: {e}"))?;
    if capture.recording.samples.len() != len || capture.recording.rate != 16_000 {
        return Err(format!(
            "recording of {} samples at {} Hz, expected {len} at 16000 Hz",
            capture.recording.samples.len(),
            capture.recording.rate
        ));
    }
    if capture.late_samples != 0 {
        return Err(format!("{} late samples", capture.late_samples));
    }
    let d = estimate_delay(
        &capture.reference.to_f32(),
        &capture.recording.to_f32(),
        16_000,
        0.4,
    )
    .ok_or("the burst is not in the recording")?;
    println!(
        "  {mic} -> {ear}: delay {:.2} ms, correlation {:.3}",
        d.ms, d.correlation
    );
    Ok((d.ms, d.correlation))
}

fn check(cond: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what()) }
}

fn same_sink() -> Result<(), String> {
    let (d1, c1) = measure("pulseaudio:lab_a_mic", "pulseaudio:lab_a_mic.monitor")?;
    let (d2, c2) = measure("pulseaudio:lab_a_mic", "pulseaudio:lab_a_mic.monitor")?;
    for (d, c) in [(d1, c1), (d2, c2)] {
        check(c > 0.9, || format!("correlation {c:.3} <= 0.9"))?;
        // A monitor hears a sink as it renders: the path delay is zero, and the two
        // streams' timestamps put it within a couple of milliseconds of that.
        check((-2.0..=300.0).contains(&d), || {
            format!("delay {d:.2} ms outside -2..300 ms")
        })?;
    }
    check((d1 - d2).abs() <= 3.0, || {
        format!("delay moved from {d1:.2} ms to {d2:.2} ms between runs")
    })
}

fn two_sinks() -> Result<(), String> {
    let (d1, c1) = measure("pulseaudio:lab_a_mic", "pulseaudio:lab_b_ear.monitor")?;
    let (d2, _) = measure("pulseaudio:lab_a_mic", "pulseaudio:lab_b_ear.monitor")?;
    check(c1 > 0.9, || format!("correlation {c1:.3} <= 0.9"))?;
    // module-loopback buffers about 40 ms (it adapts its latency, so runs differ a little).
    check((10.0..=300.0).contains(&d1), || {
        format!("delay {d1:.2} ms outside 10..300 ms")
    })?;
    check((d1 - d2).abs() <= 15.0, || {
        format!("delay moved from {d1:.2} ms to {d2:.2} ms between runs")
    })
}

fn record_alone() -> Result<(), String> {
    let capture = again_after_xrun(|| {
        runtime().block_on(record(
            &ep("pulseaudio:lab_b_ear.monitor"),
            4_000,
            Duration::from_secs(10),
        ))
    })
    .map_err(|e| format!("record: {e}"))?;
    check(
        capture.recording.samples.len() == 4_000 && capture.recording.rate == 16_000,
        || {
            format!(
                "{} samples at {} Hz",
                capture.recording.samples.len(),
                capture.recording.rate
            )
        },
    )?;
    check(capture.reference.samples.is_empty(), || {
        "a reference".into()
    })
}

fn unknown_devices() -> Result<(), String> {
    let rt = runtime();
    let reference = Pcm::new(16_000, vec![0; 1_600]);
    let err = rt
        .block_on(play_and_record(
            &ep("pulseaudio:no_such_sink"),
            &ep("pulseaudio:lab_a_mic.monitor"),
            &reference,
            1_600,
            Duration::from_secs(10),
        ))
        .err()
        .ok_or("playing into a missing sink succeeded")?;
    let text = err.to_string();
    match &err {
        AudioError::NoSuchDevice {
            endpoint,
            kind,
            name,
            available,
        } => {
            check(
                endpoint == "pulseaudio:no_such_sink" && name == "no_such_sink",
                || format!("wrong endpoint in {text}"),
            )?;
            check(kind == "PulseAudio sink", || format!("kind in {text}"))?;
            check(available == &["lab_a_mic", "lab_b_ear"], || {
                format!("available sinks in {text}")
            })?;
        }
        other => return Err(format!("expected NoSuchDevice, got {other:?}")),
    }
    check(text.contains("lab_a_mic, lab_b_ear"), || {
        format!("message: {text}")
    })?;
    // A sink is no source: the ear must name a source, and the message lists them.
    let err = rt
        .block_on(record(
            &ep("pulseaudio:lab_a_mic"),
            160,
            Duration::from_secs(10),
        ))
        .err()
        .ok_or("recording from a sink succeeded")?;
    let text = err.to_string();
    check(
        matches!(&err, AudioError::NoSuchDevice { kind, .. } if kind == "PulseAudio source")
            && text.contains("lab_a_mic.monitor")
            && text.contains("lab_b_ear.monitor"),
        || format!("expected the sources to be listed: {text}"),
    )
}
