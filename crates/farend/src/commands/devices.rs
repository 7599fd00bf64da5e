//! `farend devices`: the lab's handsets, who they are and what they are doing.

use super::{CliError, Outcome};
use clap::Args;
use farend_device::ServiceState;
use farend_runner::Lab;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `farend devices`.
#[derive(Debug, Args)]
pub struct DevicesArgs {
    /// Lab file whose handsets to list; without one, the built-in virtual lab is started and listed.
    #[arg(long)]
    pub lab: Option<PathBuf>,
    /// Show phone numbers in full.
    #[arg(long)]
    pub no_redact: bool,
    /// Print JSON (one object per handset) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Virtual lab only: put the handsets on this network profile (built in or from the lab
    /// file's `network:`) before listing them, to see what they report on it.
    #[arg(long, value_name = "NAME")]
    pub network: Option<String>,
}

/// Runs `farend devices`.
pub fn run(args: DevicesArgs) -> Outcome {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::LabFault(format!("async runtime: {e}")))?;
    let lab_file = match &args.lab {
        Some(path) => Some(farend_scenario::load_lab(path).map_err(super::load_error)?),
        None => None,
    };
    // A lab file of `network:` profiles (and `virtual:`) describes the built-in virtual lab.
    let real_lab = lab_file.as_ref().filter(|f| !f.handsets.is_empty());
    let mut _virtual = None;
    let lab = match real_lab {
        Some(file) => {
            if args.network.is_some() {
                return Err(CliError::BadInput(
                    "--network applies to the virtual lab only; a lab of real handsets is on the network it is on".into(),
                ));
            }
            Lab::from_file(file, Default::default())
                .map_err(|e| CliError::BadInput(e.to_string()))?
        }
        None => {
            let profile = chosen_profile(lab_file.as_ref(), args.network.as_deref())?;
            let config = super::virtual_config(Default::default(), lab_file.as_ref());
            let vl = std::sync::Arc::new(
                farend_lab::VirtualLab::start(config)
                    .map_err(|e| CliError::LabFault(format!("virtual lab: {e}")))?,
            );
            if let Some(profile) = profile {
                for h in vl.handsets() {
                    vl.set_profile(&h.id, Some(profile.clone()))
                        .map_err(|e| CliError::BadInput(format!("network profile: {e}")))?;
                }
            }
            let lab = Lab::from_virtual(&vl, Default::default())
                .map_err(|e| CliError::LabFault(e.to_string()))?;
            _virtual = Some(vl);
            lab
        }
    };
    let mut offline = 0;
    if !args.json {
        crate::commands::print_line(&format!(
            "{:<8} {:<22} {:<16} {:<24} {:<8} {:<7} sims",
            "id", "serial", "number", "model", "android", "state"
        ));
    }
    let mut listed = Vec::new();
    runtime.block_on(async {
        for h in &lab.handsets {
            let number = if args.no_redact {
                h.number.clone()
            } else {
                farend_report::redact_number(&h.number)
            };
            let entry = describe(h, number).await;
            if entry["online"] != serde_json::Value::Bool(true) {
                offline += 1;
            }
            if !args.json {
                crate::commands::print_line(&table_row(&entry));
            }
            listed.push(entry);
        }
    });
    if args.json {
        let text = serde_json::to_string_pretty(&listed).unwrap_or_default();
        crate::commands::print_line(&text);
    }
    Ok(if offline == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

/// The profile `--network` names, among the built-in ones and the lab file's.
fn chosen_profile(
    lab_file: Option<&farend_scenario::Lab>,
    name: Option<&str>,
) -> Result<Option<farend_lab::NetworkProfile>, CliError> {
    let Some(name) = name else {
        return Ok(None);
    };
    let profiles = farend_runner::network::profiles(lab_file)
        .map_err(|e| CliError::BadInput(e.to_string()))?;
    let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
    match profiles.iter().find(|p| p.name == name) {
        Some(p) => Ok(Some(p.clone())),
        None => Err(CliError::BadInput(format!(
            "--network {name}: no such profile (known: {})",
            names.join(", ")
        ))),
    }
}

/// Everything `farend devices` says about one handset, as JSON.
async fn describe(h: &farend_runner::LabHandset, number: String) -> serde_json::Value {
    let identity = match h.device.identity().await {
        Ok(id) => id,
        Err(e) => {
            return serde_json::json!({
                "id": h.id, "serial": h.serial, "number": number, "bound": true,
                "online": false, "error": e.to_string(),
            });
        }
    };
    let call_state = h.device.call_state().await.map(|s| s.to_string()).ok();
    let sims: Vec<serde_json::Value> = match h.device.sims().await {
        Ok(sims) => sims
            .into_iter()
            .map(|(slot, service)| {
                serde_json::json!({
                    "slot": slot.slot,
                    "sim_state": slot.state,
                    "operator": service.as_ref().and_then(|s| s.operator.clone()).or(slot.operator),
                    "radio": service.as_ref().and_then(|s| s.radio.clone()).or(slot.radio),
                    "voice": service.as_ref().map(|s| s.voice.to_string()),
                    "voice_over_ps": service.as_ref().and_then(|s| s.voice_over_ps),
                    "ims_pdn": service.as_ref().and_then(|s| s.ims_pdn.clone()),
                    "volte": service.as_ref().and_then(ServiceState::volte),
                })
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    serde_json::json!({
        "id": h.id,
        "serial": h.serial,
        "number": number,
        "bound": true,
        "online": true,
        "model": identity.model,
        "manufacturer": identity.manufacturer,
        "android_release": identity.android_release,
        "sdk": identity.sdk,
        "call_state": call_state,
        "sims": sims,
    })
}

/// One table row of a handset's JSON description.
fn table_row(e: &serde_json::Value) -> String {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
    if e["online"] != serde_json::Value::Bool(true) {
        return format!(
            "{:<8} {:<22} {:<16} offline: {}",
            text(&e["id"]),
            text(&e["serial"]),
            text(&e["number"]),
            text(&e["error"])
        );
    }
    let sims: Vec<String> = e["sims"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|s| {
            let mut parts: Vec<String> = ["operator", "radio", "voice"]
                .iter()
                .filter_map(|k| s[*k].as_str().map(str::to_owned))
                .collect();
            // Voice over IMS is VoNR on NR, VoLTE elsewhere.
            let ims_voice = if s["radio"] == "NR" { "VoNR" } else { "VoLTE" };
            match s["volte"].as_bool() {
                Some(true) => parts.push(ims_voice.to_owned()),
                Some(false) => parts.push(format!("no {ims_voice}")),
                None => {}
            }
            let body = if parts.is_empty() {
                s["sim_state"].as_str().unwrap_or("?").to_lowercase()
            } else {
                parts.join(" ")
            };
            format!("{}: {body}", s["slot"].as_u64().unwrap_or(0) + 1)
        })
        .collect();
    format!(
        "{:<8} {:<22} {:<16} {:<24} {:<8} {:<7} {}",
        text(&e["id"]),
        text(&e["serial"]),
        text(&e["number"]),
        format!("{} {}", text(&e["manufacturer"]), text(&e["model"])),
        text(&e["android_release"]),
        text(&e["call_state"]),
        sims.join("; ")
    )
}
