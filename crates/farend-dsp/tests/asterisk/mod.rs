//! Where the test speech from Debian's asterisk-core-sounds-*-wav packages lives.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Where Debian's asterisk-core-sounds packages put their prompts.
const SOUNDS: &str = "/usr/share/asterisk/sounds";

/// The prompt folder of one language (`en`, `fr`, ...): the packages named it after the
/// language alone (`fr`) in older releases and after language, region and voice
/// (`fr_CA_f_June`) in newer ones. `None` when neither is installed.
pub fn language_dir(language: &str) -> Option<PathBuf> {
    let plain = Path::new(SOUNDS).join(language);
    if plain.is_dir() {
        return Some(plain);
    }
    let prefix = format!("{language}_");
    let mut voiced: Vec<PathBuf> = std::fs::read_dir(SOUNDS)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    voiced.sort();
    voiced.into_iter().next()
}

/// The English prompt folder (the one holding `digits/`), or the old default path.
pub fn asterisk_dir() -> String {
    language_dir("en")
        .filter(|d| d.join("digits").is_dir())
        .unwrap_or_else(|| Path::new(SOUNDS).join("en"))
        .to_string_lossy()
        .into_owned()
}
