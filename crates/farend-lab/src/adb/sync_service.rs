//! The `sync:` service (file transfer, as `adb push` and `adb pull` use it). A virtual handset
//! has no storage a host may change, so every push fails the way Android's adbd fails it:
//! its storage folders exist but are read-only. What the handset wrote itself (its newest
//! bug report) can be read; no other file exists.

use super::connection::StreamIo;

/// Folders a host may look for before it pushes into them.
const FOLDERS: &[&str] = &[
    "/",
    "/sdcard",
    "/storage/emulated/0",
    "/data",
    "/data/local/tmp",
];
/// What adbd says when a file cannot be created.
const READ_ONLY: &str = "couldn't create file: Read-only file system";
/// What adbd says when a file to read is not there.
const NO_SUCH_FILE: &str = "No such file or directory";
/// `ENOENT`, as `STA2` reports it.
const ENOENT: u32 = 2;
/// Longest path a request may carry (adbd's own limit).
const MAX_PATH: usize = 1024;
/// Largest `DATA` chunk a host may send (adbd's limit, 64 KiB).
const MAX_DATA: usize = 64 * 1024;

/// Serves sync requests on a stream until the host quits or breaks the protocol; `file`
/// answers what the handset holds at a path.
pub fn run(mut io: StreamIo, file: &dyn Fn(&str) -> Option<Vec<u8>>) {
    let mut input = Input {
        io: &mut io,
        buf: Vec::new(),
    };
    while serve_one(&mut input, file) {}
    io.close();
}

/// Bytes from the stream, as the requests need them.
struct Input<'a> {
    io: &'a mut StreamIo,
    buf: Vec<u8>,
}

impl Input<'_> {
    /// The next `n` bytes, `None` once the stream ends first.
    fn take(&mut self, n: usize) -> Option<Vec<u8>> {
        while self.buf.len() < n {
            self.buf.extend(self.io.read()?);
        }
        Some(self.buf.drain(..n).collect())
    }

    /// A request's id and its length field.
    fn header(&mut self) -> Option<([u8; 4], u32)> {
        let h = self.take(8)?;
        Some((
            [h[0], h[1], h[2], h[3]],
            u32::from_le_bytes([h[4], h[5], h[6], h[7]]),
        ))
    }
}

/// One request and its answer; false when the session is over.
fn serve_one(input: &mut Input<'_>, file: &dyn Fn(&str) -> Option<Vec<u8>>) -> bool {
    let Some((id, len)) = input.header() else {
        return false;
    };
    let len = len as usize;
    if len > MAX_PATH && &id != b"DONE" {
        return fail(input.io, "path too long");
    }
    match &id {
        b"STAT" | b"STA2" | b"LST2" => {
            let Some(path) = input.take(len) else {
                return false;
            };
            let path = String::from_utf8_lossy(&path).into_owned();
            let size = file(&path).map(|bytes| bytes.len() as u64);
            input.io.write(&stat(&id, &path, size))
        }
        b"LIST" => {
            // An empty folder: the end marker alone.
            input.take(len).is_some() && input.io.write(&[b"DONE".as_slice(), &[0; 16]].concat())
        }
        b"RECV" => {
            let Some(path) = input.take(len) else {
                return false;
            };
            match file(&String::from_utf8_lossy(&path)) {
                Some(bytes) => send_file(input.io, &bytes),
                None => fail(input.io, NO_SUCH_FILE),
            }
        }
        b"SEND" => {
            if input.take(len).is_none() {
                return false;
            }
            // adbd reads the whole file before it answers; the host expects no earlier reply.
            loop {
                match input.header() {
                    Some((chunk, n)) if &chunk == b"DATA" && (n as usize) <= MAX_DATA => {
                        if input.take(n as usize).is_none() {
                            return false;
                        }
                    }
                    Some((chunk, _)) if &chunk == b"DONE" => return fail(input.io, READ_ONLY),
                    _ => return false,
                }
            }
        }
        b"QUIT" => false,
        _ => fail(input.io, "unknown sync request"),
    }
}

