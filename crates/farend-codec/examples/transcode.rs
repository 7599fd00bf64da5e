//! Runs a 16-bit mono WAV through one of farend's codecs, as the virtual network does, and
//! writes the decoded signal: for building test material with the same codecs the lab uses
//! (sox has no AMR-WB encoder).
//!
//! Usage: `cargo run --release -p farend-codec --example transcode -- SPEC IN.wav OUT.wav
//! [LOST]`, where SPEC is a codec as scenarios name it (`amr-wb:12.65`, `opus:wb:16k`,
//! `g722`, ...), IN.wav is at the codec's sample rate and LOST lists the 20 ms frames
//! (0-based, comma-separated) to lose and conceal. The output is as long as the input and
//! lags it by the codec's algorithmic delay.

use farend_codec::{CodecSpec, transcode};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [spec, input, output, rest @ ..] = args.as_slice() else {
        eprintln!("usage: transcode SPEC IN.wav OUT.wav [LOST-FRAMES]");
        return ExitCode::from(2);
    };
    match run(spec, input, output, rest.first().map(String::as_str)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("transcode: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(spec: &str, input: &str, output: &str, lost: Option<&str>) -> Result<(), String> {
    let spec: CodecSpec = spec.parse().map_err(|e| format!("{spec}: {e}"))?;
    let mut reader = hound::WavReader::open(input).map_err(|e| format!("{input}: {e}"))?;
    let wav = reader.spec();
    if wav.channels != 1 || wav.bits_per_sample != 16 {
        return Err(format!("{input}: not 16-bit mono"));
    }
    let pcm: Vec<i16> = reader
        .samples::<i16>()
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{input}: {e}"))?;
    let lost: Vec<usize> = match lost {
        None | Some("") => Vec::new(),
        Some(list) => list
            .split(',')
            .map(|n| {
                n.trim()
                    .parse()
                    .map_err(|_| format!("lost frame {n:?}: not a number"))
            })
            .collect::<Result<_, _>>()?,
    };
    let decoded =
        transcode(&spec, &pcm, wav.sample_rate, &lost).map_err(|e| format!("{input}: {e}"))?;
    let mut writer = hound::WavWriter::create(output, wav).map_err(|e| format!("{output}: {e}"))?;
    for s in decoded {
        writer
            .write_sample(s)
            .map_err(|e| format!("{output}: {e}"))?;
    }
    writer.finalize().map_err(|e| format!("{output}: {e}"))
}
