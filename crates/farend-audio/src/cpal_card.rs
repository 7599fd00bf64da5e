//! Real sound cards through cpal: PulseAudio (or PipeWire's PulseAudio server) devices and,
//! with less testing, ALSA devices.
//!
//! Each cpal stream lives on its own OS thread, because cpal streams are not `Send` on every
//! platform; the thread builds the stream, reports back, and parks until the Rust side is
//! dropped. The audio callbacks talk to [`CpalPlayback`] / [`CpalCapture`] through a mutex,
//! a watch channel and an unbounded channel, so both types are `Send`.
//!
//! # The clock
//!
//! Both directions are counted in samples: the playback clock index of a frame is
//! `anchor + frames written before it`, the capture clock index of a frame is
//! `anchor + frames read before it`. Only the two anchors come from timestamps: every
//! callback's cpal timestamp (`playback` for output, `capture` for input) is turned into a
//! [`std::time::Instant`] and then into a fractional index
//! `(instant − epoch) × rate`, where the [`CardEpoch`] is shared by the two streams of one
//! play-and-record. During a short warm-up the difference between that index and the frame
//! counter is collected, and its median becomes the anchor; from then on the anchor never
//! moves, so blocks stay contiguous and the clock is never read from the wall.
//!
//! What this assumes:
//! * cpal's `callback` timestamp is taken just before the callback runs, on a clock that ticks
//!   like [`std::time::Instant`]; `Instant::now() − callback` then maps the stream's own
//!   timestamps onto one host clock (cpal's PulseAudio host counts each stream's instants
//!   from that stream's creation, so they cannot be compared directly);
//! * the host's latency estimates are right on average over the warm-up (the median
//!   discards the first callbacks, whose latency is not known yet);
//! * no under- or overrun happens while recording (it would shift the frame counter
//!   against real time), and both devices run from one clock or drift negligibly over a
//!   recording (true of PulseAudio null sinks and of any one sound card).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{
    BufferSize, HostId, SampleFormat, SizedSample, StreamConfig, StreamInstant,
    SupportedBufferSize, SupportedStreamConfigRange,
};
use tokio::sync::{mpsc, oneshot, watch};

use crate::card::{CaptureStream, PLAYBACK_LEAD_S, PlaybackStream};
use crate::{AudioError, Endpoint};

/// Sample rates tried, in order of preference: wideband speech first, then the rate every
/// sound card offers. References are resampled to the rate chosen.
const RATES: [u32; 2] = [16_000, 48_000];
/// One callback period, in seconds: long enough that a loaded two-core machine keeps the
/// buffer fed, short enough that warm-up and lead stay small.
const PERIOD_S: f64 = 0.04;
/// Audio that must pass before the clock is anchored, in seconds.
const WARM_UP_S: f64 = 0.2;
/// Timestamp estimates needed before the clock is anchored (the first callback is never used).
const WARM_UP_ESTIMATES: usize = 5;
/// Captured audio is forwarded in blocks of at least this length, in seconds (some hosts call
/// back with a few frames at a time).
const BLOCK_S: f64 = 0.01;
/// Longest wait for the sound server to accept a stream.
const BUILD_TIMEOUT: Duration = Duration::from_secs(5);
/// How far before the moment of opening the shared epoch lies, so that no timestamp of a
/// stream opened after it (capture timestamps lie in the past) falls before it.
const EPOCH_MARGIN: Duration = Duration::from_secs(10);

/// The origin of the clock shared by the streams of one play-and-record.
#[derive(Debug, Clone, Copy)]
pub struct CardEpoch(Instant);

impl CardEpoch {
    /// An epoch for streams about to be opened.
    pub fn new() -> CardEpoch {
        let now = Instant::now();
        CardEpoch(now.checked_sub(EPOCH_MARGIN).unwrap_or(now))
    }

    /// The fractional clock index at which a stream instant falls; `callback` is the
    /// stream's instant of the callback that runs now.
    fn index(&self, now: Instant, callback: StreamInstant, at: StreamInstant, rate: u32) -> f64 {
        let since_epoch = now.saturating_duration_since(self.0).as_nanos() as f64;
        let offset = at.as_nanos() as f64 - callback.as_nanos() as f64;
        (since_epoch + offset) * f64::from(rate) / 1e9
    }
}

