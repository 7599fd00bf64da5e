//! The [`Handset`] handle: call control, state, identity and logs over ADB.

use std::collections::VecDeque;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::parse::{self, EXIT_MARKER};
use crate::quote::command_line;
use crate::radio::{ServiceState, SimSlot};
use crate::transport::{Link, OpenError, Watched, watched_on};
use crate::{CallState, CommandRecord, DeviceError, Identity, Number, ShellOutput, TelecomCall};

/// How to reach a handset.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Connection {
    /// Through an adb server (`adb -P PORT`, default 127.0.0.1:5037), by serial.
    Server {
        /// Address of the adb server.
        server: SocketAddr,
        /// Serial as `adb devices` lists it (`HOST:PORT` for network devices).
        serial: String,
    },
    /// Straight to the handset's adbd over TCP (`adb tcpip` phones, the virtual lab).
    Direct {
        /// Address of the handset's adbd.
        addr: SocketAddr,
    },
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Connection::Server { server, serial } => {
                write!(f, "adb server {server}, serial {serial}")
            }
            Connection::Direct { addr } => write!(f, "adbd at {addr}"),
        }
    }
}

/// Watchdog times for talking to a handset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Longest time one shell command may take (default 10 s).
    pub command: Duration,
    /// Longest time opening a connection may take (default 5 s).
    pub connect: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            command: Duration::from_secs(10),
            connect: Duration::from_secs(5),
        }
    }
}

/// How often [`Handset::wait_for_state`] reads the call state.
pub const STATE_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Most output one ordinary shell command may send (16 MiB); more fails the command.
pub const SHELL_OUTPUT_LIMIT: usize = 16 << 20;

/// Most bytes one part of a bug report may hold (512 MiB).
pub const BUG_REPORT_LIMIT: usize = 512 << 20;

/// A handset's screen as `dumpsys` shows it; `None` where the release's output is not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScreenState {
    /// The screen is on.
    pub awake: Option<bool>,
    /// The keyguard (lock screen) is showing.
    pub keyguard: Option<bool>,
}

/// A handset's bug report, as it gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BugReport {
    /// The zip `bugreportz` wrote (Android 7 and later).
    Zip(Vec<u8>),
    /// The plain-text report of `bugreport` (releases without `bugreportz`).
    Text(String),
}

/// How many command records a handset keeps (the oldest are dropped first).
pub const COMMAND_LOG_CAPACITY: usize = 20_000;

/// How many bytes of a command's reply the command log keeps.
pub const REPLY_LIMIT: usize = 1024;

/// Lines of log `logcat` fetches.
pub const LOGCAT_LINES: u32 = 2000;

struct Inner {
    name: String,
    connection: Connection,
    timeouts: Timeouts,
    link: tokio::sync::Mutex<Option<Link>>,
    /// The thread the blocking ADB work runs on.
    worker: Mutex<Option<crate::transport::Worker>>,
    log: Mutex<CommandLog>,
    /// The command waiting for the handset's reply now, and since when.
    in_flight: Mutex<Option<(String, Instant)>>,
}

/// Marks a command in flight for as long as it lives, even when its future is dropped.
struct InFlight<'a>(&'a Mutex<Option<(String, Instant)>>);

impl<'a> InFlight<'a> {
    fn new(slot: &'a Mutex<Option<(String, Instant)>>, command: &str) -> Self {
        *slot.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((command.to_owned(), Instant::now()));
        InFlight(slot)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// The records kept and how many were ever recorded (so marks survive dropping old ones).
#[derive(Default)]
struct CommandLog {
    records: VecDeque<CommandRecord>,
    recorded: u64,
}

/// One Android handset driven over ADB. Cheap to clone (clones share the connection and the
/// command log); commands to one handset run one at a time.
///
/// The connection is opened on first use. Every command runs on a watchdog: one that does not
/// finish within [`Timeouts::command`] fails with [`DeviceError::Timeout`] and its connection is
/// discarded, to be opened afresh by the next command.
#[derive(Clone)]
pub struct Handset {
    inner: Arc<Inner>,
}

impl fmt::Debug for Handset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handset")
            .field("name", &self.inner.name)
            .field("connection", &self.inner.connection)
            .field("timeouts", &self.inner.timeouts)
            .finish()
    }
}

