//! Finding scenario files and expanding scenarios into a plan of cases.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostic, LoadError};
use crate::model::Scenario;

/// One run of one scenario iteration.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Stable id: `<scenario name>#<iteration>`, or for a matrix variant
    /// `<scenario name>[<var>=<value>,...]#<iteration>` (see [`Scenario::label`]).
    pub id: String,
    /// The scenario this case runs.
    pub scenario: Arc<Scenario>,
    /// 1-based iteration number.
    pub iteration: u32,
    /// How many iterations the scenario has in this plan.
    pub iterations: u32,
}

/// The cases of a run, in execution order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    /// Every case, scenario by scenario, iterations in order.
    pub cases: Vec<Case>,
    /// When this plan is one shard of a larger plan: which one, and the whole plan's case ids.
    pub shard: Option<ShardOf>,
}

/// The place of a sharded plan in the plan it was cut from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardOf {
    /// Which shard, from 1.
    pub index: u32,
    /// How many shards the whole plan was cut into.
    pub count: u32,
    /// Every case id of the whole plan, in order.
    pub whole: Vec<String>,
}

impl Plan {
    /// Whether the plan has no cases.
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }

    /// Number of cases.
    pub fn len(&self) -> usize {
        self.cases.len()
    }

    /// The cases of shard `index` (0-based) of `count`: every case whose position
    /// modulo `count` equals `index` (stable across hosts as case ids are).
    pub fn shard(&self, index: u32, count: u32) -> Plan {
        let count = count.max(1);
        Plan {
            cases: self
                .cases
                .iter()
                .enumerate()
                .filter(|(i, _)| i % count as usize == index as usize)
                .map(|(_, c)| c.clone())
                .collect(),
            shard: Some(ShardOf {
                index: index + 1,
                count,
                whole: self.case_ids(),
            }),
        }
    }

    /// The ids of the plan's cases, in order.
    pub fn case_ids(&self) -> Vec<String> {
        self.cases.iter().map(|c| c.id.clone()).collect()
    }
}

/// Expands scenarios (matrix variants included) into cases. `repeat_override` replaces every
/// scenario's `repeat` (values below 1 count as 1); `filter` keeps the cases whose scenario
/// name, [`Scenario::label`] or case id contains it, or, when it has `*` or `?`, matches it
/// as a glob.
pub fn plan(scenarios: Vec<Scenario>, repeat_override: Option<u32>, filter: Option<&str>) -> Plan {
    let mut cases = Vec::new();
    for s in scenarios {
        let iterations = repeat_override.unwrap_or(s.repeat).max(1);
        let scenario = Arc::new(s);
        let label = scenario.label();
        for iteration in 1..=iterations {
            let id = format!("{label}#{iteration}");
            if let Some(f) = filter
                && !(matches_filter(f, &scenario.name)
                    || matches_filter(f, &label)
                    || matches_filter(f, &id))
            {
                continue;
            }
            cases.push(Case {
                id,
                scenario: Arc::clone(&scenario),
                iteration,
                iterations,
            });
        }
    }
    Plan { cases, shard: None }
}

/// Whether `text` matches `filter`: a glob (`*` any run, `?` one character) matched against the
/// whole text when the filter has a wildcard, else a substring test.
pub fn matches_filter(filter: &str, text: &str) -> bool {
    if filter.contains('*') || filter.contains('?') {
        glob_match(filter.as_bytes(), text.as_bytes())
    } else {
        text.contains(filter)
    }
}

