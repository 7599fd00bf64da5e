//! POSIX shell quoting.

use std::borrow::Cow;

/// True for characters that need no quoting in a POSIX shell word.
fn is_safe(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '_' | '-' | '.' | '/' | ':' | '@' | '%' | '+' | '=' | ',')
}

/// Quotes `arg` so a POSIX shell reads it back as exactly one word with the same bytes.
///
/// Plain words (letters, digits and `_-./:@%+=,`) are returned unchanged; anything else is
/// wrapped in single quotes, with each `'` written as `'\''`. The empty string becomes `''`.
pub fn quote(arg: &str) -> Cow<'_, str> {
    if !arg.is_empty() && arg.chars().all(is_safe) {
        return Cow::Borrowed(arg);
    }
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('\'');
    for c in arg.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    Cow::Owned(out)
}

/// Joins `argv` into one shell command line, quoting every argument.
pub fn command_line(argv: &[&str]) -> String {
    argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
}
