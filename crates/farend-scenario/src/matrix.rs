//! `matrix:`: variables with lists of values, one scenario variant per combination.
//!
//! Pure functions over the located YAML tree: [`read`] validates the `matrix` mapping,
//! [`check_references`] checks the `${name}` references in the steps, and [`substitute`] makes
//! the steps tree of one variant, which is then read like any other steps tree, so every
//! existing check applies to the substituted values.

use std::collections::BTreeSet;

use crate::diag::{Collector, Location};
use crate::model::{MAX_MATRIX_VARIABLES, MAX_MATRIX_VARIANTS};
use crate::yaml::{self, Node, Value};

/// A validated `matrix` mapping: its variables in file order.
#[derive(Debug)]
pub(crate) struct Matrix {
    vars: Vec<Variable>,
}

#[derive(Debug)]
struct Variable {
    name: String,
    /// Where the variable's key is written (unused-variable errors point here).
    loc: Location,
    values: Vec<Node>,
}

/// One combination of values: the index of the chosen value of each variable, in file order.
pub(crate) type Choice = Vec<usize>;

/// Whether `name` is a valid matrix variable name (`[a-z_][a-z0-9_]*`).
pub(crate) fn is_valid_variable_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The text of a matrix value as ids and reports show it: strings as they are, numbers and
/// booleans as written in the file (so `4.0` stays `4.0`).
fn value_text(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => s.clone(),
        Value::Int(i) => node.text.clone().unwrap_or_else(|| i.to_string()),
        Value::Float(f) => node.text.clone().unwrap_or_else(|| f.to_string()),
        Value::Bool(b) => node.text.clone().unwrap_or_else(|| b.to_string()),
        _ => String::new(),
    }
}

