//! Validates scenario files (or, with `--lab`, lab files) and prints every diagnostic.
//!
//! `cargo run -p farend-scenario --example validate -- scenarios/`
//! `cargo run -p farend-scenario --example validate -- --lab lab.yaml`

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut lab = false;
    let mut paths = Vec::new();
    for a in std::env::args().skip(1) {
        if a == "--lab" {
            lab = true;
        } else {
            paths.push(PathBuf::from(a));
        }
    }
    let files = match farend_scenario::discover(&paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let refs = |name: &str| name.starts_with("speech/") || name.starts_with("tones/");
    let mut bad = 0;
    for f in &files {
        let result = if lab {
            farend_scenario::load_lab(f).map(|l| format!("{} handsets", l.handsets.len()))
        } else {
            farend_scenario::load_scenarios(f, &refs).map(|v| {
                let s = &v[0];
                format!(
                    "`{}`, {} steps, repeat {}, {} variant(s)",
                    s.name,
                    s.steps.len(),
                    s.repeat,
                    v.len()
                )
            })
        };
        match result {
            Ok(summary) => println!("{}: ok ({summary})", f.display()),
            Err(e) => {
                bad += 1;
                println!("{e}");
            }
        }
    }
    if bad > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
