//! Fingerprint speed, side by side with Chromaprint's `fpcalc`:
//! extraction over all of Debian's installed 8 kHz speech (Asterisk prompts and codec2
//! samples), and identification of 3 s queries among 1000 references.
//!
//! Run: `cargo bench -p farend-dsp --bench fingerprint_speed`.

use farend_dsp::fingerprint::{Extractor, Index, identify};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const RATE: u32 = 8000;

fn wavs_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut items: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    items.sort();
    for p in items {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "silence") {
                wavs_under(&p, out);
            }
        } else if p.extension().is_some_and(|e| e == "wav") {
            out.push(p);
        }
    }
}

/// All installed 8 kHz speech, end to end, as i16.
fn speech() -> Vec<i16> {
    let mut files = Vec::new();
    // Debian moved the English prompts from `en` to `en_US_f_Allison` between releases.
    for dir in [
        "/usr/share/asterisk/sounds/en",
        "/usr/share/asterisk/sounds/en_US_f_Allison",
    ] {
        if Path::new(dir).join("digits").is_dir() {
            wavs_under(Path::new(dir), &mut files);
            break;
        }
    }
    let mut all = Vec::new();
    for f in files {
        let Ok(mut r) = hound::WavReader::open(&f) else {
            continue;
        };
        if r.spec().sample_rate != RATE || r.spec().channels != 1 {
            continue;
        }
        all.extend(r.samples::<i16>().map_while(Result::ok));
    }
    if let Ok(rd) = std::fs::read_dir("/usr/share/codec2/raw") {
        let mut raws: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        raws.sort();
        for p in raws
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "raw"))
        {
            if let Ok(bytes) = std::fs::read(p) {
                all.extend(
                    bytes
                        .chunks_exact(2)
                        .map(|b| i16::from_le_bytes([b[0], b[1]])),
                );
            }
        }
    }
    all
}

fn main() {
    let pcm = speech();
    if pcm.len() < RATE as usize * 60 {
        println!("skipped: install asterisk-core-sounds-en-wav and codec2-examples");
        return;
    }
    let secs = pcm.len() as f64 / f64::from(RATE);
    let x: Vec<f32> = pcm.iter().map(|&s| f32::from(s) / 32768.0).collect();

    // Extraction: best of 3, in process.
    let mut ex = Extractor::new(RATE).expect("rate");
    let mut best = f64::INFINITY;
    let mut words = 0;
    for _ in 0..3 {
        let t = Instant::now();
        words = ex.extract(&x).frames.len();
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "farend extract: {:.1} min of 8 kHz speech in {:.3} s ({:.0}x real time, {words} words)",
        secs / 60.0,
        best,
        secs / best
    );

    // fpcalc on the same audio, as one WAV, whole length (-length 0), best of 3.
    let wav = std::env::temp_dir().join(format!("farend-fp-bench-{}.wav", std::process::id()));
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    if let Ok(mut w) = hound::WavWriter::create(&wav, spec) {
        for &s in &pcm {
            let _ = w.write_sample(s);
        }
        let _ = w.finalize();
    }
    let mut fp_best = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        // fpcalc may complain about the end of the file yet print the fingerprint.
        match Command::new("fpcalc")
            .args(["-length", "0", "-raw"])
            .arg(&wav)
            .output()
        {
            Ok(o) if String::from_utf8_lossy(&o.stdout).contains("FINGERPRINT=") => {
                fp_best = fp_best.min(t.elapsed().as_secs_f64())
            }
            _ => break,
        }
    }
    let _ = std::fs::remove_file(&wav);
    if fp_best.is_finite() {
        println!(
            "fpcalc -length 0: same audio in {fp_best:.3} s ({:.0}x real time, includes process start and WAV decode)",
            secs / fp_best
        );
        let ratio = best / fp_best;
        println!(
            "extraction time farend (in process) / fpcalc (whole process): {ratio:.2}x ({})",
            if ratio <= 1.0 { "faster" } else { "slower" }
        );
    } else {
        println!("fpcalc not available: install libchromaprint-tools");
    }

    // 1000 references of 8 s, cut at 1.6 s steps around the speech (wrapping).
    let ref_len = 8 * RATE as usize;
    let step = (x.len() - ref_len) / 1000;
    let mut index = Index::new();
    let t = Instant::now();
    for k in 0..1000 {
        let a = k * step;
        index
            .add(&format!("ref{k:04}"), &x[a..a + ref_len], RATE)
            .expect("index");
    }
    println!(
        "index: 1000 references, {:.0} s of audio, built in {:.2} s, {} bytes",
        index.total_duration_s(),
        t.elapsed().as_secs_f64(),
        index.to_bytes().len()
    );
    // 200 clean 3 s queries at pseudo-random places inside references.
    let mut times = Vec::new();
    let mut right = 0;
    let mut unmatched = 0;
    let mut s = 12345u64;
    for _ in 0..200 {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let k = (s >> 33) as usize % 1000;
        let off = (s >> 13) as usize % (ref_len - 3 * RATE as usize);
        let a = k * step + off;
        let q = &x[a..a + 3 * RATE as usize];
        let t = Instant::now();
        let id = identify(&index, q, RATE);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        // Overlapping references share audio: any reference holding it at the right
        // place counts.
        unmatched += usize::from(id.matched.is_none());
        if let (Some(name), Some(ms)) = (&id.matched, id.offset_ms) {
            let got: i64 = name[3..].parse().unwrap_or(i64::MIN / 2);
            let pos = got * step as i64 + (ms * f64::from(RATE) / 1000.0).round() as i64;
            if pos.abs_diff(a as i64) <= 80 {
                right += 1;
            }
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "identify 3 s among 1000 references: median {:.2} ms, 90th percentile {:.2} ms, max {:.2} ms ({right}/200 found at the right place, {unmatched} matched nothing)",
        times[times.len() / 2],
        times[times.len() * 9 / 10],
        times[times.len() - 1]
    );
}
