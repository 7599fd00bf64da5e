//! Redaction of phone numbers, subscriber identities (IMEI, IMSI, ICCID) and device serials:
//! the one rule every file a run writes follows.

use crate::model::{CaseReport, Verdict};

/// Fewest digits after a `+` for the text to count as an international phone number.
const MIN_INTERNATIONAL_DIGITS: usize = 7;
/// Most digits of an international phone number (E.164).
const MAX_INTERNATIONAL_DIGITS: usize = 15;
/// Fewest digits of a subscriber or equipment identity (IMEI 14-15, IMSI up to 15).
const MIN_IDENTITY_DIGITS: usize = 14;
/// Most digits of a subscriber identity (ICCID up to 20).
const MAX_IDENTITY_DIGITS: usize = 20;
/// Fewest digits after `tel:` for the text to count as a phone number.
const MIN_TEL_DIGITS: usize = 5;

/// Redacts a phone number: every character but the last 4 digits becomes `*`.
///
/// `+421900000001` becomes `*********0001`; a number with 4 digits or fewer is returned as is.
pub fn redact_number(number: &str) -> String {
    let digits = number.chars().filter(char::is_ascii_digit).count();
    if digits <= 4 {
        return number.to_string();
    }
    let mut to_hide = digits - 4;
    number
        .chars()
        .map(|c| {
            if c.is_ascii_digit() && to_hide == 0 {
                c
            } else {
                if c.is_ascii_digit() {
                    to_hide -= 1;
                }
                '*'
            }
        })
        .collect()
}

/// Redacts free text with [`redact_number`]'s rule: the numbers it is told about (with and
/// without their leading `+`), and anything that looks like a number or an identity on its
/// own — `+` and 7 to 15 digits, `tel:` and 5 digits or more, runs of 14 to 20 digits
/// (IMEI, IMSI, ICCID).
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Known numbers, longest first so a number is never half-replaced by one it contains.
    numbers: Vec<String>,
    /// Known device serials with their aliases, longest first.
    serials: Vec<(String, String)>,
}

/// A device serial's stable alias: `serial-` and 8 hex digits of its FNV-1a hash, the same
/// for the same serial in every run, so reports can follow a phone without naming it.
pub fn serial_alias(serial: &str) -> String {
    use std::hash::Hasher;
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(serial.as_bytes());
    format!("serial-{:08x}", hasher.finish() as u32)
}

impl Redactor {
    /// A redactor that also knows these numbers (those of 4 digits or fewer are left alone).
    pub fn new<S: AsRef<str>>(numbers: impl IntoIterator<Item = S>) -> Redactor {
        let mut known: Vec<String> = Vec::new();
        for n in numbers {
            let n = n.as_ref();
            known.push(n.to_string());
            if let Some(bare) = n.strip_prefix('+') {
                known.push(bare.to_string());
            }
        }
        known.retain(|n| n.chars().filter(char::is_ascii_digit).count() > 4);
        known.sort_by_key(|n| std::cmp::Reverse(n.len()));
        known.dedup();
        Redactor {
            numbers: known,
            serials: Vec::new(),
        }
    }

    /// The same redactor, also replacing these device serials by their [`serial_alias`].
    pub fn with_serials<S: AsRef<str>>(mut self, serials: impl IntoIterator<Item = S>) -> Redactor {
        self.serials = serials
            .into_iter()
            .map(|s| s.as_ref().to_string())
            .filter(|s| !s.is_empty())
            .map(|s| {
                let alias = serial_alias(&s);
                (s, alias)
            })
            .collect();
        self.serials
            .sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
        self
    }

    /// `text` with every number and identity in it redacted.
    pub fn text(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (serial, alias) in &self.serials {
            if text.contains(serial.as_str()) {
                text = text.replace(serial.as_str(), alias);
            }
        }
        for n in &self.numbers {
            if text.contains(n.as_str()) {
                text = text.replace(n.as_str(), &redact_number(n));
            }
        }
        redact_patterns(&text)
    }

    /// Redacts every free text of a case report: step descriptions and messages, the verdict
    /// and its failures, call events, checks and party numbers.
    pub fn case(&self, case: &mut CaseReport) {
        let red = |s: &mut String| *s = self.text(s);
        for step in &mut case.steps {
            red(&mut step.description);
            step.message.as_mut().map(red);
        }
        match &mut case.verdict {
            Verdict::Pass => {}
            Verdict::Failure {
                message, failures, ..
            } => {
                red(message);
                failures.iter_mut().for_each(|f| red(&mut f.message));
            }
            Verdict::Error { message, .. } => red(message),
            Verdict::Skipped { reason } => red(reason),
        }
        case.events.iter_mut().for_each(|e| red(&mut e.event));
        for check in &mut case.checks {
            red(&mut check.expected);
            red(&mut check.actual);
        }
        case.parties.iter_mut().for_each(|p| red(&mut p.number));
    }
}

