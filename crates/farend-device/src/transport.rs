//! Blocking ADB links (adb_client) run on watchdog threads.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use adb_client::ADBDeviceExt;
use adb_client::server_device::ADBServerDevice;
use adb_client::tcp::ADBTcpDevice;

use crate::{Connection, ServerDevice};

/// Result of a blocking call that ran to the end or ran out of time.
pub(crate) enum Watched<T> {
    /// The call returned in time.
    Done(T),
    /// The watchdog fired first; the thread is left to finish on its own.
    TimedOut,
    /// The worker thread could not be started or died.
    Lost(String),
}

/// Runs `work` on its own OS thread and waits at most `limit` for it.
///
/// A detached thread (not `spawn_blocking`) is used so a call stuck in a blocking read never
/// holds up the shutdown of the tokio runtime; when it finally returns, its result (and the
/// connection it owns) is dropped.
pub(crate) async fn watched<T, F>(limit: Duration, name: &str, work: F) -> Watched<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    // Thread names may not hold NUL bytes; keep them short and printable.
    let label: String = name.chars().filter(|c| !c.is_control()).take(24).collect();
    let spawned = std::thread::Builder::new()
        .name(format!("adb-{label}"))
        .spawn(move || {
            let _ = tx.send(work());
        });
    if let Err(e) = spawned {
        return Watched::Lost(format!("cannot start a worker thread: {e}"));
    }
    match tokio::time::timeout(limit, rx).await {
        Ok(Ok(v)) => Watched::Done(v),
        Ok(Err(_)) => Watched::Lost("the adb worker thread panicked".to_owned()),
        Err(_) => Watched::TimedOut,
    }
}

/// A job for a [`Worker`].
type Job = Box<dyn FnOnce() + Send>;

/// One handset's thread for blocking ADB work: it runs one job after another, so a handset
/// that serves thousands of commands uses one thread, not one per command. A worker whose
/// job ran out of time is abandoned (its thread ends once that job returns) and the next
/// command starts a new one.
pub(crate) struct Worker {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl Worker {
    fn start(name: &str) -> std::io::Result<Worker> {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        // Thread names may not hold NUL bytes; keep them short and printable.
        let label: String = name.chars().filter(|c| !c.is_control()).take(24).collect();
        std::thread::Builder::new()
            .name(format!("adb-{label}"))
            .spawn(move || {
                for job in queue {
                    job();
                }
            })?;
        Ok(Worker { jobs })
    }
}

/// Runs `work` on the handset's [`Worker`] (started when there is none) and waits at most
/// `limit` for it, as [`watched`] does; a worker that runs out of time or dies is left
/// behind.
pub(crate) async fn watched_on<T, F>(
    worker: &std::sync::Mutex<Option<Worker>>,
    limit: Duration,
    name: &str,
    work: F,
) -> Watched<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    {
        let mut slot = worker.lock().unwrap_or_else(|p| p.into_inner());
        let job = match slot.as_ref() {
            Some(w) => match w.jobs.send(job) {
                Ok(()) => None,
                // A worker whose thread is gone hands the job back.
                Err(std::sync::mpsc::SendError(job)) => Some(job),
            },
            None => Some(job),
        };
        if let Some(job) = job {
            let fresh = match Worker::start(name) {
                Ok(fresh) => fresh,
                Err(e) => {
                    *slot = None;
                    return Watched::Lost(format!("cannot start a worker thread: {e}"));
                }
            };
            if fresh.jobs.send(job).is_err() {
                *slot = None;
                return Watched::Lost("the adb worker thread ended at once".to_owned());
            }
            *slot = Some(fresh);
        }
    }
    let outcome = match tokio::time::timeout(limit, rx).await {
        Ok(Ok(v)) => return Watched::Done(v),
        Ok(Err(_)) => Watched::Lost("the adb worker thread panicked".to_owned()),
        Err(_) => Watched::TimedOut,
    };
    // The worker is stuck in this job or gone: the next command gets a new one.
    *worker.lock().unwrap_or_else(|p| p.into_inner()) = None;
    outcome
}

/// An open link to one handset.
pub(crate) enum Link {
    /// Through an adb server (`host:transport:<serial>`, shell v2).
    Server(Box<ADBServerDevice>),
    /// Straight to the handset's adbd over TCP (CNXN/OPEN/WRTE, shell v1).
    Direct(Box<ADBTcpDevice>),
}

/// What a shell command returned: merged output and the shell-v2 exit status, when known.
pub(crate) struct RawOutput {
    pub bytes: Vec<u8>,
    pub exit: Option<u8>,
}

impl Link {
    /// Opens a link. For the server path this only checks the address (adb_client connects
    /// per command); for the direct path it connects and completes the CNXN handshake.
    pub(crate) fn open(connection: &Connection) -> Result<Link, OpenError> {
        match connection {
            Connection::Server { server, serial } => match server {
                SocketAddr::V4(v4) => Ok(Link::Server(Box::new(ADBServerDevice::new(
                    serial.clone(),
                    Some(*v4),
                )))),
                SocketAddr::V6(_) => Err(OpenError::Config(format!(
                    "adb server address {server} is IPv6; the adb client supports IPv4 servers only"
                ))),
            },
            Connection::Direct { addr } => {
                let key = adb_key_path().map_err(OpenError::Config)?;
                ADBTcpDevice::new_with_custom_private_key(*addr, key)
                    .map(|d| Link::Direct(Box::new(d)))
                    .map_err(|e| OpenError::Offline(format!("cannot connect to {addr}: {e}")))
            }
        }
    }

