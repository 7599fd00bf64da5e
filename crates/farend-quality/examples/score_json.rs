//! Prints the whole score of one pair as JSON: `score_json [--wb|--wb2005] REF.wav DEG.wav`.

use farend_quality::{Band, ScoreOptions, WidebandVersion, score_i16};

fn read(path: &str) -> (u32, Vec<i16>) {
    let mut r = hound::WavReader::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let rate = r.spec().sample_rate;
    (rate, r.samples::<i16>().map(|v| v.unwrap_or(0)).collect())
}

fn main() {
    let mut opts = ScoreOptions::new(Band::Narrow);
    let mut files = Vec::new();
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--wb" => opts.band = Band::Wide,
            "--wb2005" => {
                opts.band = Band::Wide;
                opts.wideband_version = WidebandVersion::P862_2_2005;
            }
            _ => files.push(a),
        }
    }
    let (rate, r) = read(&files[0]);
    let (_, d) = read(&files[1]);
    match score_i16(&r, &d, rate, &opts) {
        Ok(s) => println!("{}", serde_json::to_string(&s).unwrap_or_default()),
        Err(e) => eprintln!("{e}"),
    }
}