impl Default for CardEpoch {
    fn default() -> Self {
        CardEpoch::new()
    }
}

/// Whether a device is played into or recorded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Playback,
    Capture,
}

impl Direction {
    /// What the device is called in this direction, for messages.
    fn noun(self, host: HostId) -> &'static str {
        match (host, self) {
            (HostId::PulseAudio, Direction::Playback) => "PulseAudio sink",
            (HostId::PulseAudio, Direction::Capture) => "PulseAudio source",
            (_, Direction::Playback) => "playback device",
            (_, Direction::Capture) => "capture device",
        }
    }
}

/// The cpal host and device name behind an endpoint, or `None` for a virtual one.
fn host_of(endpoint: &Endpoint) -> Option<(HostId, &str)> {
    match endpoint {
        Endpoint::PulseAudio(name) => Some((HostId::PulseAudio, name)),
        Endpoint::Alsa(name) => Some((HostId::Alsa, name)),
        Endpoint::Virtual(_) => None,
    }
}

/// Whether an endpoint is driven through cpal.
pub(crate) fn is_cpal(endpoint: &Endpoint) -> bool {
    host_of(endpoint).is_some()
}

/// The stream configuration chosen for a device.
#[derive(Debug, Clone, Copy)]
struct Chosen {
    rate: u32,
    channels: u16,
    format: SampleFormat,
    /// Frames per callback period, when the device lets us choose.
    period: Option<u32>,
}

/// Picks mono (or the fewest channels), 16 kHz else 48 kHz, i16 else f32.
fn choose(ranges: &[SupportedStreamConfigRange]) -> Option<Chosen> {
    for rate in RATES {
        for format in [SampleFormat::I16, SampleFormat::F32] {
            let best = ranges
                .iter()
                .filter(|r| r.sample_format() == format && r.contains_rate(rate))
                .min_by_key(|r| r.channels());
            if let Some(r) = best {
                let want = (PERIOD_S * f64::from(rate)).round() as u32;
                let period = match r.buffer_size() {
                    SupportedBufferSize::Range { min, max } if (*min..=*max).contains(&want) => {
                        Some(want)
                    }
                    _ => None,
                };
                return Some(Chosen {
                    rate,
                    channels: r.channels(),
                    format,
                    period,
                });
            }
        }
    }
    None
}

/// Renders a cpal error for a message.
fn cpal_text(err: &cpal::Error) -> String {
    err.to_string()
}

/// Why a host could not be opened, with where a PulseAudio client looks for its server.
pub(crate) fn host_unavailable(host_id: HostId, err: &cpal::Error) -> String {
    match host_id {
        HostId::PulseAudio => format!(
            "no PulseAudio server reachable ({}; clients look for $PULSE_SERVER=unix:PATH, \
             $PULSE_RUNTIME_PATH/pulse/native or $XDG_RUNTIME_DIR/pulse/native)",
            cpal_text(err)
        ),
        _ => format!("ALSA is not available: {}", cpal_text(err)),
    }
}