fn glob_match(pat: &[u8], text: &[u8]) -> bool {
    // Iterative matcher with single-star backtracking: linear in practice, no recursion.
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pat.len() && (pat[p] == b'?' || pat[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pat.len() && pat[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while p < pat.len() && pat[p] == b'*' {
        p += 1;
    }
    p == pat.len()
}

/// Resolves command-line paths: files as given; folders become their `*.yaml` / `*.yml`
/// files (recursively, sorted, hidden entries skipped); a missing path is an error.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|source| LoadError::Io {
            path: p.clone(),
            source,
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let io = |source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let ft = entry.file_type().map_err(io)?;
        let is_dir = if ft.is_symlink() {
            path.is_dir()
        } else {
            ft.is_dir()
        };
        if is_dir {
            walk(&path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
    Ok(())
}

/// Reports scenarios of different files that share a name, and the same scenario variant
/// loaded twice (case ids must be unique across a run; the variants of one file share a name).
pub fn check_unique_names(scenarios: &[Scenario]) -> Result<(), LoadError> {
    let mut diagnostics = Vec::new();
    for (i, s) in scenarios.iter().enumerate() {
        let clash = |o: &&Scenario| o.name == s.name && (o.path != s.path || o.matrix == s.matrix);
        if let Some(first) = scenarios[..i].iter().find(clash) {
            let d = Diagnostic::new(
                s.path.clone(),
                1,
                1,
                format!(
                    "scenario name `{}` is also used by {}; names must be unique in a run",
                    s.name,
                    first.path.display()
                ),
            );
            // The variants of a file loaded twice would each repeat the same message.
            if !diagnostics.contains(&d) {
                diagnostics.push(d);
            }
        }
    }
    if diagnostics.is_empty() {
        Ok(())
    } else {
        Err(LoadError::Invalid { diagnostics })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(name: &str, repeat: u32) -> Scenario {
        Scenario {
            name: name.to_owned(),
            description: None,
            path: PathBuf::from(format!("s/{name}.yaml")),
            suite: "s".to_owned(),
            parties: vec!["a".to_owned()],
            repeat,
            matrix: Vec::new(),
            steps: Vec::new(),
            network: None,
            requires: Vec::new(),
        }
    }

    fn ids(p: &Plan) -> Vec<&str> {
        p.cases.iter().map(|c| c.id.as_str()).collect()
    }

    #[test]
    fn expands_repeats_in_order_with_stable_ids() {
        let p = plan(
            vec![scenario("basic-call", 2), scenario("other", 1)],
            None,
            None,
        );
        assert_eq!(ids(&p), ["basic-call#1", "basic-call#2", "other#1"]);
        assert_eq!(p.cases[1].iteration, 2);
        assert_eq!(p.cases[1].iterations, 2);
        assert_eq!(p.cases[2].iterations, 1);
        assert!(Arc::ptr_eq(&p.cases[0].scenario, &p.cases[1].scenario));
        assert_eq!(p.len(), 3);
        assert!(!p.is_empty());
    }

    #[test]
    fn repeat_override_replaces_every_repeat() {
        let p = plan(vec![scenario("a", 5), scenario("b", 1)], Some(2), None);
        assert_eq!(ids(&p), ["a#1", "a#2", "b#1", "b#2"]);
        assert!(p.cases.iter().all(|c| c.iterations == 2));
        let p = plan(vec![scenario("a", 5)], Some(0), None);
        assert_eq!(ids(&p), ["a#1"]);
    }

    #[test]
    fn filter_by_substring_or_glob_on_name_or_id() {
        let all = || {
            vec![
                scenario("basic-call", 3),
                scenario("callee-hangs-up", 1),
                scenario("repeated-calls", 2),
            ]
        };
        assert_eq!(ids(&plan(all(), None, Some("call"))).len(), 6);
        assert_eq!(
            ids(&plan(all(), None, Some("basic"))),
            ["basic-call#1", "basic-call#2", "basic-call#3"]
        );
        assert_eq!(
            ids(&plan(all(), None, Some("basic-call#2"))),
            ["basic-call#2"]
        );
        assert_eq!(
            ids(&plan(all(), None, Some("*#2"))),
            ["basic-call#2", "repeated-calls#2"]
        );
        assert_eq!(
            ids(&plan(all(), None, Some("callee-*"))),
            ["callee-hangs-up#1"]
        );
        assert_eq!(ids(&plan(all(), None, Some("*call*"))).len(), 6);
        assert_eq!(ids(&plan(all(), None, Some("call"))).len(), 6);
        // A glob matches the whole text, a substring any part.
        assert!(plan(all(), None, Some("hangs*")).is_empty());
        assert_eq!(
            ids(&plan(all(), None, Some("hangs"))),
            ["callee-hangs-up#1"]
        );
        assert!(plan(all(), None, Some("nothing")).is_empty());
        assert_eq!(
            ids(&plan(all(), Some(1), Some("repeated?calls"))),
            ["repeated-calls#1"]
        );
    }

    #[test]
    fn glob_matching() {
        assert!(matches_filter("a*c", "abc"));
        assert!(matches_filter("a*c", "ac"));
        assert!(matches_filter("a*b*c", "a-b-x-b-c"));
        assert!(!matches_filter("a*b*c", "a-b-x-b-d"));
        assert!(matches_filter("*", ""));
        assert!(matches_filter("?", "x"));
        assert!(!matches_filter("?", ""));
        assert!(matches_filter("**x", "yyx"));
        assert!(!matches_filter("*x", "xy"));
        // No exponential blow-up on pathological patterns.
        let text = "a".repeat(5000);
        assert!(!matches_filter(&format!("{}b", "*a".repeat(50)), &text));
    }

    #[test]
    fn shards_partition_the_plan() {
        let p = plan(vec![scenario("x", 7)], None, None);
        let shards: Vec<Plan> = (0..3).map(|i| p.shard(i, 3)).collect();
        assert_eq!(shards.iter().map(Plan::len).sum::<usize>(), 7);
        assert_eq!(ids(&shards[0]), ["x#1", "x#4", "x#7"]);
        assert_eq!(ids(&shards[2]), ["x#3", "x#6"]);
    }

    #[test]
    fn duplicate_names_are_reported() {
        let e = check_unique_names(&[scenario("a", 1), scenario("b", 1), scenario("a", 1)])
            .unwrap_err();
        assert_eq!(e.diagnostics().len(), 1);
        assert!(
            e.to_string()
                .contains("scenario name `a` is also used by s/a.yaml")
        );
        assert!(check_unique_names(&[scenario("a", 1), scenario("b", 1)]).is_ok());
    }
}
