//! Scores WAV pairs given on the command line (or a conformance CSV) and prints raw scores.
//!
//! `cargo run --example pesq_pair -- [--wb|--wb2005] REF.wav DEG.wav` prints one JSON object;
//! `cargo run --example pesq_pair -- --csv DIR/expected_8k.csv` prints a delta table;
//! `cargo run --example pesq_pair -- --list-file PAIRS.tsv` prints `raw\tmos\tdelay_ms` per
//! `REF\tDEG` line;
//! `cargo run --release --example pesq_pair -- --bench N [--wb] REF DEG [REF DEG ...]`
//! scores each pair N times on one thread and prints milliseconds per pair.

use farend_quality::{Band, ScoreOptions, WidebandVersion, score_i16};

fn read(path: &str) -> (u32, Vec<i16>) {
    let mut r = match hound::WavReader::open(path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let rate = r.spec().sample_rate;
    (rate, r.samples::<i16>().map(|v| v.unwrap_or(0)).collect())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = ScoreOptions::new(Band::Narrow);
    let mut rest = Vec::new();
    let mut csv = None;
    let mut list: Option<String> = None;
    let mut bench: Option<usize> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--wb" => opts.band = Band::Wide,
            "--wb2005" => {
                opts.band = Band::Wide;
                opts.wideband_version = WidebandVersion::P862_2_2005;
            }
            "--csv" => csv = it.next().cloned(),
            "--list-file" => list = it.next().cloned(),
            "--bench" => bench = it.next().and_then(|v| v.parse().ok()),
            _ => rest.push(a.clone()),
        }
    }
    if let Some(csv) = csv {
        let dir = std::path::Path::new(&csv)
            .parent()
            .map(|p| p.to_path_buf())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&csv).unwrap_or_default();
        let mut worst = 0.0f64;
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() < 4 {
                continue;
            }
            let (rate, r) = read(dir.join(f[0]).to_str().unwrap_or_default());
            let (_, d) = read(dir.join(f[1]).to_str().unwrap_or_default());
            let e: f64 = f[3].trim().parse().unwrap_or(f64::NAN);
            match score_i16(&r, &d, rate, &opts) {
                Ok(s) => {
                    worst = worst.max((s.raw - e).abs());
                    let delays: Vec<String> = s
                        .utterances
                        .iter()
                        .map(|u| {
                            format!("{:.0}@{:.2}", u.delay_ms * rate as f64 / 1000.0, u.start_s)
                        })
                        .collect();
                    println!(
                        "{:<22} {e:.3} {:.3} {:+.4} {}",
                        f[1],
                        s.raw,
                        s.raw - e,
                        delays.join(" ")
                    );
                }
                Err(err) => println!("{:<22} error {err}", f[1]),
            }
        }
        println!("worst {worst:.4}");
        return;
    }
    if let Some(list) = list {
        let text = std::fs::read_to_string(&list).unwrap_or_default();
        for line in text.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            let (rate, r) = read(f[0]);
            let (_, d) = read(f.get(1).copied().unwrap_or_default());
            match score_i16(&r, &d, rate, &opts) {
                Ok(s) => println!("{}\t{}\t{}", s.raw, s.mos_lqo, s.delay_ms),
                Err(e) => println!("nan\tnan\t{e}"),
            }
        }
        return;
    }
    if let Some(n) = bench {
        let pairs: Vec<(u32, Vec<i16>, Vec<i16>)> = rest
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| {
                let (rate, r) = read(&c[0]);
                let (_, d) = read(&c[1]);
                (rate, r, d)
            })
            .collect();
        let start = std::time::Instant::now();
        let mut sink = 0.0;
        for _ in 0..n.max(1) {
            for (rate, r, d) in &pairs {
                sink += score_i16(r, d, *rate, &opts).map(|s| s.raw).unwrap_or(0.0);
            }
        }
        let per = start.elapsed().as_secs_f64() * 1000.0 / (n.max(1) * pairs.len().max(1)) as f64;
        println!(
            "{per:.3} ms/pair ({} pairs x {n}, checksum {sink:.3})",
            pairs.len()
        );
        return;
    }
    if rest.len() != 2 {
        eprintln!("usage: pesq_pair [--wb|--wb2005] REF.wav DEG.wav | --csv FILE");
        std::process::exit(2);
    }
    let (rate, r) = read(&rest[0]);
    let (rate2, d) = read(&rest[1]);
    if rate != rate2 {
        eprintln!("rates differ");
        std::process::exit(2);
    }
    match score_i16(&r, &d, rate, &opts) {
        Ok(s) => {
            println!(
                "{{\"raw\": {}, \"mos_lqo\": {}, \"delay_ms\": {}}}",
                s.raw, s.mos_lqo, s.delay_ms
            );
            for u in &s.utterances {
                eprintln!(
                    "utt {:.3}-{:.3} delay {:.1} ms conf {:.4}",
                    u.start_s, u.end_s, u.delay_ms, u.confidence
                );
            }
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
