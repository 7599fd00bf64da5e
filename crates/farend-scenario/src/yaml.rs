//! A located YAML tree (built with serde-saphyr) and helpers to read it with diagnostics.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::diag::{Collector, Location};

/// A YAML value with the location it came from.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) value: Value,
    pub(crate) loc: Location,
    /// The source text of a scalar (for plain scalars such as `+4219` that YAML types as numbers).
    pub(crate) text: Option<String>,
}

/// The value of a [`Node`].
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// What kind of YAML value this is, for messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// The tree as serde-saphyr hands it over, before source text is attached.
enum Raw {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = Raw;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_none<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
                Raw::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
                Ok(Raw::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
                Ok(Raw::Int(i128::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
                Ok(Raw::Int(i128::from(v)))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Raw, E> {
                Ok(Raw::Int(v))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Raw, E> {
                Ok(match i128::try_from(v) {
                    Ok(i) => Raw::Int(i),
                    Err(_) => Raw::Float(v as f64),
                })
            }
            fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
                Ok(Raw::Float(v))
            }
            fn visit_char<E>(self, v: char) -> Result<Raw, E> {
                Ok(Raw::Str(v.to_string()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
                Ok(Raw::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Raw, E> {
                Ok(Raw::Str(v))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Raw, E> {
                match std::str::from_utf8(v) {
                    Ok(s) => Ok(Raw::Str(s.to_owned())),
                    Err(_) => Err(E::custom("binary data is not allowed here")),
                }
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = a.next_element::<Spanned<Raw>>()? {
                    items.push(item);
                }
                Ok(Raw::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut entries = Vec::new();
                while let Some(k) = a.next_key::<Spanned<Raw>>()? {
                    let v = a.next_value::<Spanned<Raw>>()?;
                    entries.push((k, v));
                }
                Ok(Raw::Map(entries))
            }
        }
        d.deserialize_any(RawVisitor)
    }
}

fn location_of(l: &serde_saphyr::Location) -> Location {
    Location::new(
        usize::try_from(l.line()).unwrap_or(usize::MAX),
        usize::try_from(l.column()).unwrap_or(usize::MAX),
    )
}

fn convert(raw: Spanned<Raw>, source: &str) -> Node {
    let loc = location_of(&raw.referenced);
    let span = raw.referenced.span();
    let text = match (span.byte_offset(), span.byte_len()) {
        (Some(off), Some(len)) => {
            let start = usize::try_from(off).unwrap_or(usize::MAX);
            let end = start.saturating_add(usize::try_from(len).unwrap_or(0));
            source.get(start..end).map(str::to_owned)
        }
        _ => None,
    };
    let value = match raw.value {
        Raw::Null => Value::Null,
        Raw::Bool(b) => Value::Bool(b),
        Raw::Int(i) => Value::Int(i),
        Raw::Float(f) => Value::Float(f),
        Raw::Str(s) => Value::Str(s),
        Raw::Seq(items) => Value::Seq(items.into_iter().map(|i| convert(i, source)).collect()),
        Raw::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (convert(k, source), convert(v, source)))
                .collect(),
        ),
    };
    let text = match value {
        Value::Seq(_) | Value::Map(_) => None,
        _ => text,
    };
    Node { value, loc, text }
}

/// Location of the first byte that is not valid UTF-8, with the byte itself.
pub(crate) fn utf8_error_location(bytes: &[u8]) -> Option<(Location, u8)> {
    let err = std::str::from_utf8(bytes).err()?;
    let valid = &bytes[..err.valid_up_to()];
    // The valid prefix is UTF-8 by construction.
    let prefix = std::str::from_utf8(valid).unwrap_or("");
    let line = prefix.matches('\n').count() + 1;
    let col = prefix.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    let byte = bytes.get(err.valid_up_to()).copied().unwrap_or(0);
    Some((Location::new(line, col), byte))
}

/// Parses YAML text into a located tree. Syntax errors are reported to `c`; returns `None` then.
pub(crate) fn parse(source: &str, c: &mut Collector<'_>, what: &str) -> Option<Node> {
    if source.trim().is_empty() {
        c.error(
            Location::new(1, 1),
            format!("the file is empty (expected a {what} mapping)"),
        );
        return None;
    }
    match serde_saphyr::from_str::<Spanned<Raw>>(source) {
        Ok(raw) => Some(convert(raw, source)),
        Err(e) => {
            let inner = e.without_snippet();
            let loc = inner
                .location()
                .map(|l| location_of(&l))
                .unwrap_or(Location::new(1, 1));
            let msg = inner.to_string();
            match (msg.contains("tab"), tab_near(source, loc.line)) {
                (true, Some(tab)) => c.error(
                    tab,
                    "tab character in indentation: YAML indents with spaces only",
                ),
                _ => c.error(loc, yaml_message(&msg)),
            }
            None
        }
    }
}

/// The first tab in the leading whitespace of the lines around `line` (the parser may point
/// at the line before or at the text after the tab).
fn tab_near(source: &str, line: usize) -> Option<Location> {
    let first = line.saturating_sub(1).max(1);
    source
        .lines()
        .enumerate()
        .skip(first - 1)
        .take(3)
        .find_map(|(i, l)| {
            let indent = l.len() - l.trim_start_matches([' ', '\t']).len();
            l[..indent]
                .find('\t')
                .map(|col| Location::new(i + 1, l[..col].chars().count() + 1))
        })
}

/// Turns a serde-saphyr message into one for a test engineer.
fn yaml_message(raw: &str) -> String {
    // Drop the trailing " at line N, column M": the diagnostic carries the position.
    let msg = match raw.rfind(" at line ") {
        Some(i) if raw[i..].contains(", column ") => &raw[..i],
        _ => raw,
    };
    if let Some(rest) = msg.strip_prefix("duplicate mapping key: ") {
        let key = rest
            .split(", set DuplicateKeyPolicy")
            .next()
            .unwrap_or(rest);
        return format!("duplicate key `{key}` (each key may appear only once in a mapping)");
    }
    if msg.starts_with("budget breached: Depth") {
        return "YAML nested too deeply (more than 64 levels)".to_owned();
    }
    if msg.starts_with("budget breached") {
        return format!("YAML document too large or complex ({msg})");
    }
    if msg.starts_with("multiple YAML documents detected") {
        return "more than one YAML document (`---`) in the file; use one file per document"
            .to_owned();
    }
    format!("YAML syntax error: {msg}")
}

/// A mapping node read key by key: unknown keys are reported, known ones looked up.
pub(crate) struct Fields<'n> {
    pub(crate) loc: Location,
    entries: Vec<(String, &'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    /// The value of `key`, if present.
    pub(crate) fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, _, v)| *v)
    }

    /// The key node of `key`, if present.
    pub(crate) fn key(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, k, _)| *k)
    }

