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

/// Turns a case id into a folder name that is safe on every file system.
pub fn folder_name(case_id: &str) -> String {
    case_id
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' => c,
            '#' => '-',
            _ => '_',
        })
        .collect()
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

    fn record(&mut self, kind: &str, file: &str, party: Option<&str>) -> PathBuf {
        let rel = format!("{}/{}", self.rel_dir, file);
        self.attachments.push(Attachment {
            kind: kind.to_string(),
            path: rel.clone(),
            party: party.map(str::to_string),
        });
        self.run_dir.join(rel)
    }

    /// Saves a WAV (a reference as played, or a recording) and lists it as an attachment.
    pub fn save_wav(
        &mut self,
        kind: &str,
        file: &str,
        party: Option<&str>,
        pcm: &Pcm,
    ) -> Result<(), farend_audio::AudioError> {
        let path = self.record(kind, file, party);
        farend_audio::write_wav(&path, pcm)
    }

    /// Saves a text log (command log, logcat) and lists it as an attachment.
    pub fn save_text(
        &mut self,
        kind: &str,
        file: &str,
        party: Option<&str>,
        text: &str,
    ) -> std::io::Result<()> {
        let path = self.record(kind, file, party);
        std::fs::write(path, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_are_tame() {
        assert_eq!(folder_name("basic-call#2"), "basic-call-2");
        assert_eq!(folder_name("../../etc/passwd"), ".._.._etc_passwd");
        assert_eq!(folder_name("a b/c\u{0}"), "a_b_c_");
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
