//! Reading and validating scenario files.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::diag::{Collector, Diagnostic, LoadError, Location};
use crate::duration::parse_duration;
use crate::matrix::{self, Matrix};
use crate::model::*;
use crate::yaml::{self, Fields, Node, Value};
use farend_device::{DIALABLE_RULE, is_dialable};

const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "parties",
    "repeat",
    "matrix",
    "defaults",
    "network",
    "steps",
];
const STEP_KINDS: &[&str] = &[
    "dial", "answer", "wait", "play", "sleep", "hangup", "airplane",
];
const STEP_COMMON: &[&str] = &["name", "timeout", "expect"];
const EXPECT_KEYS: &[&str] = &[
    "audio_present",
    "delay_ms",
    "mos_lqo",
    "dtmf",
    "fingerprint",
    "tone",
    "progress_tone",
    "tone_pattern",
    "one_way_audio",
    "gaps",
    "level_dbov",
    "clock_drift_ppm",
];

/// Whether `name` is a valid scenario name (`[a-z0-9._-]+`).
pub fn is_valid_scenario_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

/// Whether `name` is a valid party name (`[A-Za-z0-9_-]+`).
pub fn is_valid_party_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

/// Reads and validates a scenario file: one [`Scenario`] per `matrix` variant, in matrix
/// order (exactly one without a matrix). `refs` tells which reference audio names exist.
pub fn load_scenarios(
    path: &Path,
    refs: &dyn Fn(&str) -> bool,
) -> Result<Vec<Scenario>, LoadError> {
    let text = crate::read_text(path)?;
    parse_scenarios(&text, path, refs)
}

/// Validates scenario text that was read from `path` (used for messages and the suite name):
/// one [`Scenario`] per `matrix` variant, in matrix order (exactly one without a matrix).
pub fn parse_scenarios(
    text: &str,
    path: &Path,
    refs: &dyn Fn(&str) -> bool,
) -> Result<Vec<Scenario>, LoadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut c = Collector::new(path.to_path_buf(), text);
    let scenarios = yaml::parse(text, &mut c, "scenario")
        .and_then(|root| read_scenario(&mut c, &root, path, refs));
    match scenarios {
        Some(s) if c.is_clean() && !s.is_empty() => Ok(s),
        _ => Err(LoadError::Invalid {
            diagnostics: c.finish(),
        }),
    }
}

/// Name of the folder holding `path` (`.` resolved against the working directory).
pub(crate) fn suite_of(path: &Path) -> String {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let named = parent
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| n != "." && n != "..");
    if let Some(n) = named {
        return n;
    }
    std::fs::canonicalize(&parent)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "scenarios".to_owned())
}

struct Ctx<'r> {
    parties: Vec<String>,
    /// `false` when `parties` itself was invalid: unknown-party checks are skipped then.
    parties_ok: bool,
    refs: &'r dyn Fn(&str) -> bool,
}

