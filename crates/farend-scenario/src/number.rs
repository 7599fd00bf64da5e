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