/// `text` with numbers and identities found by their shape redacted.
fn redact_patterns(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((start, end)) = next_sensitive(rest) {
        out.push_str(&rest[..start]);
        out.push_str(&redact_number(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The byte range of the first number or identity in `text`, by shape.
fn next_sensitive(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let digits = i - start;
        let before = &text[..start];
        if before.ends_with('+')
            && (MIN_INTERNATIONAL_DIGITS..=MAX_INTERNATIONAL_DIGITS).contains(&digits)
        {
            return Some((start - 1, i));
        }
        if (MIN_IDENTITY_DIGITS..=MAX_IDENTITY_DIGITS).contains(&digits)
            || (digits >= MIN_TEL_DIGITS && before.ends_with("tel:"))
        {
            return Some((start, i));
        }
    }
    None
}

/// Most bytes one zip entry may unpack to before it is left out (256 MiB): a bug report's
/// text files are far smaller, and a bound keeps a hostile zip from filling memory.
const MAX_ZIP_ENTRY: u64 = 256 << 20;

/// Why a zip could not be redacted.
#[derive(Debug, thiserror::Error)]
pub enum ZipRedactError {
    /// The bytes are not a zip that can be read.
    #[error("not a readable zip: {0}")]
    Read(#[source] zip::result::ZipError),
    /// The redacted zip could not be written.
    #[error("cannot write the redacted zip: {0}")]
    Write(#[source] zip::result::ZipError),
}

/// A zip (a handset's bug report) with every UTF-8 text entry, and every entry name, redacted
/// by `redactor`; entries that are not text (screenshots, binary dumps) or unpack to more than
/// 256 MiB are left out, since what they hold cannot be checked. A last entry,
/// `farend-redaction.txt`, says what was done and names what was left out.
pub fn redact_zip(bytes: &[u8], redactor: &Redactor) -> Result<Vec<u8>, ZipRedactError> {
    use std::io::{Cursor, Read, Write};
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(ZipRedactError::Read)?;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut left_out = Vec::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(ZipRedactError::Read)?;
        let name = redactor.text(&entry.name().map_err(ZipRedactError::Read)?);
        if entry.is_dir() {
            continue;
        }
        let mut data = Vec::new();
        let read = (&mut entry).take(MAX_ZIP_ENTRY + 1).read_to_end(&mut data);
        let text = match (read, String::from_utf8(data)) {
            (Ok(n), Ok(text)) if (n as u64) <= MAX_ZIP_ENTRY => text,
            _ => {
                left_out.push(name);
                continue;
            }
        };
        out.start_file(name, options)
            .map_err(ZipRedactError::Write)?;
        out.write_all(redactor.text(&text).as_bytes())
            .map_err(|e| ZipRedactError::Write(e.into()))?;
    }
    out.start_file("farend-redaction.txt", options)
        .map_err(ZipRedactError::Write)?;
    let mut note = String::from(
        "farend redacted phone numbers, IMEI, IMSI, ICCID and device serials in every text \
         entry and entry name of this bug report (run with --no-redact to keep it as the \
         handset gave it).\n",
    );
    if left_out.is_empty() {
        note.push_str("No entry was left out.\n");
    } else {
        note.push_str("Left out (not text, or too large to check):\n");
        for name in &left_out {
            note.push_str(&format!("  {name}\n"));
        }
    }
    out.write_all(note.as_bytes())
        .map_err(|e| ZipRedactError::Write(e.into()))?;
    let cursor = out.finish().map_err(ZipRedactError::Write)?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CallEvent, StepOutcome, StepReport};

    #[test]
    fn redacts_all_but_last_four_digits() {
        assert_eq!(redact_number("+421900000001"), "*********0001");
        assert_eq!(redact_number("0900 123 456"), "*******3*456");
        assert_eq!(redact_number("1234"), "1234");
        assert_eq!(redact_number("112"), "112");
        assert_eq!(redact_number(""), "");
        assert_eq!(redact_number("*31#0900123456"), "**********3456");
    }

    #[test]
    fn known_numbers_are_redacted_with_and_without_their_plus() {
        let r = Redactor::new(["+421900000002", "112"]);
        let text = "tel:+421900000002 ; ringing 421900000002 ; dial 112";
        assert_eq!(
            r.text(text),
            "tel:*********0002 ; ringing ********0002 ; dial 112"
        );
    }

    #[test]
    fn numbers_and_identities_are_found_by_their_shape() {
        let r = Redactor::default();
        assert_eq!(r.text("dial a → +421900000123"), "dial a → *********0123");
        assert_eq!(
            r.text("am start -d tel:0900123456"),
            "am start -d tel:******3456"
        );
        assert_eq!(r.text("imei=356938035643809"), "imei=***********3809");
        assert_eq!(
            r.text("iccid 8942101234567890123"),
            "iccid ***************0123"
        );
        // Times, counts and short codes stay as they are.
        let plain = "12-04 22:03:07.123 delay 1733349787 ms, step 5, +12 dB, *#06#, rc=0";
        assert_eq!(r.text(plain), plain);
        // Redacting twice changes nothing more.
        assert_eq!(r.text(&r.text("+421900000123")), "*********0123");
    }

    #[test]
    fn every_free_text_of_a_case_is_redacted() {
        let mut case = CaseReport {
            steps: vec![StepReport {
                index: 1,
                name: None,
                keyword: "dial".into(),
                description: "a dials +421900000123".into(),
                started_ms: 0.0,
                duration_ms: 0.0,
                outcome: StepOutcome::Error,
                message: Some("vh-1: `am start -d tel:+421900000123` failed".into()),
            }],
            network: None,
            verdict: Verdict::Error {
                kind: crate::ErrorKind::DeviceCommandFailed,
                message: "cannot dial +421900000123".into(),
                device: Some("vh-1".into()),
            },
            events: vec![CallEvent {
                at_ms: 0.0,
                party: "a".into(),
                event: "dial +421900000123".into(),
                source: crate::EventSource::Step,
            }],
            id: "s/dial-literal".into(),
            suite: "s".into(),
            scenario: "dial-literal".into(),
            scenario_file: "s/dial-literal.yaml".into(),
            iteration: 1,
            iterations: 1,
            matrix: Vec::new(),
            started_at: String::new(),
            duration_s: 0.0,
            parties: Vec::new(),
            measurements: Vec::new(),
            tracks: Vec::new(),
            checks: Vec::new(),
            attachments: Vec::new(),
            timing: Default::default(),
        };
        Redactor::default().case(&mut case);
        let json = serde_json::to_string(&case).unwrap();
        assert!(!json.contains("900000123"), "{json}");
        assert!(json.contains("vh-1"), "{json}");
    }

    #[test]
    fn serials_become_the_same_alias_every_time() {
        let r = Redactor::new(["+421900000001"]).with_serials(["2A111FDH6004XY", "127.0.0.1:7001"]);
        let alias = serial_alias("2A111FDH6004XY");
        assert_eq!(alias, serial_alias("2A111FDH6004XY"));
        assert_ne!(alias, serial_alias("127.0.0.1:7001"));
        assert!(alias.starts_with("serial-") && alias.len() == 15, "{alias}");
        let text = r.text("adb -s 2A111FDH6004XY at 127.0.0.1:7001 dials +421900000001");
        assert_eq!(
            text,
            format!(
                "adb -s {alias} at {} dials *********0001",
                serial_alias("127.0.0.1:7001")
            )
        );
    }
    #[test]
    fn a_zipped_bug_report_keeps_its_text_redacted_and_leaves_out_what_cannot_be_read() {
        use std::io::{Cursor, Read, Write};
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        writer
            .start_file("bugreport-+421900000001-2026.txt", options)
            .unwrap();
        writer
            .write_all(b"IMEI: 356938035643809\nline 1 +421900000001 calls\n")
            .unwrap();
        writer.start_file("FS/screenshot.png", options).unwrap();
        writer
            .write_all(&[0x89, b'P', b'N', b'G', 0xff, 0xfe])
            .unwrap();
        let zip = writer.finish().unwrap().into_inner();

        let redacted = redact_zip(&zip, &Redactor::new(["+421900000001"])).unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(redacted)).unwrap();
        let mut names: Vec<String> = archive
            .file_names()
            .map(|n| n.unwrap().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["bugreport-*********0001-2026.txt", "farend-redaction.txt"]
        );
        let mut text = String::new();
        archive
            .by_name("bugreport-*********0001-2026.txt")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert!(
            !text.contains("356938035643809") && !text.contains("900000001"),
            "{text}"
        );
        assert!(
            text.contains("line 1") && text.contains("0001 calls"),
            "{text}"
        );
        let mut note = String::new();
        archive
            .by_name("farend-redaction.txt")
            .unwrap()
            .read_to_string(&mut note)
            .unwrap();
        assert!(note.contains("FS/screenshot.png"), "{note}");
        assert!(matches!(
            redact_zip(b"not a zip", &Redactor::new(["+421900000001"])),
            Err(ZipRedactError::Read(_))
        ));
    }
}