/// Reads and validates `matrix:` (`key_loc` is where the `matrix` key is written).
pub(crate) fn read(c: &mut Collector<'_>, node: &Node, key_loc: Location) -> Option<Matrix> {
    let Value::Map(entries) = &node.value else {
        c.error(
            node.loc,
            format!(
                "`matrix` must be a mapping of variables to lists of values \
                 (`matrix: {{ ref: [speech/en-f1, speech/en-m1] }}`), found {}",
                node.value.kind()
            ),
        );
        return None;
    };
    if entries.is_empty() {
        c.error(
            node.loc,
            "`matrix` is empty: give at least one variable with a list of values",
        );
        return None;
    }
    let mut ok = true;
    let mut vars = Vec::new();
    for (i, (k, v)) in entries.iter().enumerate() {
        if i == MAX_MATRIX_VARIABLES {
            c.error(
                k.loc,
                format!(
                    "`matrix` has {} variables; at most {MAX_MATRIX_VARIABLES} are allowed",
                    entries.len()
                ),
            );
            return None;
        }
        let name = match (&k.value, &k.text) {
            (Value::Str(s), _) => s.clone(),
            (Value::Null | Value::Seq(_) | Value::Map(_), _) | (_, None) => {
                c.error(
                    k.loc,
                    format!(
                        "matrix variable names must be plain names, found {}",
                        k.value.kind()
                    ),
                );
                ok = false;
                continue;
            }
            (_, Some(t)) => t.clone(),
        };
        if !is_valid_variable_name(&name) {
            c.error(
                k.loc,
                format!(
                    "invalid matrix variable name `{name}`: use lower-case letters, digits and `_`, \
                     not starting with a digit"
                ),
            );
            ok = false;
            continue;
        }
        match read_values(c, &name, v) {
            Some(values) => vars.push(Variable {
                name,
                loc: k.loc,
                values,
            }),
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    let combinations = vars
        .iter()
        .try_fold(1usize, |n, v| n.checked_mul(v.values.len()))
        .unwrap_or(usize::MAX);
    if combinations > MAX_MATRIX_VARIANTS {
        c.error(
            key_loc,
            format!(
                "`matrix` gives {} combinations; at most {MAX_MATRIX_VARIANTS} are allowed",
                vars.iter()
                    .map(|v| v.values.len().to_string())
                    .collect::<Vec<_>>()
                    .join(" x ")
            ),
        );
        return None;
    }
    Some(Matrix { vars })
}

/// Reads the value list of variable `name`: a non-empty list of distinct scalars.
fn read_values(c: &mut Collector<'_>, name: &str, node: &Node) -> Option<Vec<Node>> {
    let Value::Seq(items) = &node.value else {
        c.error(
            node.loc,
            format!(
                "matrix variable `{name}` must be a list of values (`{name}: [x, y]`), found {}",
                node.value.kind()
            ),
        );
        return None;
    };
    if items.is_empty() {
        c.error(
            node.loc,
            format!("matrix variable `{name}` has no values: give it at least one"),
        );
        return None;
    }
    let mut ok = true;
    let mut seen = BTreeSet::new();
    for item in items {
        match &item.value {
            Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                let text = value_text(item);
                if !seen.insert(text.clone()) {
                    c.error(
                        item.loc,
                        format!("value `{text}` is listed twice in matrix variable `{name}`"),
                    );
                    ok = false;
                }
            }
            other => {
                c.error(
                    item.loc,
                    format!(
                        "values of matrix variable `{name}` must be strings, numbers or booleans, found {}",
                        other.kind()
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then(|| items.clone())
}

impl Matrix {
    /// Every combination, the first variable varying slowest.
    pub(crate) fn choices(&self) -> Vec<Choice> {
        let mut out = Vec::new();
        let mut choice = vec![0; self.vars.len()];
        loop {
            out.push(choice.clone());
            // Odometer: advance the last variable, carrying into the ones before it.
            let mut i = self.vars.len();
            loop {
                if i == 0 {
                    return out;
                }
                i -= 1;
                choice[i] += 1;
                if choice[i] < self.vars[i].values.len() {
                    break;
                }
                choice[i] = 0;
            }
        }
    }

    /// The (variable, value as text) pairs of a combination, in file order.
    pub(crate) fn values(&self, choice: &[usize]) -> Vec<(String, String)> {
        self.vars
            .iter()
            .zip(choice)
            .map(|(v, &i)| (v.name.clone(), value_text(&v.values[i])))
            .collect()
    }

    fn names(&self) -> Vec<&str> {
        self.vars.iter().map(|v| v.name.as_str()).collect()
    }

    fn index_of(&self, name: &str) -> Option<usize> {
        self.vars.iter().position(|v| v.name == name)
    }
}

/// A piece of a string scalar: literal text or a `${name}` reference.
#[derive(Debug, PartialEq)]
enum Piece<'s> {
    Text(&'s str),
    Var(&'s str),
}

/// Splits a string into literal text and `${name}` references (`$$` is a literal `$`; a `$`
/// before anything else stays as it is). `Err` holds the byte offset of an unclosed `${`.
fn pieces(s: &str) -> Result<Vec<Piece<'_>>, usize> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        if i > 0 {
            out.push(Piece::Text(&rest[..i]));
        }
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push(Piece::Text("$"));
            rest = r;
        } else if let Some(r) = after.strip_prefix('{') {
            let end = r.find('}').ok_or(s.len() - rest.len() + i)?;
            out.push(Piece::Var(&r[..end]));
            rest = &r[end + 1..];
        } else {
            out.push(Piece::Text("$"));
            rest = after;
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// Calls `f` on every string scalar that is a value (not a mapping key) in `node`.
fn for_each_string<'n>(node: &'n Node, f: &mut dyn FnMut(&'n Node, &'n str)) {
    match &node.value {
        Value::Str(s) => f(node, s),
        Value::Seq(items) => items.iter().for_each(|i| for_each_string(i, f)),
        Value::Map(entries) => entries.iter().for_each(|(_, v)| for_each_string(v, f)),
        _ => {}
    }
}

/// Checks every `${name}` in `steps`: each must name a variable, and each variable must be
/// used somewhere (an unused one is most likely a typo). Returns whether all is well.
pub(crate) fn check_references(
    c: &mut Collector<'_>,
    steps: &Node,
    network: Option<&Node>,
    matrix: &Matrix,
) -> bool {
    let mut used = vec![false; matrix.vars.len()];
    let mut ok = true;
    let mut unclosed = false;
    let names = matrix.names();
    let list = names.join(", ");
    let mut check = |node: &Node, s: &str| match pieces(s) {
        Err(_) => {
            c.error(
                node.loc,
                format!(
                    "`${{` without a closing `}}` in `{s}` (write `${{name}}` for a matrix value, \
                     `$$` for a literal `$`)"
                ),
            );
            ok = false;
            unclosed = true;
        }
        Ok(pieces) => {
            for p in pieces {
                let Piece::Var(name) = p else { continue };
                match matrix.index_of(name) {
                    Some(i) => used[i] = true,
                    None => {
                        let mut msg = format!("`${{{name}}}` names no matrix variable");
                        if let Some(s) = yaml::suggest(name, &names) {
                            msg.push_str(&format!("; did you mean `${{{s}}}`?"));
                        }
                        msg.push_str(&format!(
                            " (matrix variables: {list}; `$$` is a literal `$`)"
                        ));
                        c.error(node.loc, msg);
                        ok = false;
                    }
                }
            }
        }
    };
    for_each_string(steps, &mut check);
    if let Some(network) = network {
        for_each_string(network, &mut check);
    }
    // An unclosed `${` may be the very use of a variable: report that alone.
    for (v, used) in matrix.vars.iter().zip(used) {
        if !used && !unclosed {
            c.error(
                v.loc,
                format!(
                    "matrix variable `{0}` is not used by any step or `network` (write `${{{0}}}` where its \
                     value goes, or remove it)",
                    v.name
                ),
            );
            ok = false;
        }
    }
    ok
}

/// Where a substituted value landed, and which `name=value` pairs went into it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Origin {
    /// The location of the `${...}` scalar.
    pub(crate) loc: Location,
    /// `ref=speech/en-f1` (several joined by `, ` when a string used several variables).
    pub(crate) values: String,
}

/// The steps tree of one combination, with the origins of the substituted scalars. A scalar
/// that is exactly `${name}` takes the value with its YAML type; a `${name}` inside a longer
/// string is replaced by the value's text. Call [`check_references`] first: a reference to
/// no variable is left as it is written.
pub(crate) fn substitute(steps: &Node, matrix: &Matrix, choice: &[usize]) -> (Node, Vec<Origin>) {
    let mut origins = Vec::new();
    let tree = substitute_node(steps, matrix, choice, &mut origins);
    (tree, origins)
}

fn substitute_node(node: &Node, m: &Matrix, choice: &[usize], origins: &mut Vec<Origin>) -> Node {
    let value = match &node.value {
        Value::Str(s) => return substitute_string(node, s, m, choice, origins),
        Value::Seq(items) => Value::Seq(
            items
                .iter()
                .map(|i| substitute_node(i, m, choice, origins))
                .collect(),
        ),
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), substitute_node(v, m, choice, origins)))
                .collect(),
        ),
        _ => return node.clone(),
    };
    Node {
        value,
        loc: node.loc,
        text: node.text.clone(),
    }
}

