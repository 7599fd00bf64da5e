//! Rewriting a handset's sound card latencies in a lab file's text, leaving everything else
//! (comments, layout, other handsets) as it was: what `farend calibrate` writes.

use crate::diag::LoadError;
use crate::lab::parse_lab;
use crate::model::Lab;

/// Why the latencies could not be written.
#[derive(Debug, thiserror::Error)]
pub enum LabEditError {
    /// The lab file has no handset of that id.
    #[error("the lab file has no handset `{0}`")]
    NoHandset(String),
    /// The `audio:` mapping is written in a form this editor does not rewrite.
    #[error("cannot rewrite handset `{id}`'s `audio:` at line {line}: {detail}")]
    Layout {
        /// The handset id.
        id: String,
        /// The line of its `audio:` value.
        line: usize,
        /// What is in the way.
        detail: String,
    },
    /// The rewritten text did not read back with the new values.
    #[error("the rewritten lab file does not read back: {0}")]
    ReadBack(#[source] LoadError),
}

/// `text` (the lab file `lab` was read from) with handset `id`'s `mic_delay_ms` and
/// `ear_delay_ms` set, replacing any already written. Flow mappings (`audio: { mic: …, ear:
/// … }`) get the keys appended inside the braces; block mappings get two lines at the keys'
/// indentation. The result is read back and checked before it is returned.
pub fn with_handset_latencies(
    text: &str,
    lab: &Lab,
    id: &str,
    mic_ms: f64,
    ear_ms: f64,
) -> Result<String, LabEditError> {
    let (mic_ms, ear_ms) = (hundredths(mic_ms), hundredths(ear_ms));
    let handset = lab
        .handsets
        .iter()
        .find(|h| h.id == id)
        .ok_or_else(|| LabEditError::NoHandset(id.to_string()))?;
    let at = handset.audio_location;
    let layout = |detail: &str| LabEditError::Layout {
        id: id.to_string(),
        line: at.line,
        detail: detail.to_string(),
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let line = lines
        .get(at.line - 1)
        .ok_or_else(|| layout("the line is not in the file"))?;
    let start: usize = line
        .char_indices()
        .nth(at.column - 1)
        .map(|(i, _)| i)
        .ok_or_else(|| layout("the column is not on the line"))?;
    let entries = format!(
        "mic_delay_ms: {}, ear_delay_ms: {}",
        number(mic_ms),
        number(ear_ms)
    );
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_string()).collect();
    if line[start..].starts_with('{') {
        let close = matching_brace(&line[start..])
            .ok_or_else(|| layout("its `{ … }` does not close on the same line"))?;
        let inner = &line[start + 1..start + close];
        let mut items: Vec<String> = split_top_level(inner)
            .into_iter()
            .map(str::trim)
            .filter(|item| {
                !item.is_empty()
                    && !item.starts_with("mic_delay_ms")
                    && !item.starts_with("ear_delay_ms")
            })
            .map(str::to_string)
            .collect();
        items.push(entries);
        out[at.line - 1] = format!(
            "{}{{ {} }}{}",
            &line[..start],
            items.join(", "),
            &line[start + close + 1..]
        );
    } else {
        // A block mapping: the keys start at `at.column`; the block ends at the first line
        // indented less (blank and comment lines inside are kept).
        let indent = at.column - 1;
        let is_key_line = |l: &str| {
            let trimmed = l.trim_start();
            !trimmed.is_empty() && !trimmed.starts_with('#')
        };
        // The block's last line is its last key line: comments after it belong to what follows.
        let mut end = at.line - 1;
        for (i, l) in lines.iter().enumerate().skip(at.line - 1) {
            let leading = l.len() - l.trim_start().len();
            if is_key_line(l) {
                if leading < indent {
                    break;
                }
                end = i;
            }
        }
        let mut kept = Vec::new();
        for l in &lines[at.line - 1..=end] {
            let leading = l.len() - l.trim_start().len();
            let trimmed = l.trim_start();
            let ours = leading == indent
                && (trimmed.starts_with("mic_delay_ms:") || trimmed.starts_with("ear_delay_ms:"));
            if !ours {
                kept.push((*l).to_string());
            }
        }
        let pad = " ".repeat(indent);
        let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
        if kept.last().is_some_and(|l| !l.ends_with('\n')) {
            kept.last_mut().expect("a last line").push_str(newline);
        }
        kept.push(format!("{pad}mic_delay_ms: {}{newline}", number(mic_ms)));
        kept.push(format!("{pad}ear_delay_ms: {}{newline}", number(ear_ms)));
        out.splice(at.line - 1..=end, kept);
    }
    let edited = out.concat();
    let back = parse_lab(&edited, &lab.path).map_err(LabEditError::ReadBack)?;
    let wanted = |ms: f64| std::time::Duration::from_secs_f64(ms / 1000.0);
    let ok = back.handsets.iter().any(|h| {
        h.id == id
            && h.mic_delay.abs_diff(wanted(mic_ms)) < std::time::Duration::from_micros(1)
            && h.ear_delay.abs_diff(wanted(ear_ms)) < std::time::Duration::from_micros(1)
    });
    if !ok {
        return Err(layout("the values did not read back"));
    }
    Ok(edited)
}

/// A latency to a hundredth of a millisecond, as it is written.
fn hundredths(ms: f64) -> f64 {
    (ms * 100.0).round() / 100.0
}

fn number(ms: f64) -> String {
    format!("{ms}")
}

/// The byte offset of the `}` that closes the `{` at the start of `text`, skipping quoted
/// strings and nested brackets.
fn matching_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '{' | '[') => depth += 1,
            (None, '}' | ']') => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            (None, '#') if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

