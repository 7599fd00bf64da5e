//! Sound cards: endpoints, the streams behind them, and sample-accurate play-and-record.
//!
//! A sound card is reached through two stream traits, both counted in samples of one card
//! clock and never timed by the wall clock:
//!
//! * [`PlaybackStream`] reports `now` (the clock index of the next sample the card will
//!   play) and schedules samples at a given clock index;
//! * [`CaptureStream`] yields contiguous blocks stamped with the clock index of their first
//!   sample.
//!
//! [`play_and_record_on`] drives any pair of them: it schedules the reference at
//! `now + 100 ms` and cuts the recording from that same clock index, so the delay measured
//! between the two is the path's own. The virtual lab's cards ([`VirtualPlayback`],
//! [`VirtualCapture`]) speak the lab's TCP protocol; the lab's clock is shared by all its
//! handsets, so the two streams may belong to different handsets.
//!
//! Real cards (`pulseaudio:NAME`, `alsa:NAME`) go through cpal ([`CpalPlayback`],
//! [`CpalCapture`]): the output callback pops scheduled samples from a queue indexed by the
//! output frame counter (silence where nothing is scheduled), the input callback pushes
//! blocks stamped with the input frame counter, and the two counters are put on one clock
//! once, at start-up, through cpal's stream timestamps (see [`CardEpoch`]). For PulseAudio
//! the mic endpoint names a sink (farend plays into it) and the ear endpoint a source,
//! often a sink's monitor (`lab_b_ear.monitor`). A virtual card and a real one cannot be
//! paired in one play-and-record: their clocks have nothing in common.

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::cpal_card::{self, CardEpoch, CpalCapture, CpalPlayback};
use crate::{AudioError, Pcm, resample};

/// How far ahead of the card's `now` the reference is scheduled by default, in seconds:
/// three 20 ms lab ticks, ample for the schedule to cross loopback before its first sample
/// is due. Cards that buffer more say so through [`PlaybackStream::lead_samples`].
pub const PLAYBACK_LEAD_S: f64 = 0.06;

/// Protocol magic of the virtual sound card hello.
const MAGIC: &[u8; 4] = b"FVSC";
/// Protocol version spoken.
const VERSION: u16 = 1;
/// `kind` of a microphone port in the hello.
const KIND_MIC: u32 = 0;
/// `kind` of an earpiece port in the hello.
const KIND_EAR: u32 = 1;
/// Largest block accepted from or sent to a card, in samples (about 65 s at 16 kHz).
const MAX_BLOCK: u32 = 1 << 20;
/// Highest sample rate accepted in a hello.
const MAX_RATE: u32 = 768_000;

/// Where a handset's microphone or earpiece is wired.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// A virtual lab sound card port: `virtual:HOST:PORT`.
    Virtual(SocketAddr),
    /// A PulseAudio / PipeWire device: `pulseaudio:NAME` (not built in yet).
    PulseAudio(String),
    /// An ALSA device: `alsa:NAME` (not built in yet).
    Alsa(String),
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Virtual(a) => write!(f, "virtual:{a}"),
            Endpoint::PulseAudio(n) => write!(f, "pulseaudio:{n}"),
            Endpoint::Alsa(n) => write!(f, "alsa:{n}"),
        }
    }
}

impl Endpoint {
    /// Whether this is a virtual lab sound card (`virtual:HOST:PORT`).
    pub fn is_virtual(&self) -> bool {
        matches!(self, Endpoint::Virtual(_))
    }
}

