//! The handsets a run can use: from the built-in virtual lab or from a lab file.

use farend_audio::Endpoint;
use farend_device::{Connection, Handset, Timeouts};
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

/// One handset of the lab as the runner drives it: control, number and sound-card paths.
#[derive(Debug, Clone)]
pub struct LabHandset {
    /// The lab's name for this handset (the lab file's `id`, or `vh-N` in the virtual lab).
    pub id: String,
    /// The ADB serial (or `host:port` of a direct connection).
    pub serial: String,
    /// Its phone number, dialable.
    pub number: String,
    /// Call control over ADB.
    pub device: Handset,
    /// Where audio goes into its microphone.
    pub mic: Endpoint,
    /// Where audio from its earpiece comes out.
    pub ear: Endpoint,
    /// Known fixed latency of the microphone feed, subtracted from delays measured from it.
    pub mic_delay: Duration,
    /// Known fixed latency of the earpiece capture, subtracted from delays measured to it.
    pub ear_delay: Duration,
}

/// The handsets of a lab and where they were described.
#[derive(Debug, Clone)]
pub struct Lab {
    /// `virtual` for the built-in lab, `file` for a lab file.
    pub kind: String,
    /// The lab file's path, when there is one.
    pub source: Option<String>,
    /// All handsets, in lab order.
    pub handsets: Vec<LabHandset>,
    /// The built-in virtual lab behind the handsets, when it is one: the runner puts each
    /// case's calls on its network profile and collects their ground truth.
    pub virtual_lab: Option<std::sync::Arc<farend_lab::VirtualLab>>,
    /// Take each bound handset's bug report after a case that did not pass, within this
    /// time (the lab file's `evidence: { bugreport: on_failure }`); `None`: never.
    pub bug_report_on_failure: Option<Duration>,
}

/// Why the lab could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LabSetupError {
    /// A handset's audio endpoint could not be understood.
    #[error("handset {handset}: bad audio endpoint `{endpoint}`: {detail}")]
    Endpoint {
        /// The handset id.
        handset: String,
        /// The endpoint text.
        endpoint: String,
        /// What is wrong with it.
        detail: String,
    },
    /// An address in the lab file does not resolve.
    #[error("handset {handset}: cannot resolve `{address}`")]
    Address {
        /// The handset id.
        handset: String,
        /// The address text.
        address: String,
    },
    /// The virtual lab could not start.
    #[error("virtual lab: {0}")]
    Virtual(String),
}

fn resolve(handset: &str, address: &str) -> Result<SocketAddr, LabSetupError> {
    address
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| LabSetupError::Address {
            handset: handset.to_string(),
            address: address.to_string(),
        })
}

fn endpoint(handset: &str, text: &str) -> Result<Endpoint, LabSetupError> {
    text.parse::<Endpoint>()
        .map_err(|e| LabSetupError::Endpoint {
            handset: handset.to_string(),
            endpoint: text.to_string(),
            detail: e.to_string(),
        })
}

impl Lab {
    /// The handsets of a running virtual lab, driven straight over ADB-over-TCP.
    pub fn from_virtual(
        lab: &std::sync::Arc<farend_lab::VirtualLab>,
        timeouts: Timeouts,
    ) -> Result<Lab, LabSetupError> {
        let handsets = lab
            .handsets()
            .iter()
            .map(|h| {
                Ok(LabHandset {
                    id: h.id.clone(),
                    serial: h.serial.clone(),
                    number: h.number.clone(),
                    device: Handset::new(
                        h.id.clone(),
                        Connection::Direct { addr: h.adb_addr },
                        timeouts,
                    ),
                    mic: endpoint(&h.id, &h.mic)?,
                    ear: endpoint(&h.id, &h.ear)?,
                    mic_delay: Duration::ZERO,
                    ear_delay: Duration::ZERO,
                })
            })
            .collect::<Result<_, LabSetupError>>()?;
        Ok(Lab {
            kind: "virtual".into(),
            source: None,
            handsets,
            virtual_lab: Some(lab.clone()),
            bug_report_on_failure: None,
        })
    }

    /// The handsets a lab file describes; those with a serial go through its adb server.
    pub fn from_file(lab: &farend_scenario::Lab, timeouts: Timeouts) -> Result<Lab, LabSetupError> {
        let server = lab.adb_server.as_deref().unwrap_or("127.0.0.1:5037");
        let mut handsets = Vec::new();
        for h in &lab.handsets {
            let connection = match &h.access {
                farend_scenario::HandsetAccess::Serial(serial) => Connection::Server {
                    server: resolve(&h.id, server)?,
                    serial: serial.clone(),
                },
                farend_scenario::HandsetAccess::Connect(addr) => Connection::Direct {
                    addr: resolve(&h.id, addr)?,
                },
            };
            let serial = match &h.access {
                farend_scenario::HandsetAccess::Serial(s)
                | farend_scenario::HandsetAccess::Connect(s) => s.clone(),
            };
            handsets.push(LabHandset {
                id: h.id.clone(),
                serial,
                number: h.number.clone(),
                device: Handset::new(h.id.clone(), connection, timeouts),
                mic: endpoint(&h.id, &h.mic)?,
                ear: endpoint(&h.id, &h.ear)?,
                mic_delay: h.mic_delay,
                ear_delay: h.ear_delay,
            });
        }
        Ok(Lab {
            kind: "file".into(),
            source: Some(lab.path.display().to_string()),
            handsets,
            virtual_lab: None,
            bug_report_on_failure: lab.bug_report_on_failure,
        })
    }
}
