//! The sound cards this machine offers, per cpal host, as `farend audio devices` lists them:
//! each device's endpoint name as a lab file writes it, and the rates and channel counts it
//! takes for playback (a handset's microphone feed) and capture (its earpiece).

use cpal::HostId;
use cpal::traits::{DeviceTrait, HostTrait};
use serde::Serialize;

/// Rates worth naming; a device's ranges are reported as those of these it accepts.
const COMMON_RATES: [u32; 8] = [8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000];

/// The hosts farend drives, by the endpoint prefix a lab file uses for them.
const HOSTS: [(HostId, &str); 2] = [(HostId::PulseAudio, "pulseaudio"), (HostId::Alsa, "alsa")];

/// One host's devices, or why it has none.
#[derive(Debug, Clone, Serialize)]
pub struct HostDevices {
    /// The endpoint prefix: `pulseaudio` or `alsa`.
    pub host: String,
    /// Why the host could not be asked (no PulseAudio server, no ALSA); `None` when it answered.
    pub error: Option<String>,
    /// Its devices, sorted by endpoint.
    pub devices: Vec<DeviceInfo>,
}

/// One device and what it takes.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceInfo {
    /// The endpoint a lab file names it by (`pulseaudio:lab_a_mic`, `alsa:hw:1,0`).
    pub endpoint: String,
    /// The host's description of it, when it gives one.
    pub description: Option<String>,
    /// What it takes as a playback device (a `mic:` endpoint); `None` if it plays nothing.
    pub playback: Option<Capabilities>,
    /// What it takes as a capture device (an `ear:` endpoint); `None` if it records nothing.
    pub capture: Option<Capabilities>,
}

/// Rates and channel counts of one direction of a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// The common rates it accepts (8, 16, 22.05, 24, 32, 44.1, 48 and 96 kHz), ascending.
    pub rates: Vec<u32>,
    /// The channel counts it offers, ascending.
    pub channels: Vec<u16>,
}

/// Asks every host farend drives for its devices.
pub fn list_devices() -> Vec<HostDevices> {
    HOSTS
        .iter()
        .map(|&(id, prefix)| match host_devices(id, prefix) {
            Ok(devices) => HostDevices {
                host: prefix.to_string(),
                error: None,
                devices,
            },
            Err(error) => HostDevices {
                host: prefix.to_string(),
                error: Some(error),
                devices: Vec::new(),
            },
        })
        .collect()
}

fn host_devices(id: HostId, prefix: &str) -> Result<Vec<DeviceInfo>, String> {
    let host = cpal::host_from_id(id).map_err(|e| crate::cpal_card::host_unavailable(id, &e))?;
    let mut devices: Vec<DeviceInfo> = host
        .devices()
        .map_err(|e| format!("cannot list devices: {e}"))?
        .filter_map(|device| {
            let name = device.id().ok()?.id().to_string();
            let playback = device
                .supported_output_configs()
                .ok()
                .and_then(|c| capabilities(c.map(|r| (r.channels(), r))));
            let capture = device
                .supported_input_configs()
                .ok()
                .and_then(|c| capabilities(c.map(|r| (r.channels(), r))));
            (playback.is_some() || capture.is_some()).then(|| DeviceInfo {
                endpoint: format!("{prefix}:{name}"),
                description: device.description().ok().map(|d| d.name().to_string()),
                playback,
                capture,
            })
        })
        .collect();
    devices.sort_by(|a, b| a.endpoint.cmp(&b.endpoint));
    devices.dedup_by(|a, b| a.endpoint == b.endpoint);
    Ok(devices)
}

/// The common rates and the channel counts of a direction's configuration ranges; `None`
/// when there are none.
fn capabilities(
    ranges: impl Iterator<Item = (u16, cpal::SupportedStreamConfigRange)>,
) -> Option<Capabilities> {
    let mut rates = Vec::new();
    let mut channels = Vec::new();
    let mut any = false;
    for (count, range) in ranges {
        any = true;
        channels.push(count);
        rates.extend(COMMON_RATES.iter().filter(|&&r| range.contains_rate(r)));
    }
    rates.sort_unstable();
    rates.dedup();
    channels.sort_unstable();
    channels.dedup();
    any.then_some(Capabilities { rates, channels })
}
