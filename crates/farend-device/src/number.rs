//! Dialable phone numbers.

use std::fmt;
use std::str::FromStr;

use crate::NumberError;

/// Longest dialable string accepted.
pub const MAX_NUMBER_LEN: usize = 32;

/// The rule a [`Number`] follows, for messages.
pub const DIALABLE_RULE: &str =
    "allowed: an optional leading `+`, then digits, `*` and `#`, at most 32 characters";

/// Whether `text` is a dialable [`Number`].
pub fn is_dialable(text: &str) -> bool {
    text.parse::<Number>().is_ok()
}

/// A dialable string: an optional leading `+`, then one or more of `0-9`, `*`, `#`; at most
/// 32 characters in all.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Number(String);

impl Number {
    /// The number as written (for example `+421900000001` or `*100#`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as a `tel:` URI for an Android intent: `#` is written `%23`, since Android
    /// reads a bare `#` as the start of a URI fragment and drops the rest.
    pub fn tel_uri(&self) -> String {
        format!("tel:{}", self.0.replace('#', "%23"))
    }
}

impl FromStr for Number {
    type Err = NumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let len = s.chars().count();
        if len > MAX_NUMBER_LEN {
            return Err(NumberError::TooLong { len });
        }
        for (position, ch) in s.chars().enumerate() {
            let ok = ch.is_ascii_digit() || ch == '*' || ch == '#' || (ch == '+' && position == 0);
            if !ok {
                return Err(NumberError::BadCharacter { ch, position });
            }
        }
        if s.strip_prefix('+').unwrap_or(s).is_empty() {
            return Err(NumberError::Empty);
        }
        Ok(Number(s.to_owned()))
    }
}

impl TryFrom<String> for Number {
    type Error = NumberError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Number> for String {
    fn from(n: Number) -> String {
        n.0
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Number {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialable_numbers() {
        for n in [
            "+421900000001",
            "0900123456",
            "112",
            "*#06#",
            "+1",
            "#31#0900",
            "1",
        ] {
            assert!(is_dialable(n), "{n}");
        }
        let longest = format!("+{}", "1".repeat(31));
        assert!(is_dialable(&longest));
    }

    #[test]
    fn not_dialable() {
        for n in [
            "",
            "+",
            "++421",
            "421+9",
            "0900 123",
            "+421-900",
            "abc",
            "+1-800-CALL",
            "１２３",
            "12\n",
        ] {
            assert!(!is_dialable(n), "{n:?}");
        }
        assert!(!is_dialable(&"1".repeat(33)));
        assert!(!is_dialable(&format!("+{}", "1".repeat(32))));
    }
}