fn read_scenario(
    c: &mut Collector<'_>,
    root: &Node,
    path: &Path,
    refs: &dyn Fn(&str) -> bool,
) -> Option<Vec<Scenario>> {
    if matches!(root.value, Value::Null) {
        c.error(
            Location::new(1, 1),
            "the file has no content (expected a scenario mapping with `name`, `parties` and `steps`)",
        );
        return None;
    }
    let f = yaml::fields(c, root, "the scenario", TOP_KEYS)?;

    let name = f.require(c, "name", "the scenario").and_then(|n| {
        let s = yaml::text(c, n, "`name`")?;
        if is_valid_scenario_name(&s) {
            Some(s)
        } else {
            c.error(
                n.loc,
                format!(
                    "invalid scenario name `{s}`: use lower-case letters, digits, `.`, `_` and `-` only"
                ),
            );
            None
        }
    });
    let description = f
        .get("description")
        .and_then(|n| yaml::text(c, n, "`description`"));

    let (parties, requires, parties_ok) = match f.require(c, "parties", "the scenario") {
        Some(n) => read_parties(c, n),
        None => (Vec::new(), Vec::new(), false),
    };

    let repeat = match f.get("repeat") {
        Some(n) => yaml::integer(c, n, "`repeat`", 1, i128::from(MAX_REPEAT))
            .and_then(|r| u32::try_from(r).ok()),
        None => Some(1),
    };

    let default_timeout = f.get("defaults").and_then(|n| read_defaults(c, n));
    let matrix = f.get("matrix").map(|n| {
        let key_loc = f.key("matrix").map_or(n.loc, |k| k.loc);
        matrix::read(c, n, key_loc)
    });

    let ctx = Ctx {
        parties,
        parties_ok,
        refs,
    };
    let steps_node = f.require(c, "steps", "the scenario");
    let network_node = f.get("network");
    let variants = match matrix {
        None => vec![(
            Vec::new(),
            steps_node.and_then(|n| read_steps(c, n, &ctx, default_timeout))?,
            match network_node {
                Some(n) => Some(read_network(c, n)?),
                None => None,
            },
        )],
        Some(matrix) => read_variants(
            c,
            steps_node?,
            network_node,
            &matrix?,
            &ctx,
            default_timeout,
        )?,
    };

    let (name, repeat) = (name?, repeat?);
    let suite = suite_of(path);
    Some(
        variants
            .into_iter()
            .map(|(matrix, steps, network)| Scenario {
                name: name.clone(),
                description: description.clone(),
                path: path.to_path_buf(),
                suite: suite.clone(),
                parties: ctx.parties.clone(),
                repeat,
                matrix,
                steps,
                network,
                requires: requires.clone(),
            })
            .collect(),
    )
}

/// A variant's (variable, value as text) pairs, as [`Scenario::matrix`] holds them.
type MatrixValues = Vec<(String, String)>;

/// One variant: its matrix values, steps and network profile.
type Variant = (MatrixValues, Vec<Step>, Option<NetworkRef>);

/// Reads `network: NAME`: a profile name of lower-case letters, digits, `.`, `_` and `-`.
fn read_network(c: &mut Collector<'_>, node: &Node) -> Option<NetworkRef> {
    let name = yaml::text(c, node, "`network`")?;
    if !is_valid_scenario_name(&name) {
        c.error(
            node.loc,
            format!(
                "invalid network profile name `{name}`: use lower-case letters, digits, `.`, `_` and `-` only"
            ),
        );
        return None;
    }
    Some(NetworkRef {
        name,
        location: node.loc,
    })
}

/// The matrix values and steps of every variant. Each variant's steps tree is read like any
/// other, so every check applies to the substituted values; a problem at a substituted scalar
/// says which matrix value caused it, and a problem shared by several variants is reported once.
fn read_variants(
    c: &mut Collector<'_>,
    steps: &Node,
    network: Option<&Node>,
    matrix: &Matrix,
    ctx: &Ctx<'_>,
    default_timeout: Option<Duration>,
) -> Option<Vec<Variant>> {
    if !matrix::check_references(c, steps, network, matrix) {
        return None;
    }
    let choices = matrix.choices();
    let mut out = Vec::new();
    // Each problem with the variant it came from and where that variant's values landed.
    let mut found: Vec<(Diagnostic, MatrixValues, Vec<matrix::Origin>)> = Vec::new();
    for choice in &choices {
        let values = matrix.values(choice);
        let (tree, mut origins) = matrix::substitute(steps, matrix, choice);
        let mut vc = c.fresh();
        let read = read_steps(&mut vc, &tree, ctx, default_timeout);
        let network = network.map(|n| {
            let (tree, more) = matrix::substitute(n, matrix, choice);
            origins.extend(more);
            read_network(&mut vc, &tree)
        });
        let problems = vc.take();
        if problems.is_empty()
            && let Some(read) = read
        {
            out.push((values, read, network.flatten()));
            continue;
        }
        found.extend(
            problems
                .into_iter()
                .map(|d| (d, values.clone(), origins.clone())),
        );
    }
    if found.is_empty() {
        return Some(out);
    }
    // Counted by position and message: a problem of every variant is not the values' doing.
    let key = |d: &Diagnostic| (d.line, d.column, d.message.clone());
    let mut counts: HashMap<(usize, usize, String), usize> = HashMap::new();
    for (d, _, _) in &found {
        *counts.entry(key(d)).or_default() += 1;
    }
    let mut seen = HashSet::new();
    for (mut d, values, origins) in found {
        let everywhere = counts.get(&key(&d)) == Some(&choices.len());
        match origins.iter().find(|o| o.loc == d.location()) {
            Some(origin) => d
                .message
                .push_str(&format!(" (from matrix {})", origin.values)),
            None if !everywhere => {
                let pairs: Vec<String> = values.iter().map(|(k, v)| format!("{k}={v}")).collect();
                d.message
                    .push_str(&format!(" (matrix variant {})", pairs.join(", ")));
            }
            None => {}
        }
        if seen.insert(key(&d)) {
            c.push(d);
        }
    }
    None
}

