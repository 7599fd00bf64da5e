//! Lenient number decoding: `results.json` writes non-finite values as `null`.

use serde::{Deserialize, Deserializer};

/// Decodes an `f64` that may be `null` (how serde_json writes NaN and infinities) as NaN.
pub(crate) fn f64_or_nan<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}

/// Puts every array of plain numbers of pretty-printed JSON on one line (`[0.0, 0.032, 4.1]`),
/// so tracks of thousands of points stay a line per point. Strings are left alone: an array
/// is only joined when it spans lines, and a JSON string never holds a raw line break.
pub(crate) fn join_number_arrays(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut rest = json;
    while let Some(open) = rest.find("[\n") {
        // Copy up to the bracket, skipping over strings that may contain "[".
        let (before, from) = rest.split_at(open);
        out.push_str(before);
        match number_array(from) {
            Some((joined, used)) => {
                out.push_str(&joined);
                rest = &from[used..];
            }
            None => {
                out.push('[');
                rest = &from[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// When `text` starts with a multi-line array of numbers (or nulls): the array on one line
/// and how many bytes of `text` it took.
fn number_array(text: &str) -> Option<(String, usize)> {
    let close = text.find(']')?;
    let inner = &text[1..close];
    let items: Vec<&str> = inner.split(',').map(str::trim).collect();
    let plain = |item: &&str| {
        *item == "null"
            || (!item.is_empty()
                && item
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')))
    };
    items
        .iter()
        .all(plain)
        .then(|| (format!("[{}]", items.join(", ")), close + 1))
}

#[cfg(test)]
mod tests {
    use super::join_number_arrays;

    #[test]
    fn number_arrays_join_and_everything_else_stays() {
        let value = serde_json::json!({
            "points": [[0.0, 0.032, 4.1], [0.016, 0.048, null]],
            "names": ["a", "[\n1\n]"],
            "empty": [],
            "mixed": [1, "x"],
        });
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        let joined = join_number_arrays(&pretty);
        assert!(joined.contains("[0.0, 0.032, 4.1]"), "{joined}");
        assert!(joined.contains("[0.016, 0.048, null]"), "{joined}");
        let back: serde_json::Value = serde_json::from_str(&joined).unwrap();
        assert_eq!(back, value);
        assert!(joined.lines().count() < pretty.lines().count());
    }
}