/// Connects to the host and finds the device of `endpoint` in `direction`.
fn open_device(
    endpoint: &Endpoint,
    direction: Direction,
) -> Result<(cpal::Host, cpal::Device), AudioError> {
    let Some((host_id, name)) = host_of(endpoint) else {
        return Err(AudioError::Invalid(format!(
            "{endpoint} is not a cpal sound card"
        )));
    };
    let unavailable = |detail: String| AudioError::HostUnavailable {
        endpoint: endpoint.to_string(),
        detail,
    };
    let host =
        cpal::host_from_id(host_id).map_err(|e| unavailable(host_unavailable(host_id, &e)))?;
    let devices: Vec<cpal::Device> = host
        .devices()
        .map_err(|e| unavailable(format!("cannot list devices: {}", cpal_text(&e))))?
        .collect();
    let fits = |d: &cpal::Device| match direction {
        Direction::Playback => d
            .supported_output_configs()
            .is_ok_and(|mut c| c.next().is_some()),
        Direction::Capture => d
            .supported_input_configs()
            .is_ok_and(|mut c| c.next().is_some()),
    };
    let id_of = |d: &cpal::Device| d.id().ok().map(|id| id.id().to_string());
    let wanted = cpal::DeviceId::new(host_id, name);
    // ALSA spells one device several ways (`hw:1,0`, `hw:CARD=X,DEV=0`): let the host match.
    let found = host.device_by_id(&wanted).filter(fits).or_else(|| {
        devices
            .iter()
            .find(|d| fits(d) && id_of(d).as_deref() == Some(name))
            .cloned()
    });
    match found {
        Some(device) => Ok((host, device)),
        None => {
            let mut available: Vec<String> = devices
                .iter()
                .filter(|d| fits(d))
                .filter_map(id_of)
                .collect();
            available.sort();
            available.dedup();
            Err(AudioError::NoSuchDevice {
                endpoint: endpoint.to_string(),
                kind: direction.noun(host_id).to_string(),
                name: name.to_string(),
                available,
            })
        }
    }
}

/// Chooses the stream configuration for a device.
fn configure(
    endpoint: &Endpoint,
    device: &cpal::Device,
    direction: Direction,
) -> Result<(StreamConfig, Chosen), AudioError> {
    let unsupported = |detail: String| AudioError::UnsupportedConfig {
        endpoint: endpoint.to_string(),
        detail,
    };
    let ranges: Vec<SupportedStreamConfigRange> = match direction {
        Direction::Playback => device.supported_output_configs().map(Iterator::collect),
        Direction::Capture => device.supported_input_configs().map(Iterator::collect),
    }
    .map_err(|e| unsupported(format!("cannot read its configurations: {}", cpal_text(&e))))?;
    let chosen = choose(&ranges).ok_or_else(|| {
        let offered: Vec<String> = ranges
            .iter()
            .map(|r| {
                format!(
                    "{} {}ch {}-{} Hz",
                    r.sample_format(),
                    r.channels(),
                    r.min_sample_rate(),
                    r.max_sample_rate()
                )
            })
            .collect();
        unsupported(format!(
            "needs 16000 or 48000 Hz as i16 or f32; it offers {}",
            if offered.is_empty() {
                "nothing".to_string()
            } else {
                offered.join(", ")
            }
        ))
    })?;
    let config = StreamConfig {
        channels: chosen.channels,
        sample_rate: chosen.rate,
        buffer_size: chosen.period.map_or(BufferSize::Default, BufferSize::Fixed),
    };
    Ok((config, chosen))
}

/// Conversion between the crate's i16 samples and a cpal sample type.
trait CardSample: SizedSample + Send + 'static {
    /// From a 16-bit sample.
    fn from_i16(s: i16) -> Self;
    /// To a float on the 16-bit scale (±32768).
    fn to_f32(self) -> f32;
}

impl CardSample for i16 {
    fn from_i16(s: i16) -> Self {
        s
    }
    fn to_f32(self) -> f32 {
        f32::from(self)
    }
}

impl CardSample for f32 {
    fn from_i16(s: i16) -> Self {
        f32::from(s) / 32768.0
    }
    fn to_f32(self) -> f32 {
        self * 32768.0
    }
}

/// The warm-up that anchors a frame counter on the shared clock.
#[derive(Debug, Default)]
struct Anchoring {
    estimates: Vec<f64>,
    callbacks: u64,
}

impl Anchoring {
    /// Notes one callback's estimate of `index − frames`; returns the anchor once enough
    /// audio (`frames`) has passed.
    fn note(&mut self, estimate: f64, frames: u64, rate: u32) -> Option<u64> {
        self.callbacks += 1;
        // The first callback runs before the host knows its latency (the stream is still
        // corked or filling): its timestamp is off by a whole buffer.
        if self.callbacks > 1 {
            self.estimates.push(estimate);
        }
        let enough_audio = frames as f64 >= WARM_UP_S * f64::from(rate);
        if self.estimates.len() < WARM_UP_ESTIMATES || !enough_audio {
            return None;
        }
        self.estimates.sort_by(f64::total_cmp);
        let median = self.estimates[self.estimates.len() / 2];
        Some(median.round().max(0.0) as u64)
    }
}