/// Voice radio technologies `require.radio` may name (Android's names).
const RADIO_TECHNOLOGIES: &[&str] = &[
    "GSM", "GPRS", "EDGE", "UMTS", "HSDPA", "HSUPA", "HSPA", "HSPAP", "TD_SCDMA", "CDMA", "EVDO_0",
    "EVDO_A", "EVDO_B", "1XRTT", "EHRPD", "LTE", "LTE_CA", "NR", "IWLAN",
];

/// Reads a party's `require: { radio: LTE | [LTE, NR], volte: true | false }`.
fn read_requirement(c: &mut Collector<'_>, node: &Node, party: &str) -> Option<Requirement> {
    let what = format!("`require` of party `{party}`");
    let f = yaml::fields(c, node, &what, &["radio", "volte"])?;
    if f.get("radio").is_none() && f.get("volte").is_none() {
        c.error(
            node.loc,
            format!("{what} names nothing to require (`radio` or `volte`)"),
        );
        return None;
    }
    let radio = match f.get("radio") {
        Some(n) => read_required_radio(c, n)?,
        None => Vec::new(),
    };
    let volte = match f.get("volte") {
        Some(n) => Some(yaml::boolean(c, n, "`require.volte`")?),
        None => None,
    };
    Some(Requirement {
        radio,
        volte,
        location: node.loc,
    })
}

/// `require.radio`: one name or a non-empty list of names.
fn read_required_radio(c: &mut Collector<'_>, radio_node: &Node) -> Option<Vec<String>> {
    let items: Vec<&Node> = match &radio_node.value {
        Value::Seq(items) if !items.is_empty() => items.iter().collect(),
        Value::Seq(_) => {
            c.error(radio_node.loc, "`require.radio` is an empty list");
            return None;
        }
        _ => vec![radio_node],
    };
    let mut radio = Vec::new();
    for item in items {
        let name = yaml::text(c, item, "`require.radio`")?.to_ascii_uppercase();
        if !RADIO_TECHNOLOGIES.contains(&name.as_str()) {
            c.error(
                item.loc,
                format!(
                    "unknown radio technology `{name}` in `require.radio` (known: {})",
                    RADIO_TECHNOLOGIES.join(", ")
                ),
            );
            return None;
        }
        radio.push(name);
    }
    Some(radio)
}

fn read_parties(
    c: &mut Collector<'_>,
    node: &Node,
) -> (Vec<String>, Vec<(String, Requirement)>, bool) {
    let mut requires = Vec::new();
    let mut out: Vec<String> = Vec::new();
    let mut ok = true;
    let add = |c: &mut Collector<'_>, name: String, loc: Location, out: &mut Vec<String>| {
        if !is_valid_party_name(&name) {
            c.error(
                loc,
                format!("invalid party name `{name}`: use letters, digits, `_` and `-` only"),
            );
            return false;
        }
        if out.contains(&name) {
            c.error(loc, format!("party `{name}` is declared twice"));
            return false;
        }
        out.push(name);
        true
    };
    match &node.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                let Some(name) = yaml::text(c, k, "a party name") else {
                    ok = false;
                    continue;
                };
                ok &= add(c, name.clone(), k.loc, &mut out);
                match &v.value {
                    Value::Null => {}
                    Value::Map(opts) => {
                        for (key_node, value) in opts {
                            let key = key_node.text.clone().unwrap_or_default();
                            if key == "require" {
                                match read_requirement(c, value, &name) {
                                    Some(r) => requires.push((name.clone(), r)),
                                    None => ok = false,
                                }
                                continue;
                            }
                            c.error(
                                key_node.loc,
                                format!(
                                    "unknown key `{key}` in party `{name}` (a party takes `require`, or nothing: `{name}: {{}}`)"
                                ),
                            );
                        }
                    }
                    other => {
                        c.error(
                            v.loc,
                            format!(
                                "party `{name}` must be an empty mapping `{{}}`, found {}",
                                other.kind()
                            ),
                        );
                    }
                }
            }
        }
        Value::Seq(items) => {
            for item in items {
                match yaml::text(c, item, "a party name") {
                    Some(name) => ok &= add(c, name, item.loc, &mut out),
                    None => ok = false,
                }
            }
        }
        other => {
            c.error(
                node.loc,
                format!(
                    "`parties` must be a mapping (`{{ a: {{}}, b: {{}} }}`) or a list (`[a, b]`), found {}",
                    other.kind()
                ),
            );
            return (out, requires, false);
        }
    }
    if out.is_empty() && ok {
        c.error(node.loc, "`parties` is empty: declare at least one party");
        ok = false;
    }
    (out, requires, ok)
}