    /// The value of `key`; reports it missing (at the mapping) if absent.
    pub(crate) fn require(
        &self,
        c: &mut Collector<'_>,
        key: &str,
        context: &str,
    ) -> Option<&'n Node> {
        let v = self.get(key);
        if v.is_none() {
            c.error(
                self.loc,
                format!("missing required key `{key}` in {context}"),
            );
        }
        v
    }

    /// All (name, key node, value node) entries in file order.
    pub(crate) fn entries(&self) -> &[(String, &'n Node, &'n Node)] {
        &self.entries
    }
}

/// Reads `node` as a mapping with string keys among `allowed`; reports other keys.
pub(crate) fn fields<'n>(
    c: &mut Collector<'_>,
    node: &'n Node,
    context: &str,
    allowed: &[&str],
) -> Option<Fields<'n>> {
    let Value::Map(entries) = &node.value else {
        c.error(
            node.loc,
            format!(
                "{context} must be a mapping (`key: value` pairs), found {}",
                node.value.kind()
            ),
        );
        return None;
    };
    let mut out = Vec::new();
    for (k, v) in entries {
        let name = match &k.value {
            Value::Str(s) => s.clone(),
            _ => match &k.text {
                Some(t) if !matches!(k.value, Value::Null) => t.clone(),
                _ => {
                    c.error(
                        k.loc,
                        format!(
                            "keys in {context} must be plain names, found {}",
                            k.value.kind()
                        ),
                    );
                    continue;
                }
            },
        };
        if !allowed.contains(&name.as_str()) {
            c.error(k.loc, unknown_key_message(&name, context, allowed));
            continue;
        }
        out.push((name, k, v));
    }
    Some(Fields {
        loc: node.loc,
        entries: out,
    })
}

/// "unknown key `x` in ... (expected one of: ...)", with a suggestion for near misses.
pub(crate) fn unknown_key_message(name: &str, context: &str, allowed: &[&str]) -> String {
    let mut msg = format!("unknown key `{name}` in {context}");
    if let Some(best) = suggest(name, allowed) {
        msg.push_str(&format!("; did you mean `{best}`?"));
    }
    if allowed.is_empty() {
        msg.push_str(" (no keys are allowed here)");
    } else {
        msg.push_str(&format!(" (expected one of: {})", allowed.join(", ")));
    }
    msg
}

/// The allowed name closest to `name`, if it is a plausible typo.
pub(crate) fn suggest<'a>(name: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (edit_distance(name, a), *a))
        .filter(|(d, a)| *d <= 2 && *d < a.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Reads a scalar as text: strings as they are, plain numbers/booleans as written in the file.
pub(crate) fn text(c: &mut Collector<'_>, node: &Node, what: &str) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(_) | Value::Float(_) | Value::Bool(_) => match &node.text {
            Some(t) => Some(t.clone()),
            None => Some(match &node.value {
                Value::Int(i) => i.to_string(),
                Value::Float(f) => f.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => String::new(),
            }),
        },
        other => {
            c.error(
                node.loc,
                format!("{what} must be a string, found {}", other.kind()),
            );
            None
        }
    }
}

/// Reads a boolean (`true` / `false`).
pub(crate) fn boolean(c: &mut Collector<'_>, node: &Node, what: &str) -> Option<bool> {
    match &node.value {
        Value::Bool(b) => Some(*b),
        other => {
            c.error(
                node.loc,
                format!("{what} must be `true` or `false`, found {}", other.kind()),
            );
            None
        }
    }
}

/// Reads a finite number (integer or decimal).
pub(crate) fn number(c: &mut Collector<'_>, node: &Node, what: &str) -> Option<f64> {
    match &node.value {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) if f.is_finite() => Some(*f),
        Value::Float(_) => {
            c.error(node.loc, format!("{what} must be a finite number"));
            None
        }
        other => {
            c.error(
                node.loc,
                format!("{what} must be a number, found {}", other.kind()),
            );
            None
        }
    }
}

/// Reads a whole number in `min..=max`.
pub(crate) fn integer(
    c: &mut Collector<'_>,
    node: &Node,
    what: &str,
    min: i128,
    max: i128,
) -> Option<i128> {
    match &node.value {
        Value::Int(i) if (min..=max).contains(i) => Some(*i),
        Value::Int(_) | Value::Float(_) => {
            c.error(
                node.loc,
                format!(
                    "{what} must be a whole number from {min} to {max}, found {}",
                    node.text.as_deref().unwrap_or("a value out of range")
                ),
            );
            None
        }
        other => {
            c.error(
                node.loc,
                format!(
                    "{what} must be a whole number from {min} to {max}, found {}",
                    other.kind()
                ),
            );
            None
        }
    }
}