impl FromStr for Endpoint {
    type Err = AudioError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| AudioError::BadEndpoint {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        let Some((scheme, rest)) = text.split_once(':') else {
            return Err(bad(
                "expected virtual:HOST:PORT, pulseaudio:DEVICE or alsa:DEVICE",
            ));
        };
        match scheme {
            "virtual" => {
                if let Ok(addr) = rest.parse::<SocketAddr>() {
                    if addr.port() == 0 {
                        return Err(bad("port must be 1-65535"));
                    }
                    return Ok(Endpoint::Virtual(addr));
                }
                let Some((host, port)) = rest.rsplit_once(':') else {
                    return Err(bad(
                        "expected virtual:HOST:PORT, e.g. virtual:127.0.0.1:7001",
                    ));
                };
                let port: u16 = match port.parse() {
                    Ok(p) if p > 0 => p,
                    _ => return Err(bad(&format!("port '{port}' is not a number 1-65535"))),
                };
                let ip: IpAddr = if host.eq_ignore_ascii_case("localhost") {
                    IpAddr::V4(Ipv4Addr::LOCALHOST)
                } else if host.is_empty() {
                    return Err(bad("missing host, e.g. virtual:127.0.0.1:7001"));
                } else {
                    host.trim_start_matches('[')
                        .trim_end_matches(']')
                        .parse()
                        .map_err(|_| {
                            bad(&format!("host '{host}' is not an IP address or localhost"))
                        })?
                };
                Ok(Endpoint::Virtual(SocketAddr::new(ip, port)))
            }
            "pulseaudio" | "alsa" => {
                if rest.trim().is_empty() {
                    return Err(bad("missing device name"));
                }
                Ok(if scheme == "alsa" {
                    Endpoint::Alsa(rest.to_string())
                } else {
                    Endpoint::PulseAudio(rest.to_string())
                })
            }
            other => Err(bad(&format!(
                "unknown kind '{other}': expected virtual:HOST:PORT, pulseaudio:DEVICE or alsa:DEVICE"
            ))),
        }
    }
}

/// What one play-and-record (or record) produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// The recording: exactly the requested number of samples at the card rate, from
    /// `start_clock` on.
    pub recording: Pcm,
    /// The reference as played, at the card rate (empty for a plain [`record`]).
    pub reference: Pcm,
    /// Card clock index of the first sample of both `reference` and `recording`.
    pub start_clock: u64,
    /// Samples of the recording window that had already passed when the capture stream
    /// delivered them (filled with silence). Non-zero means the lead was too short.
    pub late_samples: u64,
}

/// The playback side of a sound card, counted in samples of the card clock.
pub trait PlaybackStream: Send {
    /// Name of the endpoint, for messages.
    fn endpoint(&self) -> String;
    /// Sample rate of the card.
    fn rate(&self) -> u32;
    /// How far ahead of `now` a schedule must start to be played whole, in samples.
    fn lead_samples(&self) -> u64 {
        (PLAYBACK_LEAD_S * f64::from(self.rate())).round() as u64
    }
    /// Clock index of the next sample the card will play (waits for a fresh report).
    fn now(&mut self) -> impl Future<Output = Result<u64, AudioError>> + Send;
    /// Schedules `samples` to be played from clock index `start` on.
    fn schedule(
        &mut self,
        start: u64,
        samples: &[i16],
    ) -> impl Future<Output = Result<(), AudioError>> + Send;
    /// The error the stream has reported since it opened, if any (a real card that ran dry
    /// while playing): checked when a play ends, since nothing waits on the playback side
    /// while the recording is collected.
    fn fault(&mut self) -> Result<(), AudioError> {
        Ok(())
    }
}

/// The capture side of a sound card, counted in samples of the card clock.
pub trait CaptureStream: Send {
    /// Name of the endpoint, for messages.
    fn endpoint(&self) -> String;
    /// Sample rate of the card.
    fn rate(&self) -> u32;
    /// The next block of captured samples and the clock index of its first sample.
    /// Consecutive blocks are contiguous.
    fn next_block(&mut self) -> impl Future<Output = Result<(u64, Vec<i16>), AudioError>> + Send;
}

/// Connects to a virtual card port and checks its hello; returns the stream and rate.
async fn connect_virtual(addr: SocketAddr, want_kind: u32) -> Result<(TcpStream, u32), AudioError> {
    let endpoint = Endpoint::Virtual(addr).to_string();
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|source| AudioError::Connect {
            endpoint: endpoint.clone(),
            source,
        })?;
    // Blocks are small and latency matters more than throughput.
    let _ = stream.set_nodelay(true);
    let mut hello = [0u8; 16];
    stream
        .read_exact(&mut hello)
        .await
        .map_err(|source| AudioError::Stream {
            endpoint: endpoint.clone(),
            source,
        })?;
    let proto = |detail: String| AudioError::Protocol {
        endpoint: endpoint.clone(),
        detail,
    };
    if &hello[0..4] != MAGIC {
        return Err(proto(format!(
            "bad hello magic {:02x?} (not a farend virtual sound card?)",
            &hello[0..4]
        )));
    }
    let version = u16::from_le_bytes([hello[4], hello[5]]);
    let channels = u16::from_le_bytes([hello[6], hello[7]]);
    let rate = u32::from_le_bytes([hello[8], hello[9], hello[10], hello[11]]);
    let kind = u32::from_le_bytes([hello[12], hello[13], hello[14], hello[15]]);
    if version != VERSION {
        return Err(proto(format!(
            "protocol version {version}, expected {VERSION}"
        )));
    }
    if channels != 1 {
        return Err(proto(format!("{channels} channels, expected 1")));
    }
    if rate == 0 || rate > MAX_RATE {
        return Err(proto(format!("sample rate {rate} Hz out of range")));
    }
    if kind != want_kind {
        let name = |k| match k {
            KIND_MIC => "mic".to_string(),
            KIND_EAR => "ear".to_string(),
            k => format!("kind {k}"),
        };
        return Err(proto(format!(
            "this is the {} port, expected the {} port",
            name(kind),
            name(want_kind)
        )));
    }
    Ok((stream, rate))
}