/// Capture time that may go missing before it counts as an overrun, in seconds: well above
/// the jitter of a host's timestamps (a few ms), well below a lost buffer.
const XRUN_TOLERANCE_S: f64 = 0.02;
/// Callbacks whose timestamps must agree that frames went missing (their median is used, so
/// one late timestamp is not an overrun).
const XRUN_WINDOW: usize = 5;

/// Callbacks before the latest ones that give the level the latest are compared with; it
/// follows a card clock that drifts slowly against the system's.
const XRUN_HISTORY: usize = 50;

/// Watches a stream for frames the card lost or made up (an overrun of a capture, an
/// underrun of a playback: "xrun"): once anchored, each callback's first frame should fall
/// at the anchor plus the frames read or written before it. A card whose clock drifts moves
/// that slowly; a lost buffer makes it step, and the recording or play is then off the
/// clock.
#[derive(Debug, Default)]
struct XrunWatch {
    /// The latest callbacks' timestamp minus their place by frame count, in frames.
    recent: VecDeque<f64>,
    /// The residuals before those.
    history: VecDeque<f64>,
}

fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut sorted: Vec<f64> = values.collect();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied()
}

impl XrunWatch {
    /// Notes one callback's residual; returns the audio lost, in ms, once the median of the
    /// last [`XRUN_WINDOW`] residuals has stepped past the tolerance from the level of those
    /// before them.
    fn note(&mut self, residual: f64, rate: u32) -> Option<f64> {
        if self.recent.len() == XRUN_WINDOW
            && let Some(oldest) = self.recent.pop_front()
        {
            if self.history.len() == XRUN_HISTORY {
                self.history.pop_front();
            }
            self.history.push_back(oldest);
        }
        self.recent.push_back(residual);
        if self.recent.len() < XRUN_WINDOW {
            return None;
        }
        let level = median(self.history.iter().copied()).unwrap_or(0.0);
        let step_s = (median(self.recent.iter().copied())? - level) / f64::from(rate);
        (step_s > XRUN_TOLERANCE_S).then_some(step_s * 1000.0)
    }
}

/// What the playback callback and [`CpalPlayback`] share.
#[derive(Debug, Default)]
struct PlayState {
    /// Clock index of the first frame written, once anchored.
    anchor: Option<u64>,
    /// Frames written to the card so far.
    written: u64,
    anchoring: Anchoring,
    /// Scheduled blocks (start clock index, samples), in order of start.
    queue: VecDeque<(u64, Vec<i16>)>,
}

impl PlayState {
    /// Clock index of the next frame the callback will write.
    fn next(&self) -> Option<u64> {
        self.anchor.map(|a| a + self.written)
    }

    /// Fills `out` (one i16 per frame) for the frames from clock index `start` on, from the
    /// queue, and drops blocks that are fully played.
    fn fill(&mut self, start: u64, out: &mut [i16]) {
        let end = start + out.len() as u64;
        for (block_start, block) in &self.queue {
            let block_end = block_start + block.len() as u64;
            if block_end <= start || *block_start >= end {
                continue;
            }
            let from = start.max(*block_start);
            let to = end.min(block_end);
            let dst = (from - start) as usize..(to - start) as usize;
            let src = (from - block_start) as usize..(to - block_start) as usize;
            out[dst].copy_from_slice(&block[src]);
        }
        self.queue.retain(|(s, b)| s + b.len() as u64 > end);
    }
}

/// Locks a mutex even if a callback panicked while holding it (the state stays usable).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the stream thread reports once the stream runs.
struct Opened {
    rate: u32,
    /// Frames the host buffers ahead of the card (two periods), for the lead.
    buffer_frames: u64,
}

