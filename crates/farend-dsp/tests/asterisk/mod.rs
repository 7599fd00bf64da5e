//! Where the test speech from Debian's asterisk-core-sounds-en-wav lives.

/// Where Debian's asterisk-core-sounds-en-wav puts the English prompts (the folder moved
/// from `en` to `en_US_f_Allison` between releases).
pub fn asterisk_dir() -> &'static str {
    [
        "/usr/share/asterisk/sounds/en",
        "/usr/share/asterisk/sounds/en_US_f_Allison",
    ]
    .into_iter()
    .find(|d| std::path::Path::new(d).join("digits").is_dir())
    .unwrap_or("/usr/share/asterisk/sounds/en")
}
