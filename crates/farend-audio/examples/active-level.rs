//! Prints the level figures of WAV files: one line per file with the sample rate, the
//! duration in seconds, the ITU-T P.56 active level in dBov, the activity factor and the
//! peak in dBFS, separated by spaces (`-` when the file is silent).
//!
//! `cargo run -p farend-audio --example active-level -- FILE.wav...`
//! (used by `scripts/make-audio-refs.sh`).

use std::process::ExitCode;

use farend_dsp::level::{active_level_dbov, peak_dbfs};

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: active-level FILE.wav...");
        return ExitCode::from(2);
    }
    let mut status = ExitCode::SUCCESS;
    for file in files {
        match farend_audio::read_wav(&file) {
            Ok(pcm) => {
                let x = pcm.to_f32();
                let (level, activity) = match active_level_dbov(&x, pcm.rate) {
                    Some(a) => (format!("{:.2}", a.level_dbov), format!("{:.3}", a.activity)),
                    None => ("-".to_string(), "-".to_string()),
                };
                println!(
                    "{} {:.3} {} {} {:.2}",
                    pcm.rate,
                    pcm.duration_s(),
                    level,
                    activity,
                    peak_dbfs(&x)
                );
            }
            Err(e) => {
                eprintln!("{e}");
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}
