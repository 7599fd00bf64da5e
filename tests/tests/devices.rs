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
    }
    let table = run(farend().arg("devices"));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.lines().next().unwrap().ends_with("sims"), "{text}");
    assert!(
        text.contains("1: ") && text.contains("in service"),
        "{text}"
    );
}