impl Handset {
    /// A handset called `name` (used in errors and logs), reached through `connection`.
    /// Nothing is connected until the first command.
    pub fn new(name: impl Into<String>, connection: Connection, timeouts: Timeouts) -> Handset {
        Handset {
            inner: Arc::new(Inner {
                name: name.into(),
                connection,
                timeouts,
                link: tokio::sync::Mutex::new(None),
                worker: Mutex::new(None),
                log: Mutex::new(CommandLog::default()),
                in_flight: Mutex::new(None),
            }),
        }
    }

    /// The command the handset has not answered yet and how long it has waited, if one is
    /// in flight: what a step that ran out of time was waiting for.
    pub fn in_flight(&self) -> Option<(String, Duration)> {
        self.inner
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|(command, since)| (command.clone(), since.elapsed()))
    }

    /// The handset's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// How the handset is reached.
    pub fn connection(&self) -> &Connection {
        &self.inner.connection
    }

    /// The watchdog times in force.
    pub fn timeouts(&self) -> Timeouts {
        self.inner.timeouts
    }

    /// Runs `argv` in the handset's shell and returns its output and exit status.
    ///
    /// Every argument is shell-quoted, so text from a scenario cannot reach the shell as
    /// syntax. A non-zero exit status is returned, not turned into an error. The command is
    /// recorded in [`Handset::command_log`] and logged at debug level.
    pub async fn shell(&self, argv: &[&str]) -> Result<ShellOutput, DeviceError> {
        let limit = self.inner.timeouts.command;
        let (bytes, exit_code) = self.shell_bytes(argv, limit, SHELL_OUTPUT_LIMIT).await?;
        let stdout = String::from_utf8_lossy(&bytes).replace("\r\n", "\n");
        Ok(ShellOutput { stdout, exit_code })
    }

    /// Runs `argv` like [`Handset::shell`] with its own time limit and output bound, and
    /// returns the output as the handset sent it (binary files included) with the exit status.
    pub async fn shell_bytes(
        &self,
        argv: &[&str],
        within: Duration,
        max_bytes: usize,
    ) -> Result<(Vec<u8>, i32), DeviceError> {
        let started_at = SystemTime::now();
        let started = Instant::now();
        let line = command_line(argv);
        let full = format!("{line} ; echo {EXIT_MARKER}$?");
        let result = self.run_line(argv, &line, &full, within, max_bytes).await;
        let duration = started.elapsed();
        let (exit_code, output_bytes, reply, error) = match &result {
            Ok((out, code, bytes)) => (
                Some(*code),
                *bytes,
                reply_of(&String::from_utf8_lossy(out)),
                None,
            ),
            Err(e) => (None, 0, String::new(), Some(e.to_string())),
        };
        tracing::debug!(
            device = %self.inner.name,
            command = %line,
            exit_code = ?exit_code,
            duration_ms = duration.as_millis() as u64,
            output_bytes,
            error = error.as_deref().unwrap_or(""),
            "adb shell"
        );
        self.record(CommandRecord {
            at: started_at,
            argv: argv.iter().map(|s| (*s).to_owned()).collect(),
            command: full,
            exit_code,
            duration,
            output_bytes,
            reply,
            error,
        });
        result.map(|(out, code, _)| (out, code))
    }

    fn record(&self, record: CommandRecord) {
        let mut log = self.inner.log.lock().unwrap_or_else(|p| p.into_inner());
        if log.records.len() >= COMMAND_LOG_CAPACITY {
            log.records.pop_front();
        }
        log.records.push_back(record);
        log.recorded += 1;
    }

    /// Runs one command line; returns its output without the exit-status marker, the exit
    /// status and the number of bytes received.
    async fn run_line(
        &self,
        argv: &[&str],
        line: &str,
        full: &str,
        limit: Duration,
        max_bytes: usize,
    ) -> Result<(Vec<u8>, i32, usize), DeviceError> {
        let name = &self.inner.name;
        if argv.is_empty() {
            return Err(DeviceError::InvalidCommand {
                device: name.clone(),
                command: String::new(),
                detail: "empty command".to_owned(),
            });
        }
        if argv.iter().any(|a| a.contains('\0')) {
            return Err(DeviceError::InvalidCommand {
                device: name.clone(),
                command: line.replace('\0', "\\0"),
                detail: "an argument holds a NUL byte, which no shell command can carry".to_owned(),
            });
        }
        let mut slot = self.inner.link.lock().await;
        let link = match slot.take() {
            Some(link) => link,
            None => self.open().await?,
        };
        let command = full.to_owned();
        let _in_flight = InFlight::new(&self.inner.in_flight, line);
        let outcome = watched_on(&self.inner.worker, limit, name, move || {
            let mut link = link;
            let result = link.run(&command, max_bytes);
            (link, result)
        })
        .await;
        let raw = match outcome {
            Watched::Done((link, Ok(raw))) => {
                *slot = Some(link);
                raw
            }
            // The link is dropped here: the next command connects afresh.
            Watched::Done((_, Err(detail))) | Watched::Lost(detail) => {
                return Err(DeviceError::Offline {
                    device: name.clone(),
                    detail: format!("`{line}` failed: {detail}"),
                });
            }
            Watched::TimedOut => {
                return Err(DeviceError::Timeout {
                    device: name.clone(),
                    command: line.to_owned(),
                    after: limit,
                });
            }
        };
        drop(slot);
        let received = raw.bytes.len();
        match parse::split_exit_marker_bytes(&raw.bytes) {
            Some((out, code)) => Ok((out.to_vec(), code, received)),
            // The marker is missing but shell v2 reported a status: the shell died early.
            None => match raw.exit {
                Some(code) => Ok((raw.bytes, i32::from(code), received)),
                None => Err(DeviceError::Parse {
                    device: name.clone(),
                    command: line.to_owned(),
                    detail: format!(
                        "the output does not end with the exit-status marker: {:?}",
                        tail(&String::from_utf8_lossy(&raw.bytes), 200)
                    ),
                }),
            },
        }
    }

    async fn open(&self) -> Result<Link, DeviceError> {
        let name = &self.inner.name;
        let connection = self.inner.connection.clone();
        let limit = self.inner.timeouts.connect;
        match watched_on(&self.inner.worker, limit, name, move || {
            Link::open(&connection)
        })
        .await
        {
            Watched::Done(Ok(link)) => Ok(link),
            Watched::Done(Err(OpenError::Config(detail))) => Err(DeviceError::Config {
                device: name.clone(),
                detail,
            }),
            Watched::Done(Err(OpenError::Offline(detail))) | Watched::Lost(detail) => {
                Err(DeviceError::Offline {
                    device: name.clone(),
                    detail,
                })
            }
            Watched::TimedOut => Err(DeviceError::Timeout {
                device: name.clone(),
                command: format!("connect ({})", self.inner.connection),
                after: limit,
            }),
        }
    }

    /// Runs `argv` and fails with [`DeviceError::CommandFailed`] unless it exits with 0.
    async fn checked(&self, argv: &[&str]) -> Result<ShellOutput, DeviceError> {
        let out = self.shell(argv).await?;
        if out.exit_code != 0 {
            return Err(self.failed(argv, &out));
        }
        Ok(out)
    }

    fn failed(&self, argv: &[&str], out: &ShellOutput) -> DeviceError {
        DeviceError::CommandFailed {
            device: self.inner.name.clone(),
            command: command_line(argv),
            exit_code: out.exit_code,
            output: tail(out.stdout.trim(), 2000).to_owned(),
        }
    }

    fn parse_error(&self, argv: &[&str], detail: impl Into<String>) -> DeviceError {
        DeviceError::Parse {
            device: self.inner.name.clone(),
            command: command_line(argv),
            detail: detail.into(),
        }
    }

    /// Who the handset is, from `getprop`.
    pub async fn identity(&self) -> Result<Identity, DeviceError> {
        let argv = ["getprop"];
        let out = self.checked(&argv).await?;
        let props = parse::getprop(&out.stdout);
        if props.is_empty() {
            return Err(self.parse_error(&argv, "no `[name]: [value]` lines in the output"));
        }
        Ok(parse::identity(&props))
    }

    /// Each SIM slot with its state, operator and radio technology (`getprop`) and its voice
    /// registration (`dumpsys telephony.registry`, `None` where that does not print it).
    pub async fn sims(&self) -> Result<Vec<(SimSlot, Option<ServiceState>)>, DeviceError> {
        let props = parse::getprop(&self.checked(&["getprop"]).await?.stdout);
        let registry = self.checked(&["dumpsys", "telephony.registry"]).await?;
        let service = crate::radio::service_states(&registry.stdout);
        let mut slots = crate::radio::sim_slots(&props);
        // A single-SIM phone may print no `gsm.*` list but one service state.
        if slots.is_empty() && !service.is_empty() {
            slots.push(SimSlot {
                slot: 0,
                state: None,
                operator: None,
                radio: None,
            });
        }
        Ok(slots
            .into_iter()
            .map(|slot| {
                let state = service
                    .iter()
                    .find(|(id, _)| *id as usize == slot.slot)
                    .map(|(_, s)| s.clone());
                (slot, state)
            })
            .collect())
    }

    /// Turns airplane mode on or off, each release's way: Android 11 (SDK 30) and later
    /// take `cmd connectivity airplane-mode enable|disable` from the shell; older releases
    /// get `settings put global airplane_mode_on 1|0` and the `AIRPLANE_MODE` broadcast,
    /// which Android 7.1 to 10 refuse without root (the device's error is returned).
    pub async fn set_airplane_mode(&self, on: bool) -> Result<(), DeviceError> {
        let sdk = self.identity().await?.sdk.unwrap_or(0);
        if sdk >= 30 {
            let mode = if on { "enable" } else { "disable" };
            self.checked(&["cmd", "connectivity", "airplane-mode", mode])
                .await?;
            return Ok(());
        }
        let flag = if on { "1" } else { "0" };
        self.checked(&["settings", "put", "global", "airplane_mode_on", flag])
            .await?;
        let state = if on { "true" } else { "false" };
        self.checked(&[
            "am",
            "broadcast",
            "-a",
            "android.intent.action.AIRPLANE_MODE",
            "--ez",
            "state",
            state,
        ])
        .await?;
        Ok(())
    }

    /// Places a call to `number` (`am start -a android.intent.action.CALL -d tel:N`, with `#`
    /// sent as `%23`).
    pub async fn dial(&self, number: &Number) -> Result<(), DeviceError> {
        let uri = number.tel_uri();
        let argv = [
            "am",
            "start",
            "-a",
            "android.intent.action.CALL",
            "-d",
            uri.as_str(),
        ];
        let out = self.checked(&argv).await?;
        // `am start` exits 0 even when the activity did not start; it says so in its output.
        let refused = out.stdout.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with("Error") || l.starts_with("Exception") || l.contains("SecurityException")
        });
        if refused {
            return Err(self.failed(&argv, &out));
        }
        Ok(())
    }

    /// Answers a ringing call (`input keyevent KEYCODE_CALL`).
    pub async fn answer(&self) -> Result<(), DeviceError> {
        self.checked(&["input", "keyevent", "KEYCODE_CALL"])
            .await
            .map(|_| ())
    }

    /// Ends the call, if there is one: reads the call state first and sends
    /// `input keyevent KEYCODE_ENDCALL` only when it is not idle (on a real phone ENDCALL with
    /// no call puts the screen to sleep). Returns whether the key was sent.
    pub async fn hang_up(&self) -> Result<bool, DeviceError> {
        if self.call_state().await? == CallState::Idle {
            return Ok(false);
        }
        self.checked(&["input", "keyevent", "KEYCODE_ENDCALL"])
            .await?;
        Ok(true)
    }

    /// The call state from `dumpsys telephony.registry`: the most active state over all SIM
    /// slots (offhook > ringing > idle).
    pub async fn call_state(&self) -> Result<CallState, DeviceError> {
        Ok(parse::most_active(&self.call_states().await?))
    }

    /// The call state of every SIM slot, as `(phone id, state)`, from
    /// `dumpsys telephony.registry`.
    pub async fn call_states(&self) -> Result<Vec<(u32, CallState)>, DeviceError> {
        let argv = ["dumpsys", "telephony.registry"];
        let out = self.checked(&argv).await?;
        parse::telephony_registry(&out.stdout).map_err(|e| self.parse_error(&argv, e.to_string()))
    }

    /// The precise call state (dialing, alerting, active, and the last disconnect cause) from
    /// `dumpsys telephony.registry`; `None` on releases that do not print it.
    pub async fn precise_call_state(&self) -> Result<Option<crate::PreciseCallState>, DeviceError> {
        let out = self.checked(&["dumpsys", "telephony.registry"]).await?;
        Ok(crate::parse_precise_call_state(&out.stdout))
    }

    /// The call state and the precise call state from one `dumpsys telephony.registry`, for a
    /// watcher that wants both at the same instant.
    pub async fn call_progress(
        &self,
    ) -> Result<(CallState, Option<crate::PreciseCallState>), DeviceError> {
        let argv = ["dumpsys", "telephony.registry"];
        let out = self.checked(&argv).await?;
        let states = parse::telephony_registry(&out.stdout)
            .map_err(|e| self.parse_error(&argv, e.to_string()))?;
        Ok((
            parse::most_active(&states),
            crate::parse_precise_call_state(&out.stdout),
        ))
    }

    /// Waits until the call state is `want`, reading it about every 100 ms. Returns how long it
    /// took, or [`DeviceError::StateTimeout`] (a network verdict) when `within` ran out. Lab
    /// faults while reading the state end the wait at once. The state is read once more after
    /// `within` has nearly run out, so the wait can overrun it by one read (tens of ms).
    pub async fn wait_for_state(
        &self,
        want: CallState,
        within: Duration,
    ) -> Result<Duration, DeviceError> {
        let started = Instant::now();
        loop {
            let state = self.call_state().await?;
            let elapsed = started.elapsed();
            if state == want {
                return Ok(elapsed);
            }
            if elapsed >= within {
                return Err(DeviceError::StateTimeout {
                    device: self.inner.name.clone(),
                    want,
                    last: Some(state),
                    after: elapsed,
                });
            }
            let remaining = within - elapsed;
            tokio::time::sleep(STATE_POLL_INTERVAL.min(remaining)).await;
        }
    }

    /// Whether the screen is on and whether the keyguard shows, from `dumpsys power` and
    /// `dumpsys window`; each `None` where the release prints neither known form.
    pub async fn screen(&self) -> Result<ScreenState, DeviceError> {
        let power = self.checked(&["dumpsys", "power"]).await?;
        let window = self.checked(&["dumpsys", "window"]).await?;
        Ok(ScreenState {
            awake: parse::screen_awake(&power.stdout),
            keyguard: parse::keyguard_showing(&window.stdout),
        })
    }

    /// Turns the screen on (`input keyevent KEYCODE_WAKEUP`) and dismisses a keyguard that
    /// has no PIN, pattern or password (`wm dismiss-keyguard`); a secure lock stays.
    pub async fn wake_and_unlock(&self) -> Result<(), DeviceError> {
        self.checked(&["input", "keyevent", "KEYCODE_WAKEUP"])
            .await?;
        self.checked(&["wm", "dismiss-keyguard"]).await?;
        Ok(())
    }

    /// The handset's bug report, within `within` in all: `bugreportz`'s zip where the release
    /// has it (Android 7 and later: the zip it writes is read back with `cat`), else the
    /// plain-text report of `bugreport`. Each part is bounded by [`BUG_REPORT_LIMIT`]. The
    /// zip is removed from the handset once read.
    pub async fn bug_report(&self, within: Duration) -> Result<BugReport, DeviceError> {
        let started = Instant::now();
        let left = || within.saturating_sub(started.elapsed());
        let (out, code) = self.shell_bytes(&["bugreportz"], within, 64 << 10).await?;
        let out = String::from_utf8_lossy(&out);
        match parse::bugreportz_answer(&out) {
            Some(Ok(path)) => {
                let argv = ["cat", path.as_str()];
                let (zip, code) = self.shell_bytes(&argv, left(), BUG_REPORT_LIMIT).await?;
                if code != 0 {
                    let output = String::from_utf8_lossy(&zip).into_owned();
                    return Err(self.failed(
                        &argv,
                        &ShellOutput {
                            stdout: output,
                            exit_code: code,
                        },
                    ));
                }
                // Reports run to tens of megabytes: leave none behind on the handset.
                let _ = self
                    .shell_bytes(&["rm", "-f", path.as_str()], left(), 4096)
                    .await;
                Ok(BugReport::Zip(zip))
            }
            Some(Err(_)) => Err(self.failed(
                &["bugreportz"],
                &ShellOutput {
                    stdout: out.into_owned(),
                    exit_code: code,
                },
            )),
            None => {
                let argv = ["bugreport"];
                let (text, code) = self.shell_bytes(&argv, left(), BUG_REPORT_LIMIT).await?;
                let stdout = String::from_utf8_lossy(&text).replace("\r\n", "\n");
                let out = ShellOutput {
                    stdout,
                    exit_code: code,
                };
                if code != 0 {
                    return Err(self.failed(&argv, &out));
                }
                Ok(BugReport::Text(out.stdout))
            }
        }
    }

    /// What `dumpsys telecom` prints, as it printed it: the evidence of a call's history.
    pub async fn telecom_dump(&self) -> Result<String, DeviceError> {
        Ok(self.checked(&["dumpsys", "telecom"]).await?.stdout)
    }

    /// The calls `dumpsys telecom` lists (current calls and recent history).
    pub async fn telecom_calls(&self) -> Result<Vec<TelecomCall>, DeviceError> {
        let out = self.checked(&["dumpsys", "telecom"]).await?;
        Ok(parse::telecom_calls(&out.stdout))
    }

    /// The most recent log lines (`logcat -d -t 2000`, threadtime format).
    pub async fn logcat(&self) -> Result<String, DeviceError> {
        let count = LOGCAT_LINES.to_string();
        let out = self
            .checked(&["logcat", "-d", "-v", "threadtime", "-t", &count])
            .await?;
        Ok(out.stdout)
    }

    /// The main, system and radio log lines written since `since` by the handset's clock
    /// (`logcat -d -b main -b system -b radio -v threadtime -T SECS.MS`), at most the last
    /// [`LOGCAT_LINES`] of them. The radio buffer holds the RIL's view of the call (setup,
    /// disconnect cause); one `-b` per buffer is understood by every release, the
    /// comma-joined form only by newer ones.
    pub async fn logcat_since(&self, since: SystemTime) -> Result<String, DeviceError> {
        let since = since
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let time = format!("{}.{:03}", since.as_secs(), since.subsec_millis());
        let out = self
            .checked(&[
                "logcat",
                "-d",
                "-b",
                "main",
                "-b",
                "system",
                "-b",
                "radio",
                "-v",
                "threadtime",
                "-T",
                &time,
            ])
            .await?;
        let lines: Vec<&str> = out.stdout.lines().collect();
        let keep = lines.len().saturating_sub(LOGCAT_LINES as usize);
        let mut text = lines[keep..].join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        Ok(text)
    }

    /// Every command sent so far (up to the last [`COMMAND_LOG_CAPACITY`]), oldest first.
    pub fn command_log(&self) -> Vec<CommandRecord> {
        self.command_log_since(0)
    }

    /// A mark for [`Handset::command_log_since`]: how many commands were sent so far.
    pub fn command_mark(&self) -> u64 {
        self.inner
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .recorded
    }

    /// The commands sent since `mark` was taken with [`Handset::command_mark`], oldest first
    /// (those still kept: at most the last [`COMMAND_LOG_CAPACITY`]).
    pub fn command_log_since(&self, mark: u64) -> Vec<CommandRecord> {
        let log = self.inner.log.lock().unwrap_or_else(|p| p.into_inner());
        let first_kept = log.recorded - log.records.len() as u64;
        let skip = mark.saturating_sub(first_kept);
        log.records
            .iter()
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .cloned()
            .collect()
    }

    /// Like [`Handset::command_log_since`], and forgets every command kept so far, so a
    /// handset that serves case after case holds only the commands of the case running.
    /// Marks taken before stay valid.
    pub fn take_command_log_since(&self, mark: u64) -> Vec<CommandRecord> {
        let mut log = self.inner.log.lock().unwrap_or_else(|p| p.into_inner());
        let first_kept = log.recorded - log.records.len() as u64;
        let skip = usize::try_from(mark.saturating_sub(first_kept)).unwrap_or(usize::MAX);
        let taken: Vec<CommandRecord> = log.records.drain(..).skip(skip).collect();
        log.records.shrink_to(64);
        taken
    }
}

/// What the command log keeps of a reply: all of it, or its first [`REPLY_LIMIT`] bytes and
/// a line saying how long it was.
fn reply_of(stdout: &str) -> String {
    let kept = head(stdout, REPLY_LIMIT);
    if kept.len() == stdout.len() {
        return kept.to_owned();
    }
    let newline = if kept.ends_with('\n') { "" } else { "\n" };
    format!("{kept}{newline}[cut: {} bytes in all]\n", stdout.len())
}

/// The first `max` bytes of `s` (on a character boundary).
fn head(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The last `max` bytes of `s` (on a character boundary).
fn tail(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

#[cfg(test)]
mod tests {
    use super::{REPLY_LIMIT, reply_of};

    #[test]
    fn a_short_reply_is_kept_whole_and_a_long_one_cut_with_its_length() {
        assert_eq!(reply_of("mCallState=0\n"), "mCallState=0\n");
        let long = "é".repeat(REPLY_LIMIT);
        let cut = reply_of(&long);
        assert!(cut.len() < REPLY_LIMIT + 40, "{}", cut.len());
        assert!(
            cut.ends_with(&format!("\n[cut: {} bytes in all]\n", long.len())),
            "{cut}"
        );
        assert!(cut.starts_with("éé"));
    }
}