/// Playback into a virtual handset's microphone port.
#[derive(Debug)]
pub struct VirtualPlayback {
    endpoint: String,
    rate: u32,
    writer: OwnedWriteHalf,
    now_rx: watch::Receiver<Option<u64>>,
    reader: JoinHandle<()>,
}

impl VirtualPlayback {
    /// Connects to a virtual mic port and starts reading its clock reports.
    pub async fn connect(addr: SocketAddr) -> Result<Self, AudioError> {
        let (stream, rate) = connect_virtual(addr, KIND_MIC).await?;
        let (read, writer) = stream.into_split();
        let (tx, now_rx) = watch::channel(None);
        let reader = tokio::spawn(read_clock_reports(read, tx));
        Ok(VirtualPlayback {
            endpoint: Endpoint::Virtual(addr).to_string(),
            rate,
            writer,
            now_rx,
            reader,
        })
    }
}

/// Reads the mic port's `now` reports until the stream ends (keeps the socket drained).
async fn read_clock_reports(mut read: OwnedReadHalf, tx: watch::Sender<Option<u64>>) {
    let mut buf = [0u8; 8];
    while read.read_exact(&mut buf).await.is_ok() {
        if tx.send(Some(u64::from_le_bytes(buf))).is_err() {
            break;
        }
    }
}

impl Drop for VirtualPlayback {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl PlaybackStream for VirtualPlayback {
    fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    fn rate(&self) -> u32 {
        self.rate
    }

    async fn now(&mut self) -> Result<u64, AudioError> {
        loop {
            if self.now_rx.changed().await.is_err() {
                return Err(AudioError::Stream {
                    endpoint: self.endpoint.clone(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "mic port closed",
                    ),
                });
            }
            if let Some(now) = *self.now_rx.borrow_and_update() {
                return Ok(now);
            }
        }
    }

    async fn schedule(&mut self, start: u64, samples: &[i16]) -> Result<(), AudioError> {
        let io = |source| AudioError::Stream {
            endpoint: self.endpoint.clone(),
            source,
        };
        for (i, chunk) in samples.chunks(MAX_BLOCK as usize).enumerate() {
            let mut msg = Vec::with_capacity(12 + 2 * chunk.len());
            msg.extend_from_slice(&(start + (i * MAX_BLOCK as usize) as u64).to_le_bytes());
            msg.extend_from_slice(&(chunk.len() as u32).to_le_bytes());
            for s in chunk {
                msg.extend_from_slice(&s.to_le_bytes());
            }
            self.writer.write_all(&msg).await.map_err(io)?;
        }
        self.writer.flush().await.map_err(io)
    }
}

/// Capture from a virtual handset's earpiece port.
#[derive(Debug)]
pub struct VirtualCapture {
    endpoint: String,
    rate: u32,
    stream: TcpStream,
}

impl VirtualCapture {
    /// Connects to a virtual ear port.
    pub async fn connect(addr: SocketAddr) -> Result<Self, AudioError> {
        let (stream, rate) = connect_virtual(addr, KIND_EAR).await?;
        Ok(VirtualCapture {
            endpoint: Endpoint::Virtual(addr).to_string(),
            rate,
            stream,
        })
    }
}

impl CaptureStream for VirtualCapture {
    fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    fn rate(&self) -> u32 {
        self.rate
    }