fn read_defaults(c: &mut Collector<'_>, node: &Node) -> Option<Duration> {
    let f = yaml::fields(c, node, "`defaults`", &["timeout"])?;
    f.get("timeout")
        .and_then(|n| positive_duration(c, n, "`timeout`"))
}

/// Reads a duration scalar; reports bare numbers and bad units.
pub(crate) fn duration(c: &mut Collector<'_>, node: &Node, what: &str) -> Option<Duration> {
    match &node.value {
        Value::Str(s) => match parse_duration(s) {
            Ok(d) => Some(d),
            Err(e) => {
                c.error(node.loc, format!("{what}: {e}"));
                None
            }
        },
        Value::Int(_) | Value::Float(_) => {
            let t = node.text.clone().unwrap_or_default();
            c.error(
                node.loc,
                format!("{what}: {}", crate::duration::DurationError::NoUnit(t)),
            );
            None
        }
        other => {
            c.error(
                node.loc,
                format!(
                    "{what} must be a duration such as `500ms`, `2s` or `2m`, found {}",
                    other.kind()
                ),
            );
            None
        }
    }
}

fn positive_duration(c: &mut Collector<'_>, node: &Node, what: &str) -> Option<Duration> {
    let d = duration(c, node, what)?;
    if d.is_zero() {
        c.error(node.loc, format!("{what} must be longer than zero"));
        return None;
    }
    Some(d)
}

fn read_steps(
    c: &mut Collector<'_>,
    node: &Node,
    ctx: &Ctx<'_>,
    default_timeout: Option<Duration>,
) -> Option<Vec<Step>> {
    let Value::Seq(items) = &node.value else {
        if matches!(node.value, Value::Null) {
            c.error(
                node.loc,
                "`steps` is empty: a scenario needs at least one step",
            );
        } else {
            c.error(
                node.loc,
                format!(
                    "`steps` must be a list of steps, found {}",
                    node.value.kind()
                ),
            );
        }
        return None;
    };
    if items.is_empty() {
        c.error(
            node.loc,
            "`steps` is empty: a scenario needs at least one step",
        );
        return None;
    }
    let mut steps = Vec::new();
    let mut all_ok = true;
    for (index, item) in items.iter().enumerate() {
        match read_step(c, item, index, ctx, default_timeout) {
            Some(s) => steps.push(s),
            None => all_ok = false,
        }
    }
    all_ok.then_some(steps)
}