/// Sends a file as `DATA` chunks of at most 64 KiB and `DONE`.
fn send_file(io: &mut StreamIo, bytes: &[u8]) -> bool {
    for chunk in bytes.chunks(MAX_DATA) {
        let mut out = b"DATA".to_vec();
        out.extend_from_slice(&(chunk.len() as u32).to_le_bytes());
        out.extend_from_slice(chunk);
        if !io.write(&out) {
            return false;
        }
    }
    io.write(&[b"DONE".as_slice(), &[0; 4]].concat())
}

/// Sends `FAIL` with `message`; the session goes on.
fn fail(io: &mut StreamIo, message: &str) -> bool {
    let mut out = b"FAIL".to_vec();
    out.extend_from_slice(&(message.len() as u32).to_le_bytes());
    out.extend_from_slice(message.as_bytes());
    io.write(&out)
}

/// The answer to `STAT` (v1) or `STA2`/`LST2` (v2) for `path`: the storage folders exist,
/// read-only, and a file the handset holds (`size` bytes) exists; nothing else does.
fn stat(id: &[u8; 4], path: &str, size: Option<u64>) -> Vec<u8> {
    let trimmed = path.trim_end_matches('/');
    let folder = FOLDERS.contains(&if trimmed.is_empty() { "/" } else { trimmed });
    // A folder: drwxr-xr-x, owned by root; a file: -rw-rw----, as the shell user writes it.
    let mode: u32 = match (folder, size) {
        (true, _) => 0o040755,
        (false, Some(_)) => 0o100660,
        (false, None) => 0,
    };
    let exists = mode != 0;
    let size = size.unwrap_or(0);
    let mtime = crate::network::now_ms() / 1000;
    let mut out = id.to_vec();
    if id == b"STAT" {
        // v1: mode, size, mtime, 32 bits each.
        for v in [mode, size as u32, if exists { mtime as u32 } else { 0 }] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        return out;
    }
    out.extend_from_slice(&(if exists { 0 } else { ENOENT }).to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes()); // dev
    out.extend_from_slice(&0u64.to_le_bytes()); // ino
    out.extend_from_slice(&mode.to_le_bytes());
    out.extend_from_slice(&(if exists { 1u32 + u32::from(folder) } else { 0 }).to_le_bytes()); // nlink
    out.extend_from_slice(&0u32.to_le_bytes()); // uid
    out.extend_from_slice(&0u32.to_le_bytes()); // gid
    let time = if exists { mtime } else { 0 };
    for v in [size, time, time, time] {
        out.extend_from_slice(&v.to_le_bytes()); // size, atime, mtime, ctime
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_exist_and_files_do_not() {
        let folder = stat(b"STA2", "/sdcard/", None);
        assert_eq!(folder.len(), 72);
        assert_eq!(&folder[4..8], &0u32.to_le_bytes());
        assert_eq!(&folder[24..28], &0o040755u32.to_le_bytes());
        let file = stat(b"STA2", "/sdcard/x.txt", None);
        assert_eq!(&file[4..8], &ENOENT.to_le_bytes());
        let v1 = stat(b"STAT", "/data/local/tmp", None);
        assert_eq!(v1.len(), 16);
        assert_eq!(&v1[4..8], &0o040755u32.to_le_bytes());
    }

    #[test]
    fn a_file_the_handset_holds_exists_with_its_size() {
        let held = stat(b"STA2", "/data/x.zip", Some(70_000));
        assert_eq!(&held[4..8], &0u32.to_le_bytes());
        assert_eq!(&held[24..28], &0o100660u32.to_le_bytes());
        assert_eq!(&held[40..48], &70_000u64.to_le_bytes());
        let v1 = stat(b"STAT", "/data/x.zip", Some(70_000));
        assert_eq!(&v1[4..8], &0o100660u32.to_le_bytes());
        assert_eq!(&v1[8..12], &70_000u32.to_le_bytes());
    }
}
