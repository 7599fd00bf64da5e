//! ITU-T P.862 Annex A conformance tests 2(a) and 2(b): the 40 variable-delay
//! pairs at 8 kHz and at 16 kHz against the published raw scores.

mod common;

use farend_quality::{Band, ScoreOptions, score_i16};

/// Largest accepted difference from a published raw score.
const BAR: f64 = 0.01;

fn run_set(csv: &str) -> Option<Vec<(String, f64, f64)>> {
    let dir = common::refs_dir()?.join("p862-conformance");
    let text = std::fs::read_to_string(dir.join(csv)).expect("expected scores CSV");
    let mut rows = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 4 {
            continue;
        }
        let (rate, r) = common::read_wav(&dir.join(f[0]));
        let (_, d) = common::read_wav(&dir.join(f[1]));
        let expected: f64 = f[3].trim().parse().expect("score");
        let got = score_i16(&r, &d, rate, &ScoreOptions::new(Band::Narrow))
            .unwrap_or_else(|e| panic!("{}: {e}", f[1]))
            .raw;
        rows.push((format!("{} {}", f[1], rate), expected, got));
    }
    Some(rows)
}

fn report(rows: &[(String, f64, f64)]) -> f64 {
    println!(
        "{:<24} {:>8} {:>8} {:>8}",
        "pair", "expected", "got", "delta"
    );
    let mut worst = 0.0f64;
    for (name, e, g) in rows {
        let delta = g - e;
        worst = worst.max(delta.abs());
        let flag = if delta.abs() > BAR { "  <-- over" } else { "" };
        println!("{name:<24} {e:>8.3} {g:>8.3} {delta:>+8.4}{flag}");
    }
    let within = rows.iter().filter(|r| (r.2 - r.1).abs() <= BAR).count();
    println!(
        "max |delta| {worst:.4}; {within}/{} within {BAR}",
        rows.len()
    );
    worst
}

#[test]
fn conformance_8k_and_16k() {
    let Some(mut rows) = run_set("expected_8k.csv") else {
        return;
    };
    let Some(rows16) = run_set("expected_16k.csv") else {
        return;
    };
    assert_eq!(rows.len(), 40);
    assert_eq!(rows16.len(), 40);
    rows.extend(rows16);
    let worst = report(&rows);
    assert!(worst <= BAR, "max delta {worst:.4} exceeds {BAR}");
}