fn read_step(
    c: &mut Collector<'_>,
    node: &Node,
    index: usize,
    ctx: &Ctx<'_>,
    default_timeout: Option<Duration>,
) -> Option<Step> {
    let context = format!("step {}", index + 1);
    let Value::Map(entries) = &node.value else {
        c.error(
            node.loc,
            format!(
                "{context} must be a mapping with one action ({}), found {}",
                STEP_KINDS.join(", "),
                node.value.kind()
            ),
        );
        return None;
    };
    let mut allowed: Vec<&str> = STEP_KINDS.to_vec();
    allowed.extend_from_slice(STEP_COMMON);
    let f = yaml::fields(c, node, &context, &allowed)?;
    let kinds: Vec<&(String, &Node, &Node)> = f
        .entries()
        .iter()
        .filter(|(k, _, _)| STEP_KINDS.contains(&k.as_str()))
        .collect();
    let any_unknown = entries.len() != f.entries().len();
    let kind_entry = match kinds.as_slice() {
        [] => {
            if !any_unknown {
                c.error(
                    node.loc,
                    format!(
                        "{context} has no action: give exactly one of {}",
                        STEP_KINDS.join(", ")
                    ),
                );
            }
            None
        }
        [one] => Some(*one),
        [first, second, ..] => {
            c.error(
                second.1.loc,
                format!(
                    "{context} has two actions (`{}` and `{}`): give each its own step",
                    first.0, second.0
                ),
            );
            None
        }
    };

    let name = f.get("name").and_then(|n| yaml::text(c, n, "`name`"));
    let timeout = match f.get("timeout") {
        Some(n) => positive_duration(c, n, "`timeout`").map(Some),
        None => Some(default_timeout),
    };
    let (kw, _, body) = kind_entry?;
    let expect_node = f.get("expect");
    if let (Some(e), false) = (expect_node, kw == "play") {
        let key_loc = f.key("expect").map_or(e.loc, |k| k.loc);
        c.error(
            key_loc,
            format!("`expect` is only allowed on `play` steps, not on `{kw}`"),
        );
    }
    let kind = match kw.as_str() {
        "dial" => read_dial(c, body, ctx),
        "answer" => read_party_step(c, body, ctx, "answer").map(|party| StepKind::Answer { party }),
        "hangup" => read_party_step(c, body, ctx, "hangup").map(|party| StepKind::Hangup { party }),
        "wait" => read_wait(c, body, ctx),
        "sleep" => duration(c, body, "`sleep`").map(|duration| StepKind::Sleep { duration }),
        "play" => read_play(c, body, ctx, expect_node),
        "airplane" => read_airplane(c, body, ctx),
        _ => None,
    }?;
    Some(Step {
        index: index + 1,
        name,
        kind,
        timeout: timeout?,
        location: node.loc,
    })
}

/// Reads a party name and checks it is declared.
fn party(c: &mut Collector<'_>, node: &Node, ctx: &Ctx<'_>, what: &str) -> Option<String> {
    let name = yaml::text(c, node, what)?;
    if ctx.parties_ok && !ctx.parties.contains(&name) {
        let mut msg = format!("unknown party `{name}` in {what}");
        let declared: Vec<&str> = ctx.parties.iter().map(String::as_str).collect();
        if let Some(s) = yaml::suggest(&name, &declared) {
            msg.push_str(&format!("; did you mean `{s}`?"));
        }
        msg.push_str(&format!(" (declared parties: {})", declared.join(", ")));
        c.error(node.loc, msg);
        return None;
    }
    Some(name)
}

fn read_dial(c: &mut Collector<'_>, node: &Node, ctx: &Ctx<'_>) -> Option<StepKind> {
    let f = yaml::fields(c, node, "`dial`", &["from", "to", "number"])?;
    let from = f
        .require(c, "from", "`dial`")
        .and_then(|n| party(c, n, ctx, "`dial.from`"));
    let to = match (f.get("to"), f.get("number")) {
        (Some(_), Some(n)) => {
            let loc = f.key("number").map_or(n.loc, |k| k.loc);
            c.error(
                loc,
                "`dial` takes either `to` (a party) or `number`, not both",
            );
            None
        }
        (None, None) => {
            c.error(
                f.loc,
                "missing required key `to` in `dial` (or `number` to dial a number)",
            );
            None
        }
        (Some(t), None) => {
            let to = party(c, t, ctx, "`dial.to`");
            if let (Some(to), Some(from)) = (&to, &from)
                && to == from
            {
                c.error(
                    t.loc,
                    format!("`dial` from `{from}` to itself: a party cannot call itself"),
                );
                return None;
            }
            to.map(DialTarget::Party)
        }
        (None, Some(n)) => {
            let num = yaml::text(c, n, "`dial.number`")?;
            if is_dialable(&num) {
                Some(DialTarget::Number(num))
            } else {
                c.error(
                    n.loc,
                    format!("`{num}` is not a dialable number ({DIALABLE_RULE})"),
                );
                None
            }
        }
    };
    Some(StepKind::Dial {
        from: from?,
        to: to?,
    })
}

