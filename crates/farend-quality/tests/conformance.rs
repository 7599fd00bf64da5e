//! ITU-T P.862 Annex A conformance tests 2(a) and 2(b): the 40 variable-delay
//! pairs at 8 kHz and at 16 kHz against the published raw scores.
//!
//! The test prints every pair and whether the Annex's own criterion (at most 1 of 40 pairs
//! off by more than 0.05, none by more than 0.5) is met. The scorer does not meet it yet: its
//! time alignment under variable delay differs from the reference's. What the test asserts
//! is a regression bound at today's agreement (mean |delta| 0.157 / 0.189, max 0.57 / 1.12,
//! pairs within 0.05: 11 / 10 of 40 at 8 / 16 kHz), so that no change makes it worse
//! unnoticed; tighten it as alignment improves.

mod common;

use farend_quality::{Band, ScoreOptions, score_i16};

/// The Annex criterion: pairs off by more than this ...
const ANNEX_BAR: f64 = 0.05;
/// ... may be at most one of 40, and none may be off by more than this.
const ANNEX_MAX: f64 = 0.5;
/// Regression bound: mean |delta| over the 40 pairs of one rate.
const MEAN_BOUND: f64 = 0.20;
/// Regression bound: largest |delta|.
const MAX_BOUND: f64 = 1.15;
/// Regression bound: fewest pairs of one rate within the Annex's 0.05.
const MIN_WITHIN_BAR: usize = 10;

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

/// Prints the pairs and the Annex verdict; returns (mean |delta|, max |delta|).
fn report(rows: &[(String, f64, f64)]) -> (f64, f64, usize) {
    println!(
        "{:<24} {:>8} {:>8} {:>8}",
        "pair", "expected", "got", "delta"
    );
    let mut worst = 0.0f64;
    let mut sum = 0.0;
    for (name, e, g) in rows {
        let delta = g - e;
        worst = worst.max(delta.abs());
        sum += delta.abs();
        let flag = if delta.abs() > ANNEX_BAR {
            "  <-- over 0.05"
        } else {
            ""
        };
        println!("{name:<24} {e:>8.3} {g:>8.3} {delta:>+8.4}{flag}");
    }
    let over = rows
        .iter()
        .filter(|r| (r.2 - r.1).abs() > ANNEX_BAR)
        .count();
    let annex = over <= 1 && worst <= ANNEX_MAX;
    let mean = sum / rows.len() as f64;
    println!(
        "mean |delta| {mean:.4}, max {worst:.4}; {over}/{} over {ANNEX_BAR}; Annex A criterion {}",
        rows.len(),
        if annex { "met" } else { "NOT met" }
    );
    (mean, worst, rows.len() - over)
}

#[test]
fn conformance_8k_and_16k_within_the_regression_bound() {
    // Both tables are printed before anything is asserted: a failing run shows them all.
    let mut results = Vec::new();
    for csv in ["expected_8k.csv", "expected_16k.csv"] {
        let Some(rows) = run_set(csv) else {
            return;
        };
        assert_eq!(rows.len(), 40, "{csv}");
        results.push((csv, report(&rows)));
    }
    for (csv, (mean, worst, within)) in results {
        assert!(
            within >= MIN_WITHIN_BAR,
            "{csv}: {within} pairs within {ANNEX_BAR}, fewer than {MIN_WITHIN_BAR}"
        );
        assert!(
            mean <= MEAN_BOUND,
            "{csv}: mean |delta| {mean:.4} exceeds {MEAN_BOUND}"
        );
        assert!(
            worst <= MAX_BOUND,
            "{csv}: max |delta| {worst:.4} exceeds {MAX_BOUND}"
        );
    }
}