fn substitute_string(
    node: &Node,
    s: &str,
    m: &Matrix,
    choice: &[usize],
    origins: &mut Vec<Origin>,
) -> Node {
    let Ok(pieces) = pieces(s) else {
        return node.clone();
    };
    if !s.contains('$') {
        return node.clone();
    }
    let chosen = |name: &str| {
        m.index_of(name)
            .map(|i| (&m.vars[i].name, &m.vars[i].values[choice[i]]))
    };
    if let [Piece::Var(name)] = pieces.as_slice()
        && let Some((var, value)) = chosen(name)
    {
        origins.push(Origin {
            loc: node.loc,
            values: format!("{var}={}", value_text(value)),
        });
        return Node {
            value: value.value.clone(),
            loc: node.loc,
            text: value.text.clone(),
        };
    }
    let mut out = String::new();
    let mut used: Vec<String> = Vec::new();
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(name) => match chosen(name) {
                Some((var, value)) => {
                    let text = value_text(value);
                    out.push_str(&text);
                    let pair = format!("{var}={text}");
                    if !used.contains(&pair) {
                        used.push(pair);
                    }
                }
                None => out.push_str(&format!("${{{name}}}")),
            },
        }
    }
    if !used.is_empty() {
        origins.push(Origin {
            loc: node.loc,
            values: used.join(", "),
        });
    }
    Node {
        value: Value::Str(out),
        loc: node.loc,
        text: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_names() {
        for ok in ["ref", "_x", "min_mos", "a1"] {
            assert!(is_valid_variable_name(ok), "{ok}");
        }
        for bad in ["", "1a", "Ref", "a-b", "a b", "é"] {
            assert!(!is_valid_variable_name(bad), "{bad}");
        }
    }

    #[test]
    fn pieces_split_references_and_dollars() {
        use Piece::*;
        assert_eq!(pieces("${ref}"), Ok(vec![Var("ref")]));
        assert_eq!(
            pieces("a ${x}-${y}!"),
            Ok(vec![Text("a "), Var("x"), Text("-"), Var("y"), Text("!")])
        );
        assert_eq!(pieces("$${x}"), Ok(vec![Text("$"), Text("{x}")]));
        assert_eq!(
            pieces("5$ $"),
            Ok(vec![Text("5"), Text("$"), Text(" "), Text("$")])
        );
        assert_eq!(pieces("ab ${x"), Err(3));
        assert_eq!(pieces(""), Ok(vec![]));
    }
}
