//! Dialable phone numbers.

/// The rule [`is_dialable`] applies, for messages.
pub const DIALABLE_RULE: &str =
    "allowed: an optional leading `+`, then digits, `*` and `#`, at most 32 characters";

/// Whether `number` can be dialled: optional leading `+`, then at least one of `0-9 * #`,
/// at most 32 characters in all.
pub fn is_dialable(number: &str) -> bool {
    let body = number.strip_prefix('+').unwrap_or(number);
    number.len() <= 32
        && !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
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
