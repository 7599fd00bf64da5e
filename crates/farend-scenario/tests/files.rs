//! Loading the sample scenarios, lab files, error collection and discovery.

use std::path::{Path, PathBuf};
use std::time::Duration;

use farend_scenario::*;

fn refs(name: &str) -> bool {
    name.starts_with("speech/") || name.starts_with("tones/")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn invalid(r: Result<impl std::fmt::Debug, LoadError>) -> Vec<Diagnostic> {
    match r {
        Err(LoadError::Invalid { diagnostics }) => diagnostics,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// Parses a file that has no matrix: exactly one scenario.
fn parse_one(text: &str, path: &Path, refs: &dyn Fn(&str) -> bool) -> Result<Scenario, LoadError> {
    parse_scenarios(text, path, refs).map(|mut v| {
        assert_eq!(v.len(), 1, "one scenario without a matrix");
        v.remove(0)
    })
}

/// Loads a file that has no matrix: exactly one scenario.
fn load_one(path: &Path, refs: &dyn Fn(&str) -> bool) -> Result<Scenario, LoadError> {
    load_scenarios(path, refs).map(|mut v| {
        assert_eq!(v.len(), 1, "one scenario without a matrix");
        v.remove(0)
    })
}

#[test]
fn sample_scenarios_load_and_follow_the_brief() {
    let files = discover(&[repo().join("scenarios")]).expect("scenarios folder");
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names[..3],
        [
            "01-basic-call.yaml",
            "02-repeated-calls.yaml",
            "03-callee-hangs-up.yaml"
        ]
    );
    let scenarios: Vec<Scenario> = files
        .iter()
        .flat_map(|f| load_scenarios(f, &refs).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    check_unique_names(&scenarios).expect("unique names");
    // The three basic samples (speech both ways, repeated calls, callee hangs up) keep to the
    // simplest expectations; the later samples show the rest.
    for s in &scenarios[..3] {
        assert_eq!(s.suite, "scenarios");
        assert_eq!(s.parties, ["a", "b"]);
        let plays: Vec<&Step> = s
            .steps
            .iter()
            .filter(|st| matches!(st.kind, StepKind::Play { .. }))
            .collect();
        assert!(
            !plays.is_empty() && plays.len() <= 2,
            "{}: {} plays",
            s.name,
            plays.len()
        );
        for p in plays {
            let StepKind::Play { expect, .. } = &p.kind else {
                unreachable!()
            };
            assert_eq!(expect.audio_present, Some(true));
            assert_eq!(expect.delay_ms.and_then(|d| d.max), Some(400.0));
            for k in expect.keys() {
                assert!(
                    !UNAVAILABLE_EXPECTATIONS.contains(&k),
                    "{} uses {k}",
                    s.name
                );
            }
        }
        assert!(matches!(s.steps[0].kind, StepKind::Dial { .. }));
        let last = s
            .steps
            .iter()
            .rev()
            .find(|st| !matches!(st.kind, StepKind::Sleep { .. }))
            .unwrap();
        assert!(
            matches!(
                &last.kind,
                StepKind::Wait {
                    state: CallStateName::Idle,
                    ..
                }
            ),
            "{} must end with a wait for idle",
            s.name
        );
    }
    let basic = &scenarios[0];
    assert_eq!(basic.name, "basic-call");
    assert_eq!(basic.repeat, 1);
    assert_eq!(basic.steps[0].kind.describe(), "dial a -> b");
    assert_eq!(basic.steps[0].name.as_deref(), Some("a calls b"));
    let hangup = basic
        .steps
        .iter()
        .find(|s| s.kind.keyword() == "hangup")
        .unwrap();
    assert_eq!(hangup.kind, StepKind::Hangup { party: "a".into() });
    assert_eq!(hangup.timeout, Some(Duration::from_secs(5)));
    assert_eq!(scenarios[1].repeat, 3);
    // defaults.timeout applies to steps without their own.
    assert!(
        scenarios[1]
            .steps
            .iter()
            .all(|s| s.timeout == Some(Duration::from_secs(15)))
    );
    let callee = &scenarios[2];
    assert!(
        callee
            .steps
            .iter()
            .any(|s| s.kind == StepKind::Hangup { party: "b".into() })
    );
    let total = scenarios.len();
    let plan = plan(scenarios, None, None);
    assert_eq!(
        plan.cases.len(),
        1 + 3 + 1 + (total - 3),
        "one case per iteration"
    );
}

const GOOD: &str = "\
name: mo-call-speech
description: A calls B; speech both ways
parties: { a: {}, b: {} }
repeat: 3
defaults: { timeout: 15s }
steps:
  - dial: { from: a, to: b }
  - wait: { party: b, state: ringing, within: 20s }
  - answer: { party: b }
  - wait: { party: [a, b], state: offhook, within: 10s }
  - play: { ref: speech/en-f1, into: a, record: b, margin: 1s }
    expect:
      audio_present: true
      delay_ms: { max: 400 }
  - sleep: 2s
  - hangup: { party: a }
    timeout: 5s
  - wait: { party: [a, b], state: idle, within: 10s }
";

#[test]
fn the_brief_example_parses_into_the_model() {
    let s = parse_one(GOOD, Path::new("suite-x/mo.yaml"), &refs).unwrap();
    assert_eq!(s.name, "mo-call-speech");
    assert_eq!(
        s.description.as_deref(),
        Some("A calls B; speech both ways")
    );
    assert_eq!(s.suite, "suite-x");
    assert_eq!(s.repeat, 3);
    assert_eq!(s.steps.len(), 8);
    assert_eq!(s.steps[0].location, Location::new(7, 5));
    assert_eq!(s.steps[0].index, 1);
    assert_eq!(s.steps[7].index, 8);
    assert_eq!(
        s.steps[3].kind,
        StepKind::Wait {
            parties: vec!["a".into(), "b".into()],
            state: CallStateName::Offhook,
            within: Duration::from_secs(10)
        }
    );
    assert_eq!(s.steps[3].kind.describe(), "wait a,b offhook within 10s");
    let StepKind::Play {
        reference,
        into,
        record,
        margin,
        expect,
    } = &s.steps[4].kind
    else {
        panic!("play expected")
    };
    assert_eq!(
        (reference.as_str(), into.as_str(), record.as_str()),
        ("speech/en-f1", "a", "b")
    );
    assert_eq!(*margin, Duration::from_secs(1));
    assert_eq!(
        expect.delay_ms,
        Some(Bounds {
            min: None,
            max: Some(400.0)
        })
    );
    assert_eq!(expect.keys(), ["audio_present", "delay_ms"]);
    assert_eq!(
        s.steps[5].kind,
        StepKind::Sleep {
            duration: Duration::from_secs(2)
        }
    );
    // Step timeouts: own, else scenario default.
    assert_eq!(s.steps[6].timeout, Some(Duration::from_secs(5)));
    assert_eq!(s.steps[0].timeout, Some(Duration::from_secs(15)));
    // Default timeouts when none is written.
    let s2 = parse_one(
        &GOOD.replace("defaults: { timeout: 15s }\n", ""),
        Path::new("x.yaml"),
        &refs,
    )
    .unwrap();
    assert_eq!(s2.steps[0].timeout, None);
    assert_eq!(s2.steps[0].effective_timeout(None), Duration::from_secs(10));
    assert_eq!(s2.steps[1].effective_timeout(None), Duration::from_secs(20));
    assert_eq!(s2.steps[5].effective_timeout(None), Duration::from_secs(2));
    assert_eq!(
        s2.steps[4].effective_timeout(Some(Duration::from_secs(8))),
        Duration::from_secs(8 + 1 + 10)
    );
    assert_eq!(s2.steps[6].effective_timeout(None), Duration::from_secs(5));
}

#[test]
fn defaults_and_alternative_forms() {
    let text = "\
name: alt
parties: [x, y]
steps:
  - dial: { from: x, number: \"+421900000002\" }
  - wait: { party: y, state: ringing }
  - play: { ref: tones/1000hz, into: x, record: y }
";
    let s = parse_one(text, Path::new("alt.yaml"), &refs).unwrap();
    assert_eq!(s.parties, ["x", "y"]);
    assert_eq!(s.repeat, 1);
    assert_eq!(
        s.steps[0].kind,
        StepKind::Dial {
            from: "x".into(),
            to: DialTarget::Number("+421900000002".into())
        }
    );
    assert_eq!(s.steps[0].kind.describe(), "dial x -> +421900000002");
    let StepKind::Wait { within, .. } = &s.steps[1].kind else {
        panic!()
    };
    assert_eq!(*within, Duration::from_secs(30));
    let StepKind::Play { margin, expect, .. } = &s.steps[2].kind else {
        panic!()
    };
    assert_eq!(*margin, Duration::from_secs(1));
    assert!(expect.is_empty());
}

#[test]
fn unquoted_plus_number_keeps_its_plus() {
    let text = "name: n\nparties: [a]\nsteps:\n  - dial: { from: a, number: +421900000002 }\n";
    let s = parse_one(text, Path::new("n.yaml"), &refs).unwrap();
    assert_eq!(
        s.steps[0].kind,
        StepKind::Dial {
            from: "a".into(),
            to: DialTarget::Number("+421900000002".into())
        }
    );
}

#[test]
fn all_errors_of_a_file_are_collected_in_file_order() {
    let text = "\
name: Bad Name
parties: { a: {}, b: {} }
repeat: 0
steps:
  - dial: { from: a, to: c }
  - wait: { party: b, state: ring, within: 5 }
  - play: { ref: nope/x, into: a, record: b }
    expect:
      mos_lqo: { min: 3.5, band: xb }
      gaps: { max_ms: 100 }
  - sleep: 1s
    answer: { party: b }
  - {}
";
    let d = invalid(parse_one(text, Path::new("dir/bad.yaml"), &refs));
    let got: Vec<(usize, usize)> = d.iter().map(|d| (d.line, d.column)).collect();
    assert_eq!(
        got,
        [
            (1, 7),
            (3, 9),
            (5, 26),
            (6, 30),
            (6, 44),
            (7, 18),
            (9, 34),
            (12, 5),
            (13, 5)
        ],
        "{d:#?}"
    );
    assert!(
        d[0].to_string()
            .starts_with("dir/bad.yaml:1:7: invalid scenario name `Bad Name`")
    );
    assert!(d[6].message.contains("unknown band `xb`"));
    assert!(d[8].message.contains("has no action"));
    // Display of the error lists every diagnostic, each with an indented snippet.
    let e = LoadError::Invalid {
        diagnostics: d.clone(),
    };
    let shown = e.to_string();
    for diag in &d {
        assert!(shown.contains(&diag.to_string()), "{shown}");
    }
    assert!(shown.contains("\n    1 | name: Bad Name\n"), "{shown}");
    assert!(shown.contains("\n      |       ^"), "{shown}");
}

#[test]
fn every_expectation_is_modelled_and_validated() {
    let text = "\
name: all
parties: [a, b]
steps:
  - play: { ref: speech/en-f1, into: a, record: b }
    expect:
      audio_present: true
      delay_ms: { min: 10, max: 400 }
      mos_lqo: { min: 3.5, band: wb }
      dtmf: \"123#\"
      fingerprint: { matches: speech/en-f1 }
      tone: { freq: 1000, min_duration: 500ms }
      progress_tone: { kind: busy, country: sk }
      one_way_audio: false
      gaps: { max_ms: 60 }
      level_dbov: { min: -30, max: -10 }
      clock_drift_ppm: { min: -50, max: 50 }
";
    // Every expectation is available, modelled and valid.
    assert!(UNAVAILABLE_EXPECTATIONS.is_empty());
    let s = parse_one(text, Path::new("all.yaml"), &refs).expect("every expectation is valid");
    let StepKind::Play { expect, .. } = &s.steps[0].kind else {
        panic!("a play step")
    };
    assert_eq!(expect.keys().len(), 11, "{:?}", expect.keys());
    assert_eq!(expect.clock_drift_ppm.and_then(|b| b.max), Some(50.0));
    assert_eq!(expect.dtmf.as_deref(), Some("123#"));
    assert_eq!(expect.gaps.map(|g| g.max_ms), Some(60.0));
    // Errors inside expectations are reported.
    let bad = text
        .replace("band: wb", "band: hd")
        .replace("\"123#\"", "\"12x\"")
        .replace("freq: 1000", "freq: 5")
        .replace("kind: busy", "kind: beep")
        .replace("country: sk", "country: svk")
        .replace("min: -30, max: -10", "min: -10, max: 3")
        .replace("min: -50, max: 50", "min: -50, max: 5000");
    let d = invalid(parse_one(&bad, Path::new("all.yaml"), &refs));
    for needle in [
        "unknown band `hd`",
        "DTMF digit",
        "between 20 and 8000 Hz",
        "unknown progress tone `beep`",
        "not a two-letter country code",
        "`level_dbov`.max must be between -120 and 0",
        "`clock_drift_ppm`.max must be between -1000 and 1000",
    ] {
        assert!(
            d.iter().any(|x| x.message.contains(needle)),
            "{needle} missing in {d:#?}"
        );
    }
    let d = invalid(parse_one(
        &text.replace("matches: speech/en-f1", "matches: music/x"),
        Path::new("all.yaml"),
        &refs,
    ));
    assert!(
        d.iter()
            .any(|x| x.message.contains("unknown reference `music/x`"))
    );
}

#[test]
fn unknown_keys_suggest_the_nearest_name() {
    let text = "name: s\nparties: [a, b]\nsteps:\n  - hangpu: { party: a }\n";
    let d = invalid(parse_one(text, Path::new("s.yaml"), &refs));
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].line, d[0].column), (4, 5));
    assert!(
        d[0].message.contains("did you mean `hangup`?"),
        "{}",
        d[0].message
    );
}

#[test]
fn empty_text_is_an_error() {
    for text in ["", "  \n\t\n", "\u{feff}"] {
        let d = invalid(parse_one(text, Path::new("e.yaml"), &refs));
        assert_eq!((d[0].line, d[0].column), (1, 1));
        assert!(d[0].message.contains("empty"));
        let d = invalid(parse_lab(text, Path::new("e.yaml")));
        assert!(d[0].message.contains("empty"));
    }
}

const LAB: &str = "\
adb: { server: 127.0.0.1:5037 }
handsets:
  - id: pixel-7-a
    serial: 2A111FDH6004XY
    number: \"+421900000001\"
    audio: { mic: \"virtual:127.0.0.1:40101\", ear: \"virtual:127.0.0.1:40102\" }
  - id: pixel-7-b
    connect: 127.0.0.1:40001
    number: \"+421900000002\"
    audio: { mic: \"pulseaudio:lab_b_mic\", ear: \"alsa:hw:1,0\" }
";

#[test]
fn lab_file_parses() {
    let lab = parse_lab(LAB, Path::new("lab.yaml")).unwrap();
    assert_eq!(lab.adb_server.as_deref(), Some("127.0.0.1:5037"));
    assert_eq!(lab.handsets.len(), 2);
    let a = &lab.handsets[0];
    assert_eq!(a.id, "pixel-7-a");
    assert_eq!(a.access, HandsetAccess::Serial("2A111FDH6004XY".into()));
    assert_eq!(a.number, "+421900000001");
    assert_eq!(a.mic, "virtual:127.0.0.1:40101");
    assert_eq!(a.location, Location::new(3, 5));
    let b = &lab.handsets[1];
    assert_eq!(b.access, HandsetAccess::Connect("127.0.0.1:40001".into()));
    assert_eq!(b.ear, "alsa:hw:1,0");
    let no_adb = parse_lab(
        &LAB.replace("adb: { server: 127.0.0.1:5037 }\n", ""),
        Path::new("l.yaml"),
    )
    .unwrap();
    assert_eq!(no_adb.adb_server, None);
}

#[test]
fn a_lab_file_asks_for_bug_reports_after_failing_cases() {
    assert_eq!(
        parse_lab(LAB, Path::new("lab.yaml"))
            .unwrap()
            .bug_report_on_failure,
        None
    );
    let real = format!("{LAB}evidence: {{ bugreport: on_failure, bugreport_within: 2m }}\n");
    let lab = parse_lab(&real, Path::new("lab.yaml")).unwrap();
    assert_eq!(lab.bug_report_on_failure, Some(Duration::from_secs(120)));
    // `evidence:` alone describes the built-in virtual lab, with the default time.
    let lab = parse_lab("evidence: { bugreport: on_failure }\n", Path::new("v.yaml")).unwrap();
    assert!(lab.handsets.is_empty());
    assert_eq!(lab.bug_report_on_failure, Some(Duration::from_secs(180)));
    let never = parse_lab("evidence: { bugreport: never }\n", Path::new("v.yaml")).unwrap();
    assert_eq!(never.bug_report_on_failure, None);
    for (text, at, says) in [
        (
            "evidence: { bugreport: always }\n",
            (1, 24),
            "`never` or `on_failure`",
        ),
        (
            "evidence: { bugreport: on_failure, bugreport_within: 31m }\n",
            (1, 54),
            "between 1s and 30m",
        ),
        (
            "evidence: { bug_report: on_failure }\n",
            (1, 13),
            "bug_report",
        ),
    ] {
        let d = invalid(parse_lab(text, Path::new("v.yaml")));
        assert_eq!((d[0].line, d[0].column), at, "{text}: {}", d[0].message);
        assert!(d[0].message.contains(says), "{text}: {}", d[0].message);
    }
}

#[test]
fn lab_errors_are_all_collected() {
    let bad = LAB
        .replace("id: pixel-7-b", "id: pixel-7-a")
        .replace("+421900000002", "+421900000001")
        .replace("alsa:hw:1,0", "jack:x");
    let d = invalid(parse_lab(&bad, Path::new("lab.yaml")));
    let got: Vec<(usize, usize)> = d.iter().map(|d| (d.line, d.column)).collect();
    assert_eq!(got, [(7, 9), (9, 13), (10, 48)], "{d:#?}");
}

#[test]
fn load_reports_io_errors_and_bad_utf8() {
    let missing = repo().join("tests/malformed/does-not-exist.yaml");
    assert!(matches!(
        load_one(&missing, &refs),
        Err(LoadError::Io { .. })
    ));
    assert!(matches!(load_lab(&missing), Err(LoadError::Io { .. })));
    assert!(matches!(
        discover(std::slice::from_ref(&missing)),
        Err(LoadError::Io { .. })
    ));
}

#[test]
fn discover_walks_folders_recursively_and_sorted() {
    let root =
        std::env::temp_dir().join(format!("farend-scenario-discover-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("b/sub")).unwrap();
    std::fs::create_dir_all(root.join(".hidden")).unwrap();
    for f in [
        "b/sub/z.yml",
        "b/a.yaml",
        "c.yaml",
        "notes.txt",
        ".hidden/h.yaml",
        "b/.x.yaml",
    ] {
        std::fs::write(root.join(f), "x").unwrap();
    }
    let single = root.join("notes.txt");
    let found = discover(&[root.clone(), single.clone()]).unwrap();
    let rel: Vec<String> = found
        .iter()
        .map(|p| {
            p.strip_prefix(&root)
                .unwrap_or(p)
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(rel, ["b/a.yaml", "b/sub/z.yml", "c.yaml", "notes.txt"]);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn truncated_and_mangled_files_never_panic_and_never_pass_silently() {
    let mut cuts = 0;
    for (i, _) in GOOD.char_indices() {
        let prefix = &GOOD[..i];
        let r = std::panic::catch_unwind(|| parse_one(prefix, Path::new("t.yaml"), &refs));
        let r = r.unwrap_or_else(|_| panic!("panic on prefix {i}: {prefix:?}"));
        if let Err(e) = r {
            cuts += 1;
            let d = e.diagnostics();
            assert!(!d.is_empty());
            assert!(d.iter().all(|d| d.line >= 1 && d.column >= 1));
        }
    }
    assert!(cuts > 100, "only {cuts} prefixes were rejected");
    // Drop each line in turn, and replace each line by junk.
    let lines: Vec<&str> = GOOD.lines().collect();
    for skip in 0..lines.len() {
        for junk in [None, Some("  - ]["), Some("\t- x"), Some("? [a]\n: 1")] {
            let mut v: Vec<&str> = lines.clone();
            match junk {
                Some(j) => v[skip] = j,
                None => {
                    v.remove(skip);
                }
            }
            let text = v.join("\n");
            let r = std::panic::catch_unwind(|| parse_one(&text, Path::new("t.yaml"), &refs));
            assert!(r.is_ok(), "panic on {text:?}");
        }
    }
    let lab_lines: Vec<&str> = LAB.lines().collect();
    for skip in 0..lab_lines.len() {
        let mut v = lab_lines.clone();
        v.remove(skip);
        let text = v.join("\n");
        let r = std::panic::catch_unwind(|| parse_lab(&text, Path::new("l.yaml")));
        assert!(r.is_ok(), "panic on {text:?}");
    }
}

#[test]
fn a_party_can_require_a_radio_technology() {
    let text = "\
name: volte-only
parties:
  a: { require: { radio: [lte, NR] } }
  b: { require: { radio: UMTS } }
  c: {}
steps:
  - dial: { from: a, to: b }
";
    let s = parse_one(text, Path::new("s/r.yaml"), &refs).unwrap();
    assert_eq!(s.parties, ["a", "b", "c"]);
    let radios: Vec<(&str, Vec<&str>)> = s
        .requires
        .iter()
        .map(|(p, r)| (p.as_str(), r.radio.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(radios, [("a", vec!["LTE", "NR"]), ("b", vec!["UMTS"])]);
    assert_eq!(s.requires[0].1.location, Location::new(3, 17));
    assert_eq!(s.requires[0].1.volte, None);
    // VoLTE on its own, or with a radio: `volte: false` asks for a circuit-switched call.
    let volte = text
        .replace("radio: [lte, NR] }", "volte: true }")
        .replace("radio: UMTS }", "radio: LTE, volte: false }");
    let s = parse_one(&volte, Path::new("s/r.yaml"), &refs).unwrap();
    let read: Vec<(&str, Vec<&str>, Option<bool>)> = s
        .requires
        .iter()
        .map(|(p, r)| {
            (
                p.as_str(),
                r.radio.iter().map(String::as_str).collect(),
                r.volte,
            )
        })
        .collect();
    assert_eq!(
        read,
        [("a", vec![], Some(true)), ("b", vec!["LTE"], Some(false))]
    );

    for (bad, at, says) in [
        (
            "  a: { require: { radio: 6G } }\n",
            (3, 26),
            "unknown radio technology `6G`",
        ),
        ("  a: { require: { radio: [] } }\n", (3, 26), "empty list"),
        (
            "  a: { require: { volte: yes-please } }\n",
            (3, 26),
            "`require.volte`",
        ),
        (
            "  a: { require: {} }\n",
            (3, 17),
            "names nothing to require",
        ),
        ("  a: { require: { band: 3 } }\n", (3, 19), "band"),
        (
            "  a: { needs: { radio: LTE } }\n",
            (3, 8),
            "a party takes `require`",
        ),
    ] {
        let text = text.replace("  a: { require: { radio: [lte, NR] } }\n", bad);
        let d = invalid(parse_one(&text, Path::new("s/r.yaml"), &refs));
        let found = d
            .iter()
            .find(|d| d.message.contains(says))
            .unwrap_or_else(|| panic!("{bad}: no `{says}` in {d:?}"));
        assert_eq!((found.line, found.column), at, "{bad}: {}", found.message);
    }
}