/// Runs `build` on a new OS thread that keeps the resulting stream alive until `stop` is
/// dropped, and waits (without blocking the async runtime) for it to report.
async fn spawn_stream<F>(
    endpoint: &Endpoint,
    build: F,
) -> Result<(Opened, std::sync::mpsc::Sender<()>), AudioError>
where
    F: FnOnce() -> Result<(cpal::Stream, Opened), AudioError> + Send + 'static,
{
    let (ready_tx, ready_rx) = oneshot::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let name = format!("farend-card {endpoint}");
    std::thread::Builder::new()
        .name(name)
        .spawn(move || match build() {
            Ok((stream, opened)) => {
                if ready_tx.send(Ok(opened)).is_ok() {
                    // Parked until the Rust side drops its sender.
                    let _ = stop_rx.recv();
                }
                drop(stream);
            }
            Err(e) => {
                let _ = ready_tx.send(Err(e));
            }
        })
        .map_err(|source| AudioError::Connect {
            endpoint: endpoint.to_string(),
            source,
        })?;
    let opened = ready_rx.await.map_err(|_| AudioError::Stream {
        endpoint: endpoint.to_string(),
        source: std::io::Error::other("the sound card thread ended while opening"),
    })??;
    Ok((opened, stop_tx))
}

/// Turns a cpal error met while building or starting a stream into ours.
fn build_error(endpoint: &Endpoint, what: &str, err: &cpal::Error) -> AudioError {
    match err.kind() {
        cpal::ErrorKind::UnsupportedConfig | cpal::ErrorKind::InvalidInput => {
            AudioError::UnsupportedConfig {
                endpoint: endpoint.to_string(),
                detail: format!("{what}: {}", cpal_text(err)),
            }
        }
        _ => AudioError::Stream {
            endpoint: endpoint.to_string(),
            source: std::io::Error::other(format!("{what}: {}", cpal_text(err))),
        },
    }
}

/// Playback into a cpal device: `pulseaudio:SINK` or `alsa:DEVICE`.
#[derive(Debug)]
pub struct CpalPlayback {
    endpoint: String,
    rate: u32,
    buffer_frames: u64,
    state: Arc<Mutex<PlayState>>,
    now_rx: watch::Receiver<Option<Result<u64, String>>>,
    /// Dropping it ends the stream thread.
    _stop: std::sync::mpsc::Sender<()>,
}

impl CpalPlayback {
    /// Opens the device of a `pulseaudio:` or `alsa:` endpoint for playback, on the clock of
    /// `epoch`, and starts it (playing silence until something is scheduled).
    pub async fn open(endpoint: &Endpoint, epoch: CardEpoch) -> Result<Self, AudioError> {
        let state = Arc::new(Mutex::new(PlayState::default()));
        let (now_tx, now_rx) = watch::channel(None);
        let ep = endpoint.clone();
        let shared = state.clone();
        let (opened, stop) = spawn_stream(endpoint, move || {
            let (_host, device) = open_device(&ep, Direction::Playback)?;
            let (config, chosen) = configure(&ep, &device, Direction::Playback)?;
            let stream = match chosen.format {
                SampleFormat::F32 => {
                    build_output::<f32>(&device, &config, chosen, epoch, shared, now_tx)
                }
                _ => build_output::<i16>(&device, &config, chosen, epoch, shared, now_tx),
            }
            .map_err(|e| build_error(&ep, "cannot open the playback stream", &e))?;
            stream
                .play()
                .map_err(|e| build_error(&ep, "cannot start the playback stream", &e))?;
            let period = u64::from(chosen.period.unwrap_or(chosen.rate / 10));
            Ok((
                stream,
                Opened {
                    rate: chosen.rate,
                    buffer_frames: 2 * period,
                },
            ))
        })
        .await?;
        Ok(CpalPlayback {
            endpoint: endpoint.to_string(),
            rate: opened.rate,
            buffer_frames: opened.buffer_frames,
            state,
            now_rx,
            _stop: stop,
        })
    }
}