    async fn next_block(&mut self) -> Result<(u64, Vec<i16>), AudioError> {
        let io = |source| AudioError::Stream {
            endpoint: self.endpoint.clone(),
            source,
        };
        let mut head = [0u8; 12];
        self.stream.read_exact(&mut head).await.map_err(io)?;
        let start = u64::from_le_bytes(head[0..8].try_into().unwrap_or([0; 8]));
        let n = u32::from_le_bytes(head[8..12].try_into().unwrap_or([0; 4]));
        if n > MAX_BLOCK {
            return Err(AudioError::Protocol {
                endpoint: self.endpoint.clone(),
                detail: format!("block of {n} samples exceeds the limit of {MAX_BLOCK}"),
            });
        }
        let mut data = vec![0u8; n as usize * 2];
        self.stream.read_exact(&mut data).await.map_err(io)?;
        let samples = data
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        Ok((start, samples))
    }
}

/// Collects `len` samples from `cap` starting at clock `from`
/// (`None`: from the first block received). Returns (start, samples, late).
async fn collect<C: CaptureStream>(
    cap: &mut C,
    from: Option<u64>,
    len: usize,
) -> Result<(u64, Vec<i16>, u64), AudioError> {
    let mut out: Vec<i16> = Vec::with_capacity(len);
    let mut start = from;
    let mut late = 0u64;
    let mut expect_next: Option<u64> = None;
    while out.len() < len {
        let (block_start, block) = cap.next_block().await?;
        if let Some(next) = expect_next
            && next != block_start
        {
            return Err(AudioError::Protocol {
                endpoint: cap.endpoint(),
                detail: format!("blocks not contiguous: expected clock {next}, got {block_start}"),
            });
        }
        let block_end = block_start + block.len() as u64;
        expect_next = Some(block_end);
        let t0 = *start.get_or_insert(block_start);
        let want_at = t0 + out.len() as u64;
        if block_end <= want_at {
            continue;
        }
        if block_start > want_at {
            // The window began before this stream delivered anything: the gap is lost.
            let missing = ((block_start - want_at) as usize).min(len - out.len());
            out.resize(out.len() + missing, 0);
            late += missing as u64;
        }
        let want_at = t0 + out.len() as u64;
        if block_end <= want_at {
            continue;
        }
        let skip = (want_at - block_start) as usize;
        let take = (block.len() - skip).min(len - out.len());
        out.extend_from_slice(&block[skip..skip + take]);
    }
    Ok((start.unwrap_or(0), out, late))
}

/// Plays `reference` on `play` and records `record_samples` from `cap`, both from the same
/// clock index `now + lead` (see the module docs and [`PlaybackStream::lead_samples`]). The reference is resampled to the card
/// rate when needed. No timeout is applied here.
pub async fn play_and_record_on<P: PlaybackStream, C: CaptureStream>(
    play: &mut P,
    cap: &mut C,
    reference: &Pcm,
    record_samples: usize,
) -> Result<Capture, AudioError> {
    let rate = play.rate();
    if cap.rate() != rate {
        return Err(AudioError::Protocol {
            endpoint: format!("{} / {}", play.endpoint(), cap.endpoint()),
            detail: format!(
                "playback runs at {rate} Hz but capture at {} Hz",
                cap.rate()
            ),
        });
    }
    // Resampling is CPU work: keep it off the async workers, and before reading `now`.
    let reference = if reference.rate == rate {
        reference.clone()
    } else {
        let original = reference.clone();
        tokio::task::spawn_blocking(move || resample(&original, rate))
            .await
            .map_err(|e| AudioError::Invalid(format!("resampling task failed: {e}")))??
    };
    let lead = play.lead_samples();
    let t0 = play.now().await? + lead;
    play.schedule(t0, &reference.samples).await?;
    let (start, samples, late) = collect(cap, Some(t0), record_samples).await?;
    let capture = Capture {
        recording: Pcm::new(rate, samples),
        reference,
        start_clock: start,
        late_samples: late,
    };
    match play.fault() {
        Ok(()) => Ok(capture),
        Err(e) => Err(AudioError::PlaybackFailed {
            source: Box::new(e),
            capture: Box::new(capture),
        }),
    }
}

/// Records `samples` samples from `cap`, starting with the next block it delivers.
pub async fn record_on<C: CaptureStream>(
    cap: &mut C,
    samples: usize,
) -> Result<Capture, AudioError> {
    let rate = cap.rate();
    let (start, recording, late) = collect(cap, None, samples).await?;
    Ok(Capture {
        recording: Pcm::new(rate, recording),
        reference: Pcm::new(rate, Vec::new()),
        start_clock: start,
        late_samples: late,
    })
}

/// The error for a mic and ear that cannot share a clock.
/// Checks that `mic` and `ear` can be used together: both virtual lab cards or both real
/// ones ([`AudioError::MixedEndpoints`] otherwise).
pub fn check_pair(mic: &Endpoint, ear: &Endpoint) -> Result<(), AudioError> {
    if mic.is_virtual() == ear.is_virtual() {
        Ok(())
    } else {
        Err(mixed(mic, ear))
    }
}

fn mixed(mic: &Endpoint, ear: &Endpoint) -> AudioError {
    AudioError::MixedEndpoints {
        mic: mic.to_string(),
        ear: ear.to_string(),
    }
}

/// Plays `reference` into the `mic` endpoint and records `record_samples` samples (at the
/// card rate) from the `ear` endpoint, sample-accurately from the same clock index.
///
/// The whole operation (connecting included) must finish within `timeout`, else
/// [`AudioError::Timeout`]; since the cards run in real time, allow at least
/// `record_samples / rate + PLAYBACK_LEAD_S` plus some margin (real cards also take about
/// half a second to open and put their clocks in step).
pub async fn play_and_record(
    mic: &Endpoint,
    ear: &Endpoint,
    reference: &Pcm,
    record_samples: usize,
    timeout: Duration,
) -> Result<Capture, AudioError> {
    play_and_record_len(mic, ear, reference, |_| record_samples, timeout).await
}

/// Like [`play_and_record`], but records `record` long at whatever rate the cards run
/// (real cards choose theirs when opened).
pub async fn play_and_record_for(
    mic: &Endpoint,
    ear: &Endpoint,
    reference: &Pcm,
    record: Duration,
    timeout: Duration,
) -> Result<Capture, AudioError> {
    let len = |rate: u32| (record.as_secs_f64() * f64::from(rate)).ceil() as usize;
    play_and_record_len(mic, ear, reference, len, timeout).await
}

/// [`play_and_record`] with the recording length given as a function of the card rate.
async fn play_and_record_len(
    mic: &Endpoint,
    ear: &Endpoint,
    reference: &Pcm,
    record_samples: impl FnOnce(u32) -> usize,
    timeout: Duration,
) -> Result<Capture, AudioError> {
    if reference.rate == 0 {
        return Err(AudioError::Invalid(
            "reference has a sample rate of 0 Hz".into(),
        ));
    }
    let work = async {
        match (mic, ear) {
            (Endpoint::Virtual(mic_addr), Endpoint::Virtual(ear_addr)) => {
                // Both ports before the clock is read; ear frames wait in the socket until
                // the recording window starts.
                let mut play = VirtualPlayback::connect(*mic_addr).await?;
                let mut cap = VirtualCapture::connect(*ear_addr).await?;
                let len = record_samples(play.rate());
                play_and_record_on(&mut play, &mut cap, reference, len).await
            }
            (m, e) if cpal_card::is_cpal(m) && cpal_card::is_cpal(e) => {
                // One epoch for both streams puts their anchors on one clock; opening them
                // together halves the warm-up.
                let epoch = CardEpoch::new();
                let (mut play, mut cap) =
                    tokio::try_join!(CpalPlayback::open(m, epoch), CpalCapture::open(e, epoch))?;
                let len = record_samples(play.rate());
                play_and_record_on(&mut play, &mut cap, reference, len).await
            }
            (m, e) => Err(mixed(m, e)),
        }
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| AudioError::Timeout {
            endpoint: format!("mic {mic}, ear {ear}"),
            after: timeout,
        })?
}

/// Records `samples` samples (at the card rate) from the `ear` endpoint, starting with the
/// next block it delivers; the returned [`Capture`] has an empty `reference`.
pub async fn record(
    ear: &Endpoint,
    samples: usize,
    timeout: Duration,
) -> Result<Capture, AudioError> {
    let work = async {
        match ear {
            Endpoint::Virtual(addr) => {
                let mut cap = VirtualCapture::connect(*addr).await?;
                record_on(&mut cap, samples).await
            }
            real => {
                let mut cap = CpalCapture::open(real, CardEpoch::new()).await?;
                record_on(&mut cap, samples).await
            }
        }
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| AudioError::Timeout {
            endpoint: ear.to_string(),
            after: timeout,
        })?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_endpoints() {
        let e: Endpoint = "virtual:127.0.0.1:7001".parse().unwrap();
        assert_eq!(e, Endpoint::Virtual("127.0.0.1:7001".parse().unwrap()));
        assert_eq!(e.to_string(), "virtual:127.0.0.1:7001");
        let e: Endpoint = "virtual:localhost:80".parse().unwrap();
        assert_eq!(e.to_string(), "virtual:127.0.0.1:80");
        let e: Endpoint = "virtual:[::1]:9000".parse().unwrap();
        assert_eq!(e.to_string(), "virtual:[::1]:9000");
        let e: Endpoint = "pulseaudio:lab_a_ear.monitor".parse().unwrap();
        assert_eq!(e, Endpoint::PulseAudio("lab_a_ear.monitor".into()));
        let e: Endpoint = "alsa:hw:1,0".parse().unwrap();
        assert_eq!(e, Endpoint::Alsa("hw:1,0".into()));
        assert_eq!(e.to_string(), "alsa:hw:1,0");
    }

    #[test]
    fn endpoint_errors_explain() {
        for (text, needle) in [
            ("127.0.0.1:7001", "expected virtual:HOST:PORT"),
            ("virtual:127.0.0.1", "expected virtual:HOST:PORT"),
            ("virtual:127.0.0.1:0", "1-65535"),
            ("virtual:127.0.0.1:99999", "1-65535"),
            ("virtual:127.0.0.1:ab", "'ab'"),
            ("virtual:example.com:80", "not an IP address"),
            ("virtual::80", "missing host"),
            ("jack:system", "unknown kind 'jack'"),
            ("pulseaudio:", "missing device name"),
        ] {
            let err = text.parse::<Endpoint>().unwrap_err().to_string();
            assert!(err.contains(text) && err.contains(needle), "{text}: {err}");
        }
    }

    /// A playback stream that accepts everything and then reports that it ran dry.
    struct RanDry;

    impl PlaybackStream for RanDry {
        fn endpoint(&self) -> String {
            "alsa:hw:9,0".into()
        }
        fn rate(&self) -> u32 {
            8000
        }
        async fn now(&mut self) -> Result<u64, AudioError> {
            Ok(1000)
        }
        async fn schedule(&mut self, _start: u64, _samples: &[i16]) -> Result<(), AudioError> {
            Ok(())
        }
        fn fault(&mut self) -> Result<(), AudioError> {
            Err(AudioError::Stream {
                endpoint: self.endpoint(),
                source: std::io::Error::other("underrun: 240 frames of silence played"),
            })
        }
    }

    /// A capture stream counting up from clock 0 in blocks of 160 samples.
    struct Counting(u64);

    impl CaptureStream for Counting {
        fn endpoint(&self) -> String {
            "alsa:hw:9,0".into()
        }
        fn rate(&self) -> u32 {
            8000
        }
        async fn next_block(&mut self) -> Result<(u64, Vec<i16>), AudioError> {
            let start = self.0;
            self.0 += 160;
            Ok((start, (start..start + 160).map(|v| v as i16).collect()))
        }
    }

    #[tokio::test]
    async fn a_play_whose_card_ran_dry_fails_and_keeps_its_recording() {
        let reference = Pcm::new(8000, vec![100; 800]);
        let err = play_and_record_on(&mut RanDry, &mut Counting(0), &reference, 1200)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("underrun"), "{err}");
        let AudioError::PlaybackFailed { capture, .. } = err else {
            panic!("not a playback failure: {err}");
        };
        // The recording is the whole window, from the clock the reference was scheduled at.
        let t0 = 1000 + RanDry.lead_samples();
        assert_eq!(capture.start_clock, t0);
        assert_eq!(capture.recording.samples.len(), 1200);
        assert_eq!(capture.recording.samples[0], t0 as i16);
        assert_eq!(capture.reference.samples, reference.samples);
    }

    #[tokio::test]
    async fn virtual_and_real_cards_do_not_pair() {
        let mic: Endpoint = "pulseaudio:a_mic".parse().unwrap();
        let ear: Endpoint = "virtual:127.0.0.1:9".parse().unwrap();
        let pcm = Pcm::new(8000, vec![0; 8]);
        for (m, e) in [(&mic, &ear), (&ear, &mic)] {
            assert!(check_pair(m, e).is_err());
            let err = play_and_record(m, e, &pcm, 8, Duration::from_secs(1))
                .await
                .unwrap_err();
            assert!(
                matches!(err, AudioError::MixedEndpoints { ref mic, ref ear }
                    if m.to_string() == *mic && e.to_string() == *ear),
                "{err}"
            );
        }
    }
}
