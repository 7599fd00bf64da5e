//! Text helpers shared by the writers: XML-safe text and HTML escaping.

/// Replaces every character that XML 1.0 does not allow (NUL and the other C0 controls
/// except tab, newline and carriage return, U+FFFE and U+FFFF) and every C1 control
/// (U+007F to U+009F, which XML 1.0 discourages) with U+FFFD; `\r\n` and lone `\r` become `\n`.
pub fn xml_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\t' | '\n' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}' => {
                out.push('\u{fffd}')
            }
            _ => out.push(c),
        }
    }
    out
}

/// Escapes text for HTML element content and double- or single-quoted attribute values, after
/// making it [`xml_safe`].
pub(crate) fn html_escape(s: &str) -> String {
    let safe = xml_safe(s);
    let mut out = String::with_capacity(safe.len() + 16);
    for c in safe.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_safe_replaces_invalid_characters() {
        assert_eq!(xml_safe("a\u{0}b\u{1b}[31mc"), "a\u{fffd}b\u{fffd}[31mc");
        assert_eq!(xml_safe("x\r\ny\rz\t\n"), "x\ny\nz\t\n");
        assert_eq!(xml_safe("\u{9b}\u{ffff}😀"), "\u{fffd}\u{fffd}😀");
    }

    #[test]
    fn html_escape_escapes_markup() {
        assert_eq!(
            html_escape("<script>alert('x&\"y')</script>"),
            "&lt;script&gt;alert(&#39;x&amp;&quot;y&#39;)&lt;/script&gt;"
        );
    }
}
