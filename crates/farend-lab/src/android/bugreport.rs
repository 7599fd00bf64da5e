//! Bug reports as a handset makes them: `bugreportz` (Android 7 and later) writes a zip and
//! prints its path by the bugreportz protocol (`OK:PATH`; with `-p`, `BEGIN:PATH` and
//! `PROGRESS:N/TOTAL` lines first), the host reads the zip back with `cat` or `adb pull`
//! and removes it with `rm`; the plain-text `bugreport` is what releases before Android 7
//! print.

use std::io::Write;

use super::{AndroidHost, dumpsys, lock};
use crate::shell::Output;

/// The bugreportz protocol version the handset speaks (`bugreportz -v`): 1.1 adds `-p`.
const PROTOCOL_VERSION: &str = "1.1";
/// Where Android's shell user keeps the zips `bugreportz` writes.
const FOLDER: &str = "/data/user_de/0/com.android.shell/files/bugreports";

impl AndroidHost<'_> {
    /// `bugreport`: the plain-text report of releases before Android 7's zipped one: the
    /// dumpstate header, the properties, the telephony and Telecom state and the logs.
    pub(super) fn bugreport(&mut self, out: &mut Output) -> u8 {
        let rule = "========================================================\n";
        out.out(rule);
        out.out(&format!(
            "== dumpstate: {}\n",
            dumpsys::fmt_time(crate::network::now_ms(), true)
        ));
        out.out(rule);
        let section =
            |out: &mut Output, title: &str| out.out(&format!("\n------ {title} ------\n"));
        section(out, "SYSTEM PROPERTIES (getprop)");
        self.getprop(&[], out);
        section(out, "DUMPSYS telephony.registry");
        self.dumpsys(&["telephony.registry"], out);
        section(out, "DUMPSYS telecom");
        self.dumpsys(&["telecom"], out);
        section(out, "DUMPSYS iphonesubinfo");
        self.dumpsys(&["iphonesubinfo"], out);
        section(out, "DUMPSYS isub");
        self.dumpsys(&["isub"], out);
        section(
            out,
            "SYSTEM LOG (logcat -v threadtime -v printable -v uid -d *:v)",
        );
        self.logcat(&["-d"], out);
        0
    }

    /// `bugreportz [-p | -v]`: writes the report into a zip the handset keeps (the text
    /// report as its main entry, named in `main_entry.txt`) and prints where.
    pub(super) fn bugreportz(&mut self, args: &[&str], out: &mut Output) -> u8 {
        let progress = match args {
            [] => false,
            ["-p"] => true,
            ["-v"] => {
                // The version goes to standard error, where adb looks for it.
                out.err(&format!("{PROTOCOL_VERSION}\n"));
                return 0;
            }
            _ => {
                out.err("usage: bugreportz [-h | -v | -p]\n");
                return 1;
            }
        };
        let p = self.handset.profile;
        let stamp: String = dumpsys::fmt_time(crate::network::now_ms(), true)
            .chars()
            .take(19)
            .map(|c| if c.is_ascii_digit() { c } else { '-' })
            .collect();
        let name = format!("bugreport-{}-{}-{stamp}", p.device, p.build_id);
        let path = format!("{FOLDER}/{name}.zip");
        if progress {
            out.out(&format!("BEGIN:{path}\n"));
        }
        let mut text = Output::default();
        self.bugreport(&mut text);
        if progress {
            out.out("PROGRESS:50/100\n");
        }
        match zip_of(&name, &text.stdout) {
            Ok(zip) => {
                let phone = &mut lock(self.net).phones[self.handset.idx];
                // Only the newest report stays: a long run must not pile them up.
                phone.files.clear();
                phone.files.insert(path.clone(), zip);
                if progress {
                    out.out("PROGRESS:100/100\n");
                }
                out.out(&format!("OK:{path}\n"));
                0
            }
            Err(e) => {
                out.out(&format!("FAIL:could not write {path}: {e}\n"));
                1
            }
        }
    }

    /// `cat FILE...`: the files the handset wrote, byte for byte.
    pub(super) fn cat(&mut self, args: &[&str], out: &mut Output) -> u8 {
        let mut status = 0;
        for path in args {
            let file = lock(self.net).phones[self.handset.idx]
                .files
                .get(*path)
                .cloned();
            match file {
                Some(bytes) => out.write(1, &bytes),
                None => {
                    out.err(&format!("cat: {path}: No such file or directory\n"));
                    status = 1;
                }
            }
        }
        status
    }
}

impl AndroidHost<'_> {
    /// `rm [-f] FILE...`: removes files the handset wrote (a host cleaning up a bug report
    /// it pulled); no other file exists, so anything else is missing.
    pub(super) fn rm(&mut self, args: &[&str], out: &mut Output) -> u8 {
        let force = args.contains(&"-f");
        let mut status = 0;
        for path in args.iter().filter(|a| !a.starts_with('-')) {
            let removed = lock(self.net).phones[self.handset.idx]
                .files
                .remove(*path)
                .is_some();
            if !removed && !force {
                out.err(&format!("rm: {path}: No such file or directory\n"));
                status = 1;
            }
        }
        status
    }
}

/// The zip `bugreportz` writes: `NAME.txt` with the report, `main_entry.txt` naming it,
/// and `version.txt` with the dumpstate format version.
fn zip_of(name: &str, report: &[u8]) -> zip::result::ZipResult<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let main = format!("{name}.txt");
    for (entry, bytes) in [
        (main.as_str(), report),
        ("main_entry.txt", main.as_bytes()),
        ("version.txt", b"2.0".as_slice()),
    ] {
        zip.start_file(entry, options)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}
