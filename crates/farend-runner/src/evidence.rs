//! Where a case keeps its evidence: recordings, references and logs under the run folder.

use farend_audio::Pcm;
use farend_report::Attachment;
use std::path::{Path, PathBuf};

/// A case's evidence folder, `cases/<case>/` inside the run folder, and what was put in it.
#[derive(Debug)]
pub struct Evidence {
    run_dir: PathBuf,
    rel_dir: String,
    /// Every file written so far, relative to the run folder.
    pub attachments: Vec<Attachment>,
}

/// Longest folder name kept whole; longer ones are cut and hashed (file systems allow 255 bytes).
const MAX_FOLDER_NAME: usize = 120;

/// Turns a case id into a folder name: a single path component that is safe on every file
/// system. Letters, digits, `.`, `_` and `-` stay, `#` becomes `-`, anything else `_`. When
/// anything else was replaced (a matrix id such as `speech[ref=speech/en-f1]#1`) or the name
/// is long, `-` and a hash of the whole id are appended, so distinct ids never share a folder.
pub fn folder_name(case_id: &str) -> String {
    let mut lossy = false;
    let mut name: String = case_id
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' => c,
            '#' => '-',
            _ => {
                lossy = true;
                '_'
            }
        })
        .collect();
    if lossy || name.len() > MAX_FOLDER_NAME {
        // The mapped name is ASCII, so any byte index is a character boundary.
        name.truncate(MAX_FOLDER_NAME - 9);
        name.push_str(&format!("-{:08x}", fnv1a(case_id) as u32));
    }
    name
}

/// FNV-1a: a small hash that is the same on every platform and run, as folder names must be.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Evidence {
    /// Creates `cases/<case>/` under `run_dir`.
    pub fn create(run_dir: &Path, case_id: &str) -> std::io::Result<Evidence> {
        let rel_dir = format!("cases/{}", folder_name(case_id));
        std::fs::create_dir_all(run_dir.join(&rel_dir))?;
        Ok(Evidence {
            run_dir: run_dir.to_path_buf(),
            rel_dir,
            attachments: Vec::new(),
        })
    }

    fn record(
        &mut self,
        kind: &str,
        file: &str,
        party: Option<&str>,
        step: Option<usize>,
    ) -> PathBuf {
        let rel = format!("{}/{}", self.rel_dir, file);
        self.attachments.push(Attachment {
            kind: kind.to_string(),
            path: rel.clone(),
            party: party.map(str::to_string),
            step,
        });
        self.run_dir.join(rel)
    }

    /// Saves a WAV (a reference as played, or a recording) of step `step` and lists it as an
    /// attachment.
    pub fn save_wav(
        &mut self,
        kind: &str,
        file: &str,
        party: Option<&str>,
        step: usize,
        pcm: &Pcm,
    ) -> Result<(), farend_audio::AudioError> {
        let path = self.record(kind, file, party, Some(step));
        farend_audio::write_wav(&path, pcm)
    }

    /// Saves a file made for the report (a play's picture) of step `step` and lists it as an
    /// attachment.
    pub fn save_bytes(
        &mut self,
        kind: &str,
        file: &str,
        party: Option<&str>,
        step: usize,
        bytes: &[u8],
    ) -> std::io::Result<()> {
        let path = self.record(kind, file, party, Some(step));
        std::fs::write(path, bytes)
    }

    /// Saves a file of the case as a whole (a handset's zipped bug report) and lists it as
    /// an attachment.
    pub fn save_file(
        &mut self,
        kind: &str,
        file: &str,
        party: Option<&str>,
        bytes: &[u8],
    ) -> std::io::Result<()> {
        let path = self.record(kind, file, party, None);
        std::fs::write(path, bytes)
    }

    /// Saves a text log (command log, logcat) and lists it as an attachment.
    pub fn save_text(
        &mut self,
        kind: &str,
        file: &str,
        party: Option<&str>,
        text: &str,
    ) -> std::io::Result<()> {
        self.save_file(kind, file, party, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_are_tame() {
        assert_eq!(folder_name("basic-call#2"), "basic-call-2");
        let hashed = |id: &str, readable: &str| {
            let name = folder_name(id);
            assert!(name.starts_with(&format!("{readable}-")), "{id} -> {name}");
            assert_eq!(name.len(), readable.len() + 9, "{id} -> {name}");
            name
        };
        hashed("../../etc/passwd", ".._.._etc_passwd");
        hashed("a b/c\u{0}", "a_b_c_");
        // Matrix ids: `/` makes no sub-folder, and ids that read alike stay apart.
        let a = hashed(
            "speech[ref=speech/en-f1,min_mos=3.5]#1",
            "speech_ref_speech_en-f1_min_mos_3.5_-1",
        );
        let b = hashed(
            "speech[ref=speech_en-f1,min_mos=3.5]#1",
            "speech_ref_speech_en-f1_min_mos_3.5_-1",
        );
        assert_ne!(a, b);
        assert_eq!(
            a,
            folder_name("speech[ref=speech/en-f1,min_mos=3.5]#1"),
            "stable"
        );
        let long = format!("s[v={}]#1", "x".repeat(400));
        let name = folder_name(&long);
        assert_eq!(name.len(), MAX_FOLDER_NAME);
        assert_ne!(name, folder_name(&format!("s[v={}]#2", "x".repeat(400))));
        assert!(folder_name(&"y".repeat(300)).len() <= MAX_FOLDER_NAME);
    }

    #[test]
    fn matrix_evidence_stays_in_one_folder() {
        let dir = tempfile::tempdir().unwrap();
        let mut ev = Evidence::create(dir.path(), "s[ref=speech/en-f1]#1").unwrap();
        ev.save_text("command-log", "commands-a.txt", None, "x")
            .unwrap();
        let folders: Vec<_> = std::fs::read_dir(dir.path().join("cases"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(folders.len(), 1);
        assert!(folders[0].join("commands-a.txt").is_file());
    }

    #[test]
    fn attachments_are_relative_to_the_run_folder() {
        let dir = tempfile::tempdir().unwrap();
        let mut ev = Evidence::create(dir.path(), "x#1").unwrap();
        ev.save_text("command-log", "commands-a.txt", Some("a"), "hello")
            .unwrap();
        assert_eq!(ev.attachments[0].path, "cases/x-1/commands-a.txt");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("cases/x-1/commands-a.txt")).unwrap(),
            "hello"
        );
    }
}
