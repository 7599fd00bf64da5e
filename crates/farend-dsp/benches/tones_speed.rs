//! Talk-off counts and speed of the DTMF receiver and the tone detectors on long material.
//!
//! `cargo bench -p farend-dsp --bench tones_speed -- [--write-corpus DIR] [FILE.raw ...]`
//! With `--write-corpus DIR` it first writes DIR/speech.raw (Debian speech recordings, three
//! variations) and DIR/music.raw (generated), then analyses them; files are 8 kHz s16le raw.
//! Prints one line per detector and file in the same form as `scripts/dsp/spandsp_rx`.

#[path = "../tests/dtmf_corpus/mod.rs"]
mod corpus;

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bench" => {}
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
