//! `farend report merge` on shards of one plan run on the virtual lab: the merged run has
//! every case in plan order, valid JUnit, KPIs over all cases and the evidence files; a
//! missing shard shows as skipped cases (exit 1); a run of another plan is refused (exit 2).

use farend_e2e::*;
use std::path::{Path, PathBuf};

const SCENARIO: &str = "\
name: merge-dtmf
parties: { a: {}, b: {} }
repeat: 3
steps:
  - dial: { from: a, to: b }
  - wait: { party: b, state: ringing, within: 20s }
  - answer: { party: b }
  - wait: { party: [a, b], state: offhook, within: 10s }
  - play: { ref: tones/dtmf-123, into: a, record: b, margin: 300ms }
    expect: { dtmf: \"123\" }
  - hangup: { party: a }
  - wait: { party: [a, b], state: idle, within: 10s }
";

fn run_shard(dir: &Path, shard: &str, repeat: &str) -> PathBuf {
    let out = dir.join(format!("shard-{}-{repeat}", shard.replace('/', "of")));
    let output = run(farend()
        .arg("run")
        .arg(dir.join("merge-dtmf.yaml"))
        .args(["--shard", shard, "--repeat", repeat, "--out"])
        .arg(&out));
    assert_eq!(output.status.code(), Some(0), "shard {shard}");
    only_run_dir(&out)
}

#[test]
fn shards_merge_into_one_run_with_every_case_and_its_evidence() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("merge-dtmf.yaml"), SCENARIO).unwrap();
    let root = dir.path();
    let shards: Vec<PathBuf> = std::thread::scope(|s| {
        let handles: Vec<_> = ["1/2", "2/2"]
            .into_iter()
            .map(|shard| s.spawn(move || run_shard(root, shard, "3")))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let merged = root.join("merged");
    let out = run(farend()
        .args(["report", "merge"])
        .args(&shards)
        .arg("--out")
        .arg(&merged));
    assert_eq!(out.status.code(), Some(0));
    assert_junit_valid(&merged.join("junit.xml"));
    let report = read_results(&merged);
    let ids: Vec<&str> = report.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["merge-dtmf#1", "merge-dtmf#2", "merge-dtmf#3"]);
    assert!(report.cases.iter().all(|c| c.verdict.is_pass()));
    for attachment in report.cases.iter().flat_map(|c| &c.attachments) {
        assert!(
            merged.join(&attachment.path).is_file(),
            "{} was not copied",
            attachment.path
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(merged.join("results.json")).unwrap())
            .unwrap();
    assert_eq!(json["kpis"]["setup_failure_ratio"]["n"], 3);

    // One shard alone: the other's cases are skipped and named, exit 1.
    let half = run(farend()
        .args(["report", "merge"])
        .arg(&shards[0])
        .arg("--out")
        .arg(root.join("half")));
    assert_eq!(half.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&half.stderr).contains("merge-dtmf#2"));

    // A run of another plan (repeat 2) is refused with the reason.
    let other = run_shard(root, "1/1", "2");
    let refused = run(farend()
        .args(["report", "merge"])
        .arg(&shards[0])
        .arg(&other)
        .arg("--out")
        .arg(root.join("refused")));
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("different plans"));
}