fn read_party_step(c: &mut Collector<'_>, node: &Node, ctx: &Ctx<'_>, kw: &str) -> Option<String> {
    let f = yaml::fields(c, node, &format!("`{kw}`"), &["party"])?;
    f.require(c, "party", &format!("`{kw}`"))
        .and_then(|n| party(c, n, ctx, &format!("`{kw}.party`")))
}

/// `airplane: { party: a, on: true }`.
fn read_airplane(c: &mut Collector<'_>, node: &Node, ctx: &Ctx<'_>) -> Option<StepKind> {
    let f = yaml::fields(c, node, "`airplane`", &["party", "on"])?;
    let party = f
        .require(c, "party", "`airplane`")
        .and_then(|n| party(c, n, ctx, "`airplane.party`"));
    let on = f
        .require(c, "on", "`airplane`")
        .and_then(|n| yaml::boolean(c, n, "`airplane.on`"));
    Some(StepKind::Airplane {
        party: party?,
        on: on?,
    })
}

fn read_wait(c: &mut Collector<'_>, node: &Node, ctx: &Ctx<'_>) -> Option<StepKind> {
    let f = yaml::fields(c, node, "`wait`", &["party", "state", "within"])?;
    let parties = f
        .require(c, "party", "`wait`")
        .and_then(|n| match &n.value {
            Value::Seq(items) => {
                if items.is_empty() {
                    c.error(
                        n.loc,
                        "`wait.party` is an empty list: name at least one party",
                    );
                    return None;
                }
                let mut out = Vec::new();
                let mut ok = true;
                for i in items {
                    match party(c, i, ctx, "`wait.party`") {
                        Some(p) if out.contains(&p) => {
                            c.error(
                                i.loc,
                                format!("party `{p}` is listed twice in `wait.party`"),
                            );
                            ok = false;
                        }
                        Some(p) => out.push(p),
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            }
            _ => party(c, n, ctx, "`wait.party`").map(|p| vec![p]),
        });
    let state = f.require(c, "state", "`wait`").and_then(|n| {
        let s = yaml::text(c, n, "`wait.state`")?;
        let st = CallStateName::parse(&s);
        if st.is_none() {
            c.error(
                n.loc,
                format!(
                    "unknown call state `{s}` (expected idle, ringing, offhook, alerting or active)"
                ),
            );
        }
        st
    });
    let within = match f.get("within") {
        Some(n) => positive_duration(c, n, "`wait.within`"),
        None => Some(DEFAULT_WAIT_WITHIN),
    };
    Some(StepKind::Wait {
        parties: parties?,
        state: state?,
        within: within?,
    })
}

fn reference(c: &mut Collector<'_>, node: &Node, ctx: &Ctx<'_>, what: &str) -> Option<String> {
    let r = yaml::text(c, node, what)?;
    if !(ctx.refs)(&r) {
        c.error(
            node.loc,
            format!("unknown reference `{r}` in {what} (not in audio-refs/manifest.toml and not a generated tone)"),
        );
        return None;
    }
    Some(r)
}

fn read_play(
    c: &mut Collector<'_>,
    node: &Node,
    ctx: &Ctx<'_>,
    expect: Option<&Node>,
) -> Option<StepKind> {
    let f = yaml::fields(c, node, "`play`", &["ref", "into", "record", "margin"])?;
    let reference = f
        .require(c, "ref", "`play`")
        .and_then(|n| reference(c, n, ctx, "`play.ref`"));
    let into = f
        .require(c, "into", "`play`")
        .and_then(|n| party(c, n, ctx, "`play.into`"));
    let record = f
        .require(c, "record", "`play`")
        .and_then(|n| party(c, n, ctx, "`play.record`"));
    let margin = match f.get("margin") {
        Some(n) => duration(c, n, "`play.margin`"),
        None => Some(DEFAULT_PLAY_MARGIN),
    };
    let expect = match expect {
        Some(n) => read_expect(c, n, ctx),
        None => Some(Expectations::default()),
    };
    Some(StepKind::Play {
        reference: reference?,
        into: into?,
        record: record?,
        margin: margin?,
        expect: expect?,
    })
}

fn bounds(c: &mut Collector<'_>, node: &Node, what: &str, lo: f64, hi: f64) -> Option<Bounds> {
    let f = yaml::fields(c, node, what, &["min", "max"])?;
    let mut ok = true;
    let mut read = |c: &mut Collector<'_>, key: &str| -> Option<f64> {
        let n = f.get(key)?;
        let v = yaml::number(c, n, &format!("{what}.{key}"));
        match v {
            Some(v) if !(lo..=hi).contains(&v) => {
                c.error(
                    n.loc,
                    format!("{what}.{key} must be between {lo} and {hi}, found {v}"),
                );
                ok = false;
                None
            }
            None => {
                ok = false;
                None
            }
            v => v,
        }
    };
    let min = read(c, "min");
    let max = read(c, "max");
    if !ok {
        return None;
    }
    if f.get("min").is_none() && f.get("max").is_none() {
        c.error(f.loc, format!("{what} needs `min`, `max` or both"));
        return None;
    }
    if let (Some(a), Some(b)) = (min, max)
        && a > b
    {
        let loc = f.key("max").map_or(f.loc, |k| k.loc);
        c.error(
            loc,
            format!("{what}: `min` ({a}) is greater than `max` ({b})"),
        );
        return None;
    }
    Some(Bounds { min, max })
}

fn read_expect(c: &mut Collector<'_>, node: &Node, ctx: &Ctx<'_>) -> Option<Expectations> {
    let f: Fields<'_> = yaml::fields(c, node, "`expect`", EXPECT_KEYS)?;
    let mut e = Expectations::default();
    let mut ok = true;
    for (key, key_node, v) in f.entries() {
        if UNAVAILABLE_EXPECTATIONS.contains(&key.as_str()) {
            c.error(
                key_node.loc,
                format!("expectation `{key}` is not available yet in this farend build"),
            );
            ok = false;
        }
        let read_ok = match key.as_str() {
            "audio_present" => {
                e.audio_present = yaml::boolean(c, v, "`audio_present`");
                e.audio_present.is_some()
            }
            "one_way_audio" => {
                e.one_way_audio = yaml::boolean(c, v, "`one_way_audio`");
                e.one_way_audio.is_some()
            }
            "delay_ms" => {
                e.delay_ms = bounds(c, v, "`delay_ms`", 0.0, 60_000.0);
                e.delay_ms.is_some()
            }
            "level_dbov" => {
                e.level_dbov = bounds(c, v, "`level_dbov`", -120.0, 0.0);
                e.level_dbov.is_some()
            }
            "clock_drift_ppm" => {
                e.clock_drift_ppm = bounds(c, v, "`clock_drift_ppm`", -1000.0, 1000.0);
                e.clock_drift_ppm.is_some()
            }
            "mos_lqo" => {
                e.mos_lqo = read_mos(c, v);
                e.mos_lqo.is_some()
            }
            "dtmf" => {
                e.dtmf = read_dtmf(c, v);
                e.dtmf.is_some()
            }
            "tone_pattern" => {
                e.tone_pattern = yaml::text(c, v, "`tone_pattern`").and_then(|text| {
                    match farend_dsp::tone::TonePattern::parse(&text) {
                        Ok(_) => Some(text),
                        Err(err) => {
                            c.error(v.loc, format!("`tone_pattern`: {err}"));
                            None
                        }
                    }
                });
                e.tone_pattern.is_some()
            }
            "fingerprint" => {
                e.fingerprint = yaml::fields(c, v, "`fingerprint`", &["matches"]).and_then(|ff| {
                    ff.require(c, "matches", "`fingerprint`")
                        .and_then(|n| reference(c, n, ctx, "`fingerprint.matches`"))
                        .map(|matches| FingerprintExpectation { matches })
                });
                e.fingerprint.is_some()
            }
            "tone" => {
                e.tone = read_tone(c, v);
                e.tone.is_some()
            }
            "progress_tone" => {
                e.progress_tone = read_progress_tone(c, v);
                e.progress_tone.is_some()
            }
            "gaps" => {
                e.gaps = yaml::fields(c, v, "`gaps`", &["max_ms"]).and_then(|ff| {
                    let n = ff.require(c, "max_ms", "`gaps`")?;
                    let m = yaml::number(c, n, "`gaps.max_ms`")?;
                    if m < 0.0 {
                        c.error(n.loc, "`gaps.max_ms` must not be negative");
                        return None;
                    }
                    Some(GapsExpectation { max_ms: m })
                });
                e.gaps.is_some()
            }
            _ => false,
        };
        ok &= read_ok;
    }
    ok.then_some(e)
}

fn read_mos(c: &mut Collector<'_>, v: &Node) -> Option<MosExpectation> {
    let f = yaml::fields(c, v, "`mos_lqo`", &["min", "band"])?;
    let min = f.require(c, "min", "`mos_lqo`").and_then(|n| {
        let m = yaml::number(c, n, "`mos_lqo.min`")?;
        if !(1.0..=5.0).contains(&m) {
            c.error(
                n.loc,
                format!("`mos_lqo.min` must be between 1.0 and 5.0, found {m}"),
            );
            return None;
        }
        Some(m)
    });
    let band = match f.get("band") {
        Some(n) => {
            let b = yaml::text(c, n, "`mos_lqo.band`")?;
            match b.as_str() {
                "nb" => Some(Band::Nb),
                "wb" => Some(Band::Wb),
                _ => {
                    c.error(n.loc, format!("unknown band `{b}` (expected nb or wb)"));
                    None
                }
            }
        }
        None => Some(Band::Nb),
    };
    Some(MosExpectation {
        min: min?,
        band: band?,
    })
}

fn read_dtmf(c: &mut Collector<'_>, v: &Node) -> Option<String> {
    let d = yaml::text(c, v, "`dtmf`")?;
    if d.is_empty() || d.len() > 64 {
        c.error(v.loc, "`dtmf` must list 1 to 64 digits");
        return None;
    }
    if let Some(bad) = d
        .chars()
        .find(|ch| !(ch.is_ascii_digit() || matches!(ch, '*' | '#' | 'A' | 'B' | 'C' | 'D')))
    {
        c.error(
            v.loc,
            format!("`dtmf` digit `{bad}` is not a DTMF digit (0-9, *, #, A-D)"),
        );
        return None;
    }
    Some(d)
}

fn read_tone(c: &mut Collector<'_>, v: &Node) -> Option<ToneExpectation> {
    let f = yaml::fields(c, v, "`tone`", &["freq", "min_duration"])?;
    let freq = f.require(c, "freq", "`tone`").and_then(|n| {
        let hz = yaml::number(c, n, "`tone.freq` (Hz)")?;
        if !(20.0..=8000.0).contains(&hz) {
            c.error(
                n.loc,
                format!("`tone.freq` must be between 20 and 8000 Hz, found {hz}"),
            );
            return None;
        }
        Some(hz)
    });
    let min_duration = f
        .require(c, "min_duration", "`tone`")
        .and_then(|n| positive_duration(c, n, "`tone.min_duration`"));
    Some(ToneExpectation {
        freq_hz: freq?,
        min_duration: min_duration?,
    })
}

fn read_progress_tone(c: &mut Collector<'_>, v: &Node) -> Option<ProgressToneExpectation> {
    let f = yaml::fields(c, v, "`progress_tone`", &["kind", "country"])?;
    let kind = f.require(c, "kind", "`progress_tone`").and_then(|n| {
        let k = yaml::text(c, n, "`progress_tone.kind`")?;
        let kind = match k.as_str() {
            "dial" => Some(ProgressToneKind::Dial),
            "ringback" => Some(ProgressToneKind::Ringback),
            "busy" => Some(ProgressToneKind::Busy),
            "congestion" => Some(ProgressToneKind::Congestion),
            _ => None,
        };
        if kind.is_none() {
            c.error(
                n.loc,
                format!(
                    "unknown progress tone `{k}` (expected dial, ringback, busy or congestion)"
                ),
            );
        }
        kind
    });
    let country = f.require(c, "country", "`progress_tone`").and_then(|n| {
        let cc = yaml::text(c, n, "`progress_tone.country`")?;
        if cc.len() == 2 && cc.bytes().all(|b| b.is_ascii_alphabetic()) {
            Some(cc.to_ascii_uppercase())
        } else {
            c.error(
                n.loc,
                format!("`{cc}` is not a two-letter country code (ISO 3166-1, e.g. SK, DE, US)"),
            );
            None
        }
    });
    Some(ProgressToneExpectation {
        kind: kind?,
        country: country?,
    })
}