/// Builds the output stream whose callback plays the schedule.
fn build_output<T: CardSample>(
    device: &cpal::Device,
    config: &StreamConfig,
    chosen: Chosen,
    epoch: CardEpoch,
    state: Arc<Mutex<PlayState>>,
    now_tx: watch::Sender<Option<Result<u64, String>>>,
) -> Result<cpal::Stream, cpal::Error> {
    let channels = usize::from(chosen.channels.max(1));
    let rate = chosen.rate;
    let err_tx = now_tx.clone();
    let mut mono: Vec<i16> = Vec::new();
    let mut xruns = XrunWatch::default();
    let mut underrun = false;
    device.build_output_stream(
        *config,
        move |data: &mut [T], info: &cpal::OutputCallbackInfo| {
            let now = Instant::now();
            let ts = info.timestamp();
            let frames = data.len() / channels;
            mono.clear();
            mono.resize(frames, 0);
            let mut lost = None;
            let next = {
                let mut st = lock(&state);
                // The estimate is for frame `written`: less that, it is frame 0's index.
                let estimate = epoch.index(now, ts.callback, ts.playback, rate);
                let written = st.written;
                match st.anchor {
                    None => st.anchor = st.anchoring.note(estimate - written as f64, written, rate),
                    // A card that ran dry played silence the schedule does not know of: its
                    // clock steps ahead of the frames written (the playback side's xrun).
                    Some(a) if !underrun => {
                        lost = xruns.note(estimate - (a + written) as f64, rate);
                    }
                    Some(_) => {}
                }
                if lost.is_some() {
                    underrun = true;
                }
                if let (Some(start), false) = (st.next(), underrun) {
                    st.fill(start, &mut mono);
                }
                st.written += frames as u64;
                st.next()
            };
            for (frame, &s) in data.chunks_mut(channels).zip(&mono) {
                frame.fill(T::from_i16(s));
            }
            if let Some(lost_ms) = lost {
                now_tx.send_replace(Some(Err(format!(
                    "xrun: the card ran out of audio to play and played about {lost_ms:.0} ms of silence (its buffer underran), so the play is off the clock"
                ))));
            } else if let (Some(next), false) = (next, underrun) {
                now_tx.send_replace(Some(Ok(next)));
            }
        },
        move |e| {
            let text = match e.kind() {
                cpal::ErrorKind::Xrun => format!("xrun: {}", cpal_text(&e)),
                _ => cpal_text(&e),
            };
            err_tx.send_replace(Some(Err(text)));
        },
        Some(BUILD_TIMEOUT),
    )
}

impl PlaybackStream for CpalPlayback {
    fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    fn rate(&self) -> u32 {
        self.rate
    }

    fn lead_samples(&self) -> u64 {
        // The host may ask for a whole buffer in one callback: stay beyond it.
        let default = (PLAYBACK_LEAD_S * f64::from(self.rate)).round() as u64;
        default.max(2 * self.buffer_frames)
    }

    async fn now(&mut self) -> Result<u64, AudioError> {
        loop {
            if self.now_rx.changed().await.is_err() {
                return Err(AudioError::Stream {
                    endpoint: self.endpoint.clone(),
                    source: std::io::Error::other("the playback stream ended"),
                });
            }
            match self.now_rx.borrow_and_update().clone() {
                Some(Ok(now)) => return Ok(now),
                Some(Err(e)) => {
                    return Err(AudioError::Stream {
                        endpoint: self.endpoint.clone(),
                        source: std::io::Error::other(e),
                    });
                }
                None => {}
            }
        }
    }

    async fn schedule(&mut self, start: u64, samples: &[i16]) -> Result<(), AudioError> {
        let mut st = lock(&self.state);
        if let Some(next) = st.next()
            && start < next
        {
            return Err(AudioError::Protocol {
                endpoint: self.endpoint.clone(),
                detail: format!(
                    "scheduled at clock {start}, but the card has already written up to {next}"
                ),
            });
        }
        let at = st.queue.partition_point(|(s, _)| *s <= start);
        st.queue.insert(at, (start, samples.to_vec()));
        Ok(())
    }

    fn fault(&mut self) -> Result<(), AudioError> {
        match self.now_rx.borrow().clone() {
            Some(Err(e)) => Err(AudioError::Stream {
                endpoint: self.endpoint.clone(),
                source: std::io::Error::other(e),
            }),
            _ => Ok(()),
        }
    }
}

