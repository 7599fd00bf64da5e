//! `farend devices`: who each handset is and what its SIMs are doing, as a table and as JSON.

use farend_e2e::*;

#[test]
fn devices_lists_identity_and_each_sim_with_its_registration() {
    let out = run(farend().args(["devices", "--json"]));
    assert_eq!(out.status.code(), Some(0));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let list = list.as_array().expect("an array");
    assert!(list.len() >= 4, "{list:?}");
    for h in list {
        assert_eq!(h["online"], true, "{h}");
        assert!(h["model"].as_str().is_some_and(|m| !m.is_empty()), "{h}");
        assert!(h["sdk"].as_u64().is_some_and(|s| s >= 26), "{h}");
        assert!(
            !h["number"].as_str().unwrap().contains("42190000000"),
            "numbers are redacted: {h}"
        );
        let sims = h["sims"].as_array().expect("sims");
        assert!(!sims.is_empty(), "{h}");
        assert_eq!(sims[0]["voice"], "in service", "{h}");
        assert!(sims[0]["operator"].as_str().is_some(), "{h}");
        assert!(sims[0]["radio"].as_str().is_some(), "{h}");
        // The default network carries voice over IMS: VoPS offered, the IMS PDN up.
        assert_eq!(sims[0]["voice_over_ps"], true, "{h}");
        assert_eq!(sims[0]["ims_pdn"], "CONNECTED", "{h}");
        assert_eq!(sims[0]["volte"], true, "{h}");
    }
    let table = run(farend().arg("devices"));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.lines().next().unwrap().ends_with("sims"), "{text}");
    assert!(
        text.contains("1: ") && text.contains("in service VoLTE"),
        "{text}"
    );
}

#[test]
fn devices_on_a_network_profile_show_its_radio_and_whether_voice_goes_over_ims() {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("lab.yaml");
    std::fs::write(
        &lab,
        "network:\n  csfb: { codec: amr-nb, volte: false }\n  umts: { codec: amr-nb, radio: UMTS }\nvirtual: { handsets: 2 }\n",
    )
    .unwrap();
    let list = |network: &str| {
        let out = run(farend()
            .args(["devices", "--json", "--network", network, "--lab"])
            .arg(&lab));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let list = list.as_array().expect("an array").clone();
        assert_eq!(list.len(), 2, "the lab file's `virtual:` sets the handsets");
        list
    };
    for h in list("csfb") {
        let sim = &h["sims"][0];
        assert_eq!(
            (&sim["radio"], &sim["voice_over_ps"], &sim["volte"]),
            (&"LTE".into(), &false.into(), &false.into()),
            "{h}"
        );
    }
    for h in list("umts") {
        let sim = &h["sims"][0];
        assert_eq!(
            (&sim["radio"], &sim["ims_pdn"], &sim["volte"]),
            (&"UMTS".into(), &"NONE".into(), &false.into()),
            "{h}"
        );
    }
    let out = run(farend()
        .args(["devices", "--network", "nope", "--lab"])
        .arg(&lab));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("--network nope: no such profile (known: clean-g711"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
