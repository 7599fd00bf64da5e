//! `matrix:` expansion: variant order, typed and textual substitution, `$$`, case ids, and
//! every matrix error with its location.

use std::path::Path;

use farend_scenario::*;

fn refs(name: &str) -> bool {
    name.starts_with("speech/en-") || name.starts_with("tones/")
}

fn parse(text: &str) -> Result<Vec<Scenario>, LoadError> {
    parse_scenarios(text, Path::new("suite/m.yaml"), &refs)
}

/// The diagnostics of a file that must not load, as `line:col message`.
fn errors(text: &str) -> Vec<String> {
    match parse(text) {
        Err(LoadError::Invalid { diagnostics }) => diagnostics
            .iter()
            .map(|d| format!("{}:{} {}", d.line, d.column, d.message))
            .collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

const SPEECH: &str = "\
name: speech-matrix
parties: { a: {}, b: {} }
repeat: 2
matrix:
  ref: [speech/en-f1, speech/en-m1]
  min_mos: [3.5, 4.0]
steps:
  - dial: { from: a, to: b }
  - play: { ref: \"${ref}\", into: a, record: b }
    expect: { mos_lqo: { min: \"${min_mos}\", band: nb } }
    name: ${ref} at ${min_mos} costs $$5
";

fn play_of(s: &Scenario) -> (&str, f64) {
    match &s.steps[1].kind {
        StepKind::Play {
            reference, expect, ..
        } => (reference, expect.mos_lqo.expect("mos_lqo").min),
        other => panic!("not a play: {other:?}"),
    }
}

#[test]
fn every_combination_is_a_variant_first_key_slowest() {
    let v = parse(SPEECH).unwrap();
    let got: Vec<(String, f64)> = v
        .iter()
        .map(|s| {
            let (r, m) = play_of(s);
            (r.to_owned(), m)
        })
        .collect();
    assert_eq!(
        got,
        [
            ("speech/en-f1".to_owned(), 3.5),
            ("speech/en-f1".to_owned(), 4.0),
            ("speech/en-m1".to_owned(), 3.5),
            ("speech/en-m1".to_owned(), 4.0),
        ]
    );
    // Values keep the text they were written with (`4.0`, not `4`).
    assert_eq!(
        v[1].matrix,
        [
            ("ref".to_owned(), "speech/en-f1".to_owned()),
            ("min_mos".to_owned(), "4.0".to_owned())
        ]
    );
    assert!(v.iter().all(|s| s.name == "speech-matrix" && s.repeat == 2));
    assert_eq!(v[0].suite, "suite");
}

#[test]
fn exact_references_keep_the_yaml_type_and_longer_strings_are_textual() {
    let v = parse(SPEECH).unwrap();
    // `min: "${min_mos}"` is a number field: the matrix value arrived as a number.
    assert_eq!(play_of(&v[2]).1, 3.5);
    // Inside a longer string the value's text is spliced in, and `$$` is a literal `$`.
    assert_eq!(
        v[3].steps[1].name.as_deref(),
        Some("speech/en-m1 at 4.0 costs $5")
    );
    // Steps without references are untouched; a lone `$` stays as written.
    let text = "name: t\nparties: [a, b]\nmatrix: { d: [1s] }\nsteps:\n  - sleep: \"${d}\"\n    name: \"5$ and $x\"\n";
    let v = parse(text).unwrap();
    assert_eq!(v[0].steps[0].name.as_deref(), Some("5$ and $x"));
    assert_eq!(
        v[0].steps[0].kind,
        StepKind::Sleep {
            duration: std::time::Duration::from_secs(1)
        }
    );
}

#[test]
fn numbers_and_booleans_substitute_into_text_fields_as_written() {
    let text = "\
name: t
parties: [a, b]
matrix:
  digits: [123, \"*0#\"]
  present: [true]
steps:
  - play: { ref: \"tones/dtmf-${digits}\", into: a, record: b }
    expect: { dtmf: \"${digits}\", audio_present: \"${present}\" }
";
    let v = parse(text).unwrap();
    assert_eq!(v.len(), 2);
    let StepKind::Play {
        reference, expect, ..
    } = &v[0].steps[0].kind
    else {
        panic!("a play")
    };
    assert_eq!(reference, "tones/dtmf-123");
    assert_eq!(expect.dtmf.as_deref(), Some("123"));
    assert_eq!(expect.audio_present, Some(true));
    let StepKind::Play { expect, .. } = &v[1].steps[0].kind else {
        panic!("a play")
    };
    assert_eq!(expect.dtmf.as_deref(), Some("*0#"));
    assert_eq!(v[1].label(), "t[digits=*0#,present=true]");
}

#[test]
fn case_ids_carry_the_variant_and_filters_match_it() {
    let ids = |filter: Option<&str>| -> Vec<String> {
        plan(parse(SPEECH).unwrap(), None, filter)
            .cases
            .into_iter()
            .map(|c| c.id)
            .collect()
    };
    let all = ids(None);
    assert_eq!(all.len(), 8, "2 x 2 variants, repeat 2 each");
    assert_eq!(all[0], "speech-matrix[ref=speech/en-f1,min_mos=3.5]#1");
    assert_eq!(all[1], "speech-matrix[ref=speech/en-f1,min_mos=3.5]#2");
    assert_eq!(all[7], "speech-matrix[ref=speech/en-m1,min_mos=4.0]#2");
    assert_eq!(ids(Some("speech-matrix")).len(), 8);
    assert_eq!(ids(Some("ref=speech/en-m1")).len(), 4);
    assert_eq!(ids(Some("min_mos=4.0]#1")).len(), 2);
    assert_eq!(ids(Some("*en-f1*3.5]#2")), [all[1].clone()]);
    // A glob on the label selects every iteration of one variant.
    assert_eq!(
        ids(Some("speech-matrix[ref=speech/en-m1,min_mos=3.5]")),
        [all[4].clone(), all[5].clone()]
    );
    assert!(check_unique_names(&parse(SPEECH).unwrap()).is_ok());
    // The same file loaded twice still clashes.
    let mut twice = parse(SPEECH).unwrap();
    twice.extend(parse(SPEECH).unwrap());
    let e = check_unique_names(&twice).unwrap_err();
    assert_eq!(e.diagnostics().len(), 1, "{e}");
}

#[test]
fn without_a_matrix_nothing_changes() {
    let text =
        "name: plain\nparties: [a, b]\nsteps:\n  - sleep: 1s\n    name: \"costs $$5 ${x}\"\n";
    let v = parse(text).unwrap();
    assert_eq!(v.len(), 1);
    assert!(v[0].matrix.is_empty());
    assert_eq!(v[0].label(), "plain");
    assert_eq!(v[0].steps[0].name.as_deref(), Some("costs $$5 ${x}"));
    let p = plan(v, None, None);
    assert_eq!(p.cases[0].id, "plain#1");
}

/// A scenario with `matrix` set to `m` and a step that uses `${ref}`.
fn with_matrix(m: &str) -> String {
    format!(
        "name: t\nparties: [a, b]\nmatrix: {m}\nsteps:\n  - play: {{ ref: \"${{ref}}\", into: a, record: b }}\n"
    )
}

#[test]
fn matrix_shape_errors() {
    assert!(
        errors(&with_matrix("[speech/en-f1]"))[0].starts_with("3:9 `matrix` must be a mapping")
    );
    assert!(errors(&with_matrix("{}"))[0].starts_with("3:9 `matrix` is empty"));
    assert!(
        errors(&with_matrix("{ Ref: [x] }"))[0]
            .starts_with("3:11 invalid matrix variable name `Ref`")
    );
    assert!(errors(&with_matrix("{ 1x: [x] }"))[0].contains("invalid matrix variable name `1x`"));
    assert!(
        errors(&with_matrix("{ ref: [] }"))[0]
            .starts_with("3:16 matrix variable `ref` has no values")
    );
    assert!(
        errors(&with_matrix("{ ref: speech/en-f1 }"))[0]
            .starts_with("3:16 matrix variable `ref` must be a list of values")
    );
    let e = errors(&with_matrix("{ ref: [speech/en-f1, { a: 1 }, [x], null] }"));
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(e[0].starts_with(
        "3:31 values of matrix variable `ref` must be strings, numbers or booleans, found a mapping"
    ));
    assert!(e[2].ends_with("found nothing (null)"), "{e:?}");
    assert!(
        errors(&with_matrix("{ ref: [speech/en-f1, speech/en-f1] }"))[0]
            .starts_with("3:31 value `speech/en-f1` is listed twice")
    );
}

#[test]
fn matrix_size_limits() {
    let nine: Vec<String> = (1..=9).map(|i| format!("v{i}: [x]")).collect();
    let e = errors(&with_matrix(&format!("{{ {} }}", nine.join(", "))));
    assert!(
        e[0].starts_with("3:") && e[0].contains("`matrix` has 9 variables; at most 8"),
        "{e:?}"
    );
    // 3 x 10 x 10 = 300 > 256, reported at the `matrix` key.
    let ten = format!(
        "[{}]",
        (0..10)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let e = errors(&with_matrix(&format!(
        "{{ ref: [a, b, c], x: {ten}, y: {ten} }}"
    )));
    assert!(
        e[0].starts_with("3:1 `matrix` gives 3 x 10 x 10 combinations; at most 256"),
        "{e:?}"
    );
}

#[test]
fn unknown_and_unused_variables() {
    let text = "\
name: t
parties: [a, b]
matrix:
  ref: [speech/en-f1]
  band: [nb]
steps:
  - play: { ref: \"${reff}\", into: a, record: b }
    expect: { mos_lqo: { min: 3, band: \"${band}\" } }
";
    let e = errors(text);
    assert_eq!(e.len(), 2, "{e:?}");
    assert_eq!(
        e[0],
        "4:3 matrix variable `ref` is not used by any step or `network` (write `${ref}` where its value goes, or remove it)"
    );
    assert!(
        e[1].starts_with("7:18 `${reff}` names no matrix variable; did you mean `${ref}`? (matrix variables: ref, band"),
        "{e:?}"
    );
    let e = errors(&with_matrix("{ ref: [x] }").replace("${ref}", "${ref"));
    assert!(e[0].starts_with("5:18 `${` without a closing `}`"), "{e:?}");
}

#[test]
fn a_bad_value_is_reported_at_the_reference_with_the_value() {
    let text = "\
name: t
parties: [a, b]
matrix:
  ref: [speech/en-f1, speech/xx]
  min_mos: [3.5, high, 9]
steps:
  - dial: { from: a, to: c }
  - play: { ref: \"${ref}\", into: a, record: b }
    expect: { mos_lqo: { min: \"${min_mos}\" } }
";
    let e = errors(text);
    assert_eq!(
        e,
        [
            // Shared by every variant: reported once, without a variant.
            "7:26 unknown party `c` in `dial.to` (declared parties: a, b)",
            "8:18 unknown reference `speech/xx` in `play.ref` (not in audio-refs/manifest.toml and not a generated tone) (from matrix ref=speech/xx)",
            "9:31 `mos_lqo.min` must be a number, found a string (from matrix min_mos=high)",
            "9:31 `mos_lqo.min` must be between 1.0 and 5.0, found 9 (from matrix min_mos=9)",
        ]
    );
}

#[test]
fn a_problem_of_some_variants_names_them() {
    let text = "\
name: t
parties: [a, b]
matrix: { who: [a, b] }
steps:
  - dial: { from: \"${who}\", to: b }
";
    let e = errors(text);
    assert_eq!(
        e,
        ["5:33 `dial` from `b` to itself: a party cannot call itself (matrix variant who=b)"]
    );
}

#[test]
fn hostile_matrices_never_panic() {
    for m in [
        "{ ref: [\"${ref}\"] }",
        "{ ref: [\"$$\", \"$\", \"${\", \"}\"] }",
        "{ \"\": [x] }",
        "{ ref: [x], ref2: [[1]] }",
        "{ ref: [18446744073709551616, 1e999, -0, .nan] }",
        "null",
        "{ ref: !!binary aGVsbG8= }",
    ] {
        let text = with_matrix(m);
        let r = std::panic::catch_unwind(|| parse(&text));
        assert!(r.is_ok(), "panic on {m}");
    }
}

#[test]
fn the_largest_matrix_with_many_problems_is_reported_compactly() {
    // 16 x 16 = 256 variants, each with 200 broken steps that do not depend on the values.
    let mut text = String::from(
        "name: t\nparties: [a, b]\nmatrix:\n  x: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]\n  \
         y: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]\nsteps:\n  - sleep: 1s\n    name: \"${x} ${y}\"\n",
    );
    for _ in 0..200 {
        text.push_str("  - answer: { party: c }\n");
    }
    let start = std::time::Instant::now();
    let e = errors(&text);
    assert_eq!(e.len(), 200, "each shared problem once: {:?}", &e[..3]);
    assert!(e[0].starts_with("9:22 unknown party `c`"), "{}", e[0]);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn a_matrix_variable_may_name_the_network_profile() {
    let text = "\
name: t
parties: [a, b]
matrix:
  net: [clean-g711, lte-poor]
network: ${net}
steps:
  - dial: { from: a, to: b }
";
    let scenarios = parse(text).expect("valid");
    let nets: Vec<Option<&str>> = scenarios
        .iter()
        .map(|s| s.network.as_ref().map(|n| n.name.as_str()))
        .collect();
    assert_eq!(nets, [Some("clean-g711"), Some("lte-poor")]);
    assert_eq!(scenarios[0].network.as_ref().unwrap().location.line, 5);
    // A value that is not a profile name is an error pointing at the matrix value.
    let bad = errors(&text.replace("lte-poor", "\"Bad Name\""));
    assert!(
        bad.iter()
            .any(|e| e.contains("invalid network profile name `Bad Name`")),
        "{bad:?}"
    );
}