/// Capture from a cpal device: `pulseaudio:SOURCE` (e.g. `SINK.monitor`) or `alsa:DEVICE`.
#[derive(Debug)]
pub struct CpalCapture {
    endpoint: String,
    rate: u32,
    blocks: mpsc::UnboundedReceiver<Result<(u64, Vec<i16>), String>>,
    /// Dropping it ends the stream thread.
    _stop: std::sync::mpsc::Sender<()>,
}

impl CpalCapture {
    /// Opens the device of a `pulseaudio:` or `alsa:` endpoint for capture, on the clock of
    /// `epoch`, and starts recording.
    pub async fn open(endpoint: &Endpoint, epoch: CardEpoch) -> Result<Self, AudioError> {
        let (tx, blocks) = mpsc::unbounded_channel();
        let ep = endpoint.clone();
        let (opened, stop) = spawn_stream(endpoint, move || {
            let (_host, device) = open_device(&ep, Direction::Capture)?;
            let (config, chosen) = configure(&ep, &device, Direction::Capture)?;
            let stream = match chosen.format {
                SampleFormat::F32 => build_input::<f32>(&device, &config, chosen, epoch, tx),
                _ => build_input::<i16>(&device, &config, chosen, epoch, tx),
            }
            .map_err(|e| build_error(&ep, "cannot open the capture stream", &e))?;
            stream
                .play()
                .map_err(|e| build_error(&ep, "cannot start the capture stream", &e))?;
            Ok((
                stream,
                Opened {
                    rate: chosen.rate,
                    buffer_frames: 0,
                },
            ))
        })
        .await?;
        Ok(CpalCapture {
            endpoint: endpoint.to_string(),
            rate: opened.rate,
            blocks,
            _stop: stop,
        })
    }
}

/// Builds the input stream whose callback forwards stamped blocks.
fn build_input<T: CardSample>(
    device: &cpal::Device,
    config: &StreamConfig,
    chosen: Chosen,
    epoch: CardEpoch,
    tx: mpsc::UnboundedSender<Result<(u64, Vec<i16>), String>>,
) -> Result<cpal::Stream, cpal::Error> {
    let channels = usize::from(chosen.channels.max(1));
    let rate = chosen.rate;
    let min_block = ((BLOCK_S * f64::from(rate)).round() as usize).max(1);
    let err_tx = tx.clone();
    let mut anchoring = Anchoring::default();
    let mut anchor: Option<u64> = None;
    // Frames read so far, and those not yet forwarded (they end at `read`).
    let mut read: u64 = 0;
    let mut pending: Vec<i16> = Vec::new();
    let mut xruns = XrunWatch::default();
    let mut overrun = false;
    device.build_input_stream(
        *config,
        move |data: &[T], info: &cpal::InputCallbackInfo| {
            if overrun {
                return;
            }
            let now = Instant::now();
            let ts = info.timestamp();
            let estimate = epoch.index(now, ts.callback, ts.capture, rate);
            match anchor {
                None => anchor = anchoring.note(estimate - read as f64, read, rate),
                Some(a) => {
                    if let Some(lost_ms) = xruns.note(estimate - (a + read) as f64, rate) {
                        overrun = true;
                        let _ = tx.send(Err(format!(
                            "xrun: the card lost about {lost_ms:.0} ms of capture after {:.1} s (its buffer overran), so the recording is off the clock",
                            read as f64 / f64::from(rate)
                        )));
                        return;
                    }
                }
            }
            let frames = data.len() / channels;
            pending.extend(data.chunks(channels).map(|frame| {
                // Several channels of one device carry one signal: average them.
                let sum: f32 = frame.iter().map(|s| s.to_f32()).sum();
                (sum / frame.len() as f32).round().clamp(-32768.0, 32767.0) as i16
            }));
            read += frames as u64;
            if let Some(a) = anchor
                && pending.len() >= min_block
            {
                let start = a + read - pending.len() as u64;
                let _ = tx.send(Ok((start, std::mem::take(&mut pending))));
            }
        },
        move |e| {
            let text = match e.kind() {
                cpal::ErrorKind::Xrun => format!("xrun: {}", cpal_text(&e)),
                _ => cpal_text(&e),
            };
            let _ = err_tx.send(Err(text));
        },
        Some(BUILD_TIMEOUT),
    )
}