    /// Runs one shell command line and collects its output, failing once the output passes
    /// `max_bytes`, so a handset cannot make farend hold whatever it sends.
    pub(crate) fn run(&mut self, command: &str, max_bytes: usize) -> Result<RawOutput, String> {
        let mut sink = Bounded {
            bytes: Vec::new(),
            limit: max_bytes,
        };
        let exit = match self {
            Link::Server(dev) => dev.shell_command(&command, Some(&mut sink), None),
            Link::Direct(dev) => dev.shell_command(&command, Some(&mut sink), None),
        };
        let exit = exit.map_err(|e| {
            if sink.bytes.len() >= sink.limit {
                format!("the output passed the limit of {} bytes", sink.limit)
            } else {
                e.to_string()
            }
        })?;
        Ok(RawOutput {
            bytes: sink.bytes,
            exit,
        })
    }
}

/// Collects at most `limit` bytes; writing past it fails (and so ends the command).
struct Bounded {
    bytes: Vec<u8>,
    limit: usize,
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = self.limit - self.bytes.len();
        if buf.len() > room {
            self.bytes.extend_from_slice(&buf[..room]);
            return Err(std::io::Error::other(format!(
                "output beyond {} bytes",
                self.limit
            )));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Why a link could not be opened.
pub(crate) enum OpenError {
    /// The settings cannot work.
    Config(String),
    /// The handset could not be reached.
    Offline(String),
}

/// The ADB private key to present if a handset asks for authentication.
///
/// Uses the key adb itself uses (`$ANDROID_USER_HOME/android/adbkey` or `~/.android/adbkey`)
/// when it exists, since that is the key real phones have authorised. Otherwise a key is made
/// once and kept under `$XDG_CACHE_HOME/farend/adbkey` (or `~/.cache/...`, or the temp folder),
/// because the adb client would otherwise make a fresh 2048-bit key for every connection.
pub(crate) fn adb_key_path() -> Result<PathBuf, String> {
    static KEY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    KEY.get_or_init(find_or_make_key).clone()
}

fn find_or_make_key() -> Result<PathBuf, String> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let adb_default = std::env::var_os("ANDROID_USER_HOME")
        .map(|h| PathBuf::from(h).join("android"))
        .or_else(|| home.as_ref().map(|h| h.join(".android")))
        .map(|d| d.join("adbkey"));
    if let Some(path) = adb_default
        && path.is_file()
    {
        return Ok(path);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".cache")))
        .map(|d| d.join("farend"));
    let mut candidates: Vec<PathBuf> = cache.into_iter().map(|d| d.join("adbkey")).collect();
    candidates.push(std::env::temp_dir().join(format!("farend-adbkey-{}", std::process::id())));
    let mut last_error = String::from("no place to keep an adb key");
    for path in candidates {
        if key_is_usable(&path) {
            return Ok(path);
        }
        match write_new_key(&path) {
            Ok(()) => return Ok(path),
            Err(e) => last_error = format!("cannot write an adb key to {}: {e}", path.display()),
        }
    }
    Err(last_error)
}

fn key_is_usable(path: &Path) -> bool {
    use rsa::pkcs8::DecodePrivateKey;
    std::fs::read_to_string(path)
        .ok()
        .is_some_and(|pem| rsa::RsaPrivateKey::from_pkcs8_pem(&pem).is_ok())
}

fn write_new_key(path: &Path) -> Result<(), String> {
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    let key =
        rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(|e| e.to_string())?;
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(|e| e.to_string())?;
    file.write_all(pem.as_bytes()).map_err(|e| e.to_string())?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| e.to_string())
}

/// `adb devices` over the adb server's smart-socket protocol, with socket timeouts.
///
/// Implemented here rather than through adb_client's `ADBServer`, which runs
/// `adb start-server` on the default port whenever the server address is local.
pub(crate) fn list_devices(
    server: SocketAddr,
    timeout: Duration,
) -> Result<Vec<ServerDevice>, String> {
    let mut stream = TcpStream::connect_timeout(&server, timeout)
        .map_err(|e| format!("cannot reach the adb server at {server}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let request = "host:devices";
    stream
        .write_all(format!("{:04x}{request}", request.len()).as_bytes())
        .map_err(|e| format!("adb server {server}: {e}"))?;
    let mut status = [0u8; 4];
    stream
        .read_exact(&mut status)
        .map_err(|e| format!("adb server {server}: {e}"))?;
    let body = read_hex_block(&mut stream).map_err(|e| format!("adb server {server}: {e}"))?;
    if &status != b"OKAY" {
        return Err(format!("adb server {server} refused `{request}`: {body}"));
    }
    Ok(parse_devices(&body))
}

fn read_hex_block(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len)?;
    let len = std::str::from_utf8(&len)
        .ok()
        .and_then(|s| usize::from_str_radix(s, 16).ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "bad length prefix"))?;
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body)?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// Parses the `serial<TAB>state` lines of `host:devices`.
pub(crate) fn parse_devices(body: &str) -> Vec<ServerDevice> {
    body.lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let serial = parts.next()?;
            let state = parts.next()?;
            Some(ServerDevice {
                serial: serial.to_owned(),
                state: state.to_owned(),
            })
        })
        .collect()
}
