//! DTMF through real codecs (sox with Debian's codec libraries): G.711 A-law and µ-law and
//! AMR-NB 12.2 kbit/s, all 16 digits at 100 ms / 100 ms must come back 100%.
//!
//! Without sox the tests skip with a reason, unless env `CI` is set, where they fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use farend_dsp::dtmf::{detect_dtmf, generate_dtmf_twisted};
use farend_dsp::tone::{dbm0_to_dbov, generate_noise};

const DIGITS: &str = "0123456789ABCD*#";

fn sox_available() -> bool {
    let ok = Command::new("sox")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "sox is required in CI (apt-get install sox libsox-fmt-all)"
        );
        println!("skipped: sox not installed");
    }
    ok
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("farend-dtmf-codecs-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write_wav(path: &Path, x: &[f32]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    for &v in x {
        w.write_sample((v.clamp(-1.0, 1.0) * 32767.0).round() as i16)
            .expect("write sample");
    }
    w.finalize().expect("finalize wav");
}

fn read_wav(path: &Path) -> Vec<f32> {
    let mut r = hound::WavReader::open(path).expect("open wav");
    assert_eq!(r.spec().sample_rate, 8000);
    r.samples::<i16>()
        .map(|s| f32::from(s.expect("sample")) / 32768.0)
        .collect()
}

fn sox(input: &Path, output: &Path, opts_out: &[&str]) {
    let out = Command::new("sox")
        .arg(input)
        .args(opts_out)
        .arg(output)
        .output()
        .expect("run sox");
    assert!(
        out.status.success(),
        "sox failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Encodes `x` with sox to `ext` (with extra output options) and decodes it back to 16-bit PCM.
fn through_codec(x: &[f32], dir: &Path, tag: &str, ext: &str, enc_opts: &[&str]) -> Vec<f32> {
    let input = dir.join(format!("{tag}-in.wav"));
    let coded = dir.join(format!("{tag}.{ext}"));
    let back = dir.join(format!("{tag}-back.wav"));
    write_wav(&input, x);
    sox(&input, &coded, enc_opts);
    sox(
        &coded,
        &back,
        &["-r", "8000", "-c", "1", "-e", "signed-integer", "-b", "16"],
    );
    read_wav(&back)
}

fn cases() -> Vec<(String, Vec<f32>)> {
    let mut out = Vec::new();
    for (lo, hi) in [
        (-10.0, -10.0),
        (-20.0, -20.0),
        (-30.0, -30.0),
        (-10.0, -18.0),
        (-14.0, -10.0),
    ] {
        for noise in [false, true] {
            let mut x = vec![0.0f32; 800];
            x.extend(
                generate_dtmf_twisted(DIGITS, 100, 100, dbm0_to_dbov(lo), dbm0_to_dbov(hi), 8000)
                    .expect("valid"),
            );
            if noise {
                let n = generate_noise(
                    dbm0_to_dbov(lo.min(hi)) - 15.0,
                    x.len() as f64 / 8000.0,
                    8000,
                    5,
                );
                x.iter_mut().zip(n).for_each(|(a, b)| *a += b);
            }
            out.push((format!("low {lo} dBm0 high {hi} dBm0 noise {noise}"), x));
        }
    }
    out
}

fn run_codec(name: &str, ext: &str, opts: &[&str]) {
    if !sox_available() {
        return;
    }
    let dir = scratch_dir(name);
    let mut failures = Vec::new();
    let all = cases();
    for (i, (label, x)) in all.iter().enumerate() {
        let y = through_codec(x, &dir, &format!("c{i}"), ext, opts);
        let got = detect_dtmf(&y, 8000).digits;
        if got != DIGITS {
            failures.push(format!("{label}: got {got:?}"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{name}: {}/{} sequences of 16 digits exact",
        all.len() - failures.len(),
        all.len()
    );
    assert!(failures.is_empty(), "{name}:\n{}", failures.join("\n"));
}

#[test]
fn g711_alaw() {
    run_codec("alaw", "wav", &["-r", "8000", "-c", "1", "-e", "a-law"]);
}

#[test]
fn g711_ulaw() {
    run_codec("ulaw", "wav", &["-r", "8000", "-c", "1", "-e", "u-law"]);
}

#[test]
fn amr_nb_12k2() {
    run_codec("amrnb", "amr-nb", &["-r", "8000", "-c", "1", "-C", "7"]);
}