impl CaptureStream for CpalCapture {
    fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    fn rate(&self) -> u32 {
        self.rate
    }

    async fn next_block(&mut self) -> Result<(u64, Vec<i16>), AudioError> {
        match self.blocks.recv().await {
            Some(Ok(block)) => Ok(block),
            Some(Err(e)) => Err(AudioError::Stream {
                endpoint: self.endpoint.clone(),
                source: std::io::Error::other(e),
            }),
            None => Err(AudioError::Stream {
                endpoint: self.endpoint.clone(),
                source: std::io::Error::other("the capture stream ended"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lasting_step_in_the_capture_timestamps_is_an_xrun_and_jitter_is_not() {
        let rate = 16000;
        let mut watch = XrunWatch::default();
        // Timestamps a few ms either way, and one callback 60 ms late: no overrun.
        for r in [16.0, -40.0, 32.0, 960.0, -8.0, 24.0, 0.0, -64.0, 48.0] {
            assert_eq!(watch.note(r, rate), None, "{r}");
        }
        // 50 ms lost: the step holds, and the third callback after it says so.
        let lost: Vec<Option<f64>> = (0..4)
            .map(|i| watch.note(800.0 + f64::from(i), rate))
            .collect();
        assert_eq!(lost[..2], [None, None]);
        let ms = lost[2].expect("an overrun");
        assert!((ms - 50.0).abs() < 2.0, "{ms}");

        // A card clock 125 ppm off, over 10 minutes of 10 ms callbacks: a slope, no overrun.
        let mut drifting = XrunWatch::default();
        for i in 0..60_000u32 {
            let residual = f64::from(i) * 160.0 * 125e-6;
            assert_eq!(drifting.note(residual, rate), None, "callback {i}");
        }
    }

    #[test]
    fn anchoring_ignores_the_first_callback_and_outliers() {
        let mut a = Anchoring::default();
        // First callback: latency unknown, far off; then steady estimates with one outlier.
        assert_eq!(a.note(6.0, 0, 16000), None);
        let mut anchor = None;
        for (i, e) in [650.1, 650.0, 655.1, 649.9, 650.2, 650.0]
            .iter()
            .enumerate()
        {
            anchor = a.note(*e, 640 * (i as u64 + 1), 16000);
        }
        assert_eq!(anchor, Some(650));
    }

    #[test]
    fn the_schedule_fills_across_blocks_and_forgets_played_ones() {
        let mut st = PlayState {
            anchor: Some(100),
            ..PlayState::default()
        };
        st.queue.push_back((102, vec![1, 2, 3]));
        st.queue.push_back((106, vec![7, 8]));
        let mut out = [0i16; 6];
        st.fill(100, &mut out);
        assert_eq!(out, [0, 0, 1, 2, 3, 0]);
        assert_eq!(st.queue.len(), 1);
        let mut out = [0i16; 4];
        st.fill(106, &mut out);
        assert_eq!(out, [7, 8, 0, 0]);
        assert!(st.queue.is_empty());
    }

    #[test]
    fn prefers_mono_16k_i16() {
        let range = |ch, fmt, min, max| {
            SupportedStreamConfigRange::new(
                ch,
                min,
                max,
                SupportedBufferSize::Range { min: 1, max: 8192 },
                fmt,
            )
        };
        let c = choose(&[
            range(2, SampleFormat::I16, 8000, 96000),
            range(1, SampleFormat::I16, 8000, 96000),
        ])
        .unwrap();
        assert_eq!(
            (c.rate, c.channels, c.format, c.period),
            (16000, 1, SampleFormat::I16, Some(640))
        );
        let c = choose(&[range(2, SampleFormat::F32, 44100, 48000)]).unwrap();
        assert_eq!(
            (c.rate, c.channels, c.format),
            (48000, 2, SampleFormat::F32)
        );
        assert!(choose(&[range(2, SampleFormat::I16, 44100, 44100)]).is_none());
    }
}