/// Splits a flow mapping's inside at its top-level commas.
fn split_top_level(inner: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut from) = (0usize, None::<char>, 0);
    for (i, c) in inner.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '{' | '[') => depth += 1,
            (None, '}' | ']') => depth = depth.saturating_sub(1),
            (None, ',') if depth == 0 => {
                parts.push(&inner[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[from..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const FLOW: &str = "\
# the bench
handsets:
  - id: a   # left phone
    serial: S1
    number: \"+421900000001\"
    audio: { mic: \"pulseaudio:a_mic\", ear: \"pulseaudio:a_ear.monitor\", mic_delay_ms: 3 }  # cable 1
  - id: b
    serial: S2
    number: \"+421900000002\"
    audio:
      mic: \"alsa:hw:1,0\"
      # the USB card
      ear: \"alsa:hw:2,0\"
      ear_delay_ms: 9
    # end of b
";

    fn lab(text: &str) -> Lab {
        parse_lab(text, Path::new("lab.yaml")).expect("valid lab")
    }

    #[test]
    fn a_flow_mapping_gets_the_latencies_inside_its_braces() {
        let edited = with_handset_latencies(FLOW, &lab(FLOW), "a", 4.256, 5.5).unwrap();
        assert!(edited.contains(
            "    audio: { mic: \"pulseaudio:a_mic\", ear: \"pulseaudio:a_ear.monitor\", mic_delay_ms: 4.26, ear_delay_ms: 5.5 }  # cable 1\n"
        ), "{edited}");
        assert!(edited.starts_with("# the bench\n") && edited.contains("# left phone"));
        let back = lab(&edited);
        assert_eq!(back.handsets[0].mic_delay.as_micros(), 4260);
        assert_eq!(back.handsets[1].ear_delay.as_millis(), 9, "b is left alone");
    }

    #[test]
    fn a_block_mapping_gets_two_lines_at_its_indentation() {
        let edited = with_handset_latencies(FLOW, &lab(FLOW), "b", 1.0, 2.0).unwrap();
        assert!(edited.contains(
            "      ear: \"alsa:hw:2,0\"\n      mic_delay_ms: 1\n      ear_delay_ms: 2\n    # end of b\n"
        ), "{edited}");
        assert!(edited.contains("# the USB card") && !edited.contains("ear_delay_ms: 9"));
        let back = lab(&edited);
        assert_eq!(back.handsets[1].mic_delay.as_millis(), 1);
        assert_eq!(back.handsets[0].mic_delay.as_millis(), 3, "a is left alone");
    }

    #[test]
    fn an_unknown_handset_is_named() {
        let err = with_handset_latencies(FLOW, &lab(FLOW), "zz", 1.0, 1.0).unwrap_err();
        assert!(err.to_string().contains("no handset `zz`"), "{err}");
    }
}
