//! Every fuzz entry point on mutated real samples, on stable Rust: a bounded, deterministic
//! run in every test run (the coverage-guided fuzzers in `fuzz/` go further).
//!
//! Samples: the sample scenarios, the malformed-input corpus of the end-to-end tests, a lab
//! file, the speech references, ADB frames, and real Android output from
//! `$FAREND_REFS/android-real` when the shared material is there (required under `CI`).
//! Mutations: bit flips, byte runs replaced by extreme values, insertions, deletions,
//! duplicated stretches, truncation and splices of two samples. An input that panics is
//! written to the target folder and named in the failure.

use std::path::{Path, PathBuf};

/// Mutated inputs per entry point.
const ROUNDS: usize = 4000;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files_in(dir: &Path, ext: &str) -> Vec<Vec<u8>> {
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == ext))
                .filter_map(|p| Some((p.clone(), std::fs::read(&p).ok()?)))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.into_iter().map(|(_, b)| b).collect()
}

const LAB: &str = "\
adb: { server: 127.0.0.1:5037 }
handsets:
  - id: a
    serial: 2A111FDH6004XY
    number: \"+421900000001\"
    audio: { mic: \"virtual:127.0.0.1:40101\", ear: \"virtual:127.0.0.1:40102\" }
  - id: b
    connect: 127.0.0.1:40001
    number: \"+421900000002\"
    audio: { mic: \"pulseaudio:lab_b_mic\", ear: \"pulseaudio:lab_b_ear.monitor\", mic_delay_ms: 4.5 }
";

fn adb_frames() -> Vec<u8> {
    use farend_lab::adb::transport::{A_CNXN, A_OPEN, A_WRTE, Message};
    let mut b = Message::new(
        A_CNXN,
        0x0100_0001,
        4096,
        b"host::features=shell_v2\0".to_vec(),
    )
    .encode();
    b.extend(Message::new(A_OPEN, 1, 0, b"shell:getprop\0".to_vec()).encode());
    b.extend(Message::new(A_WRTE, 1, 1, b"\x00\x05\x00\x00\x00hello".to_vec()).encode());
    b
}

fn device_samples() -> Vec<Vec<u8>> {
    let mut out = vec![
        b"[ro.product.model]: [Pixel 7]\n[gsm.operator.alpha]: [,T-Mobile  NL]\n".to_vec(),
        b"  mCallState=2\n  mCallIncomingNumber=+421900000001\n:farend-rc:0\n".to_vec(),
        b"Call TC@1 [2026-12-05 10:00:00.000] OUTGOING\n  SET_DIALING\n  SET_ACTIVE\n".to_vec(),
    ];
    match std::env::var_os("FAREND_REFS") {
        Some(refs) => {
            let real = files_in(&Path::new(&refs).join("android-real"), "txt");
            assert!(!real.is_empty(), "no android-real output under FAREND_REFS");
            out.extend(real);
        }
        None => assert!(
            std::env::var_os("CI").is_none(),
            "FAREND_REFS must point at the shared material in CI"
        ),
    }
    out
}

fn samples(target: &str) -> Vec<Vec<u8>> {
    let r = root();
    let samples = match target {
        "scenario" => {
            let mut s = files_in(&r.join("scenarios"), "yaml");
            s.extend(files_in(&r.join("tests/malformed/scenario"), "yaml"));
            s
        }
        "lab_file" => {
            let mut s = vec![LAB.as_bytes().to_vec()];
            s.extend(files_in(&r.join("tests/malformed/lab"), "yaml"));
            s
        }
        "wav" => files_in(&r.join("audio-refs/speech"), "wav")
            .into_iter()
            // The start of a file: its header and some samples.
            .map(|b| b[..b.len().min(4096)].to_vec())
            .collect(),
        "adb_frames" => vec![adb_frames()],
        "device_output" => device_samples(),
        other => panic!("no samples for {other}"),
    };
    assert!(!samples.is_empty(), "{target}: no samples");
    samples
}

/// xorshift64*: the same inputs on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, base: &[u8], other: &[u8]) -> Vec<u8> {
    let mut x = base.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(x.len() + 1);
        match rng.below(7) {
            0 if !x.is_empty() => {
                let i = at.min(x.len() - 1);
                x[i] ^= 1 << rng.below(8);
            }
            1 => {
                let extreme: [&[u8]; 6] = [
                    &[0xff; 4],
                    &[0; 4],
                    &[0xff, 0xff, 0xff, 0x7f],
                    b"\xef\xbb\xbf",
                    b": [\n- {",
                    b"\r\n\t\x00",
                ];
                let v = extreme[rng.below(extreme.len())];
                let end = (at + v.len()).min(x.len());
                x.splice(at..end, v.iter().copied());
            }
            2 => {
                let n = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                x.splice(at..at, bytes);
            }
            3 => {
                let end = (at + 1 + rng.below(64)).min(x.len());
                x.drain(at.min(end)..end);
            }
            4 if !x.is_empty() => {
                let start = rng.below(x.len());
                let end = (start + 1 + rng.below(256)).min(x.len());
                let piece = x[start..end].to_vec();
                x.splice(at..at, piece);
            }
            5 => x.truncate(at),
            _ => {
                let cut = rng.below(other.len() + 1);
                x.truncate(at);
                x.extend_from_slice(&other[cut..]);
            }
        }
    }
    x
}

#[test]
fn no_entry_point_panics_on_mutated_samples() {
    let mut failures = Vec::new();
    for (i, (name, entry)) in farend_fuzz::TARGETS.into_iter().enumerate() {
        let samples = samples(name);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (i as u64 + 1));
        for round in 0..ROUNDS {
            let base = &samples[round % samples.len()];
            let other = &samples[rng.below(samples.len())];
            let input = if round < samples.len() {
                base.clone()
            } else {
                mutate(&mut rng, base, other)
            };
            if std::panic::catch_unwind(|| entry(&input)).is_err() {
                let file = std::env::temp_dir().join(format!("farend-fuzz-{name}-{round}.bin"));
                let _ = std::fs::write(&file, &input);
                failures.push(format!(
                    "{name}: round {round}, input in {}",
                    file.display()
                ));
                break;
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn mutations_change_inputs_and_stay_small() {
    let mut rng = Rng(7);
    let base = b"handsets:\n  - id: a\n".to_vec();
    let mutated: Vec<Vec<u8>> = (0..200)
        .map(|_| mutate(&mut rng, &base, b"other"))
        .collect();
    assert!(mutated.iter().filter(|m| **m != base).count() > 150);
    assert!(mutated.iter().all(|m| m.len() < base.len() + 300));
}
