//! Talk-off counts and speed of the DTMF receiver and the tone detectors on long material.
//!
//! `cargo bench -p farend-dsp --bench tones_speed -- [--write-corpus DIR] [--write-dtmf DIR] [FILE.raw ...]`
//! With `--write-corpus DIR` it first writes DIR/speech.raw (Debian speech recordings, three
//! variations) and DIR/music.raw (generated), then analyses them; files are 8 kHz s16le raw.
//! With `--write-dtmf DIR` it writes DIR/<codec>_<level>.wav: the 16 digits at 100 ms / 100 ms
//! at each per-tone level through each codec (material for the codec table), and exits.
//! Prints one line per detector and file in the same form as `scripts/dsp/spandsp_rx`.

#[path = "../tests/dtmf_codec_support/mod.rs"]
mod codecs;
#[path = "../tests/dtmf_corpus/mod.rs"]
mod corpus;

use std::path::PathBuf;
use std::time::Instant;

/// The digit string of the codec table: every digit once.
const DTMF_DIGITS: &str = "147*2580#369ABCD";

/// Writes the 16 digits at 100 ms / 100 ms, with 300 ms of silence around them, at every
/// level of the codec table through every codec, as DIR/<codec>_<level>.wav (8 kHz).
fn write_dtmf_strings(dir: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    for level in codecs::LEVELS_DBM0 {
        let dbov = farend_dsp::tone::dbm0_to_dbov(f64::from(level));
        let tones = farend_dsp::dtmf::generate_dtmf(DTMF_DIGITS, 100, 100, dbov, 8000)
            .map_err(|e| e.to_string())?;
        let mut x = vec![0.0f32; 2400];
        x.extend(tones);
        x.extend(std::iter::repeat_n(0.0f32, 2400));
        for codec in codecs::CODECS {
            let y = codecs::through_codec(codec, &x)?;
            let name = format!("{}_{level}.wav", codec.replace(':', "_"));
            let mut w =
                hound::WavWriter::create(dir.join(name), spec).map_err(|e| e.to_string())?;
            for v in y {
                let s = (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
                w.write_sample(s).map_err(|e| e.to_string())?;
            }
            w.finalize().map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

fn main() {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bench" => {}
            "--write-dtmf" => {
                let Some(dir) = args.next().map(PathBuf::from) else {
                    eprintln!("--write-dtmf needs a directory");
                    std::process::exit(2);
                };
                if let Err(e) = write_dtmf_strings(&dir) {
                    eprintln!("{}: {e}", dir.display());
                    std::process::exit(2);
                }
                return;
            }
            "--write-corpus" => {
                let Some(dir) = args.next().map(PathBuf::from) else {
                    eprintln!("--write-corpus needs a directory");
                    std::process::exit(2);
                };
                if let Err(e) = std::fs::create_dir_all(&dir) {
                    eprintln!("{}: {e}", dir.display());
                    std::process::exit(2);
                }
                let speech = corpus::speech_corpus();
                if speech.is_empty() {
                    eprintln!(
                        "no speech recordings installed ({} / {})",
                        corpus::asterisk_dir(),
                        corpus::CODEC2_RAW
                    );
                    std::process::exit(2);
                }
                for (name, x) in [
                    ("speech.raw", speech),
                    ("music.raw", corpus::music_corpus()),
                ] {
                    let p = dir.join(name);
                    if let Err(e) = corpus::write_raw(&p, &x) {
                        eprintln!("{}: {e}", p.display());
                        std::process::exit(2);
                    }
                    files.push(p);
                }
            }
            other => files.push(PathBuf::from(other)),
        }
    }
    for path in files {
        let Some(x) = corpus::load_raw(&path) else {
            eprintln!("{}: cannot read", path.display());
            std::process::exit(2);
        };
        let secs = x.len() as f64 / 8000.0;
        println!("# {} ({:.1} min)", path.display(), secs / 60.0);
        // Best of three runs: the machine may be shared.
        let timed = |f: &dyn Fn() -> usize| -> (usize, f64) {
            let mut best = f64::INFINITY;
            let mut count = 0;
            for _ in 0..3 {
                let t0 = Instant::now();
                count = f();
                best = best.min(t0.elapsed().as_secs_f64());
            }
            (count, best)
        };
        let (n, cpu) = timed(&|| farend_dsp::dtmf::detect_dtmf(&x, 8000).events.len());
        println!(
            "dtmf digits={n} events={n} seconds={secs:.1} cpu={cpu:.4} x_realtime={:.0}",
            secs / cpu
        );
        println!("{}", farend_dsp::dtmf::detect_dtmf(&x, 8000).digits);
        let (n, cpu) = timed(&|| farend_dsp::tone::detect_tones(&x, 8000).len());
        println!(
            "tones digits=0 events={n} seconds={secs:.1} cpu={cpu:.4} x_realtime={:.0}",
            secs / cpu
        );
        // Progress tones: classify 30 s windows of the detected segments.
        let (n, cpu) = timed(&|| {
            let segs = farend_dsp::tone::detect_tones(&x, 8000);
            let total = secs * 1000.0;
            let mut matches = 0;
            let mut w0 = 0.0;
            while w0 < total {
                let w1 = (w0 + 30_000.0).min(total);
                let win: Vec<_> = segs
                    .iter()
                    .filter(|s| s.start_ms >= w0 && s.start_ms < w1)
                    .cloned()
                    .collect();
                if farend_dsp::progress::classify_segments(&win, w1, None).is_some() {
                    matches += 1;
                }
                w0 = w1;
            }
            matches
        });
        println!(
            "progress digits=0 events={n} seconds={secs:.1} cpu={cpu:.4} x_realtime={:.0}",
            secs / cpu
        );
    }
}
