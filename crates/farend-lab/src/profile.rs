//! Identities of the virtual handsets: each one is modelled on a real Android phone.

/// The build and identity a virtual handset reports through `getprop` and its ADB banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// `ro.product.model`.
    pub model: &'static str,
    /// `ro.product.manufacturer`.
    pub manufacturer: &'static str,
    /// `ro.product.brand`.
    pub brand: &'static str,
    /// `ro.product.device`.
    pub device: &'static str,
    /// `ro.product.name`.
    pub name: &'static str,
    /// `ro.build.version.release`.
    pub release: &'static str,
    /// `ro.build.version.sdk`.
    pub sdk: u32,
    /// `ro.build.id`.
    pub build_id: &'static str,
    /// `ro.build.version.incremental`.
    pub incremental: &'static str,
    /// `ro.build.version.security_patch`.
    pub security_patch: &'static str,
    /// `gsm.operator.alpha` / `gsm.sim.operator.alpha`.
    pub operator: &'static str,
    /// `gsm.operator.numeric` (MCC+MNC).
    pub operator_numeric: &'static str,
    /// `ro.hardware`.
    pub hardware: &'static str,
    /// Number of SIM slots (`Phone Id` blocks in telephony.registry).
    pub sim_slots: usize,
}

impl Profile {
    /// `ro.build.fingerprint`, composed as Android composes it.
    pub fn fingerprint(&self) -> String {
        format!(
            "{}/{}/{}:{}/{}/{}:user/release-keys",
            self.brand, self.name, self.device, self.release, self.build_id, self.incremental
        )
    }
}

/// The built-in handset profiles, used in turn for vh-1, vh-2, ... (distinct for up to eight).
pub const PROFILES: &[Profile] = &[
    Profile {
        model: "Pixel 7",
        manufacturer: "Google",
        brand: "google",
        device: "panther",
        name: "panther",
        release: "14",
        sdk: 34,
        build_id: "AP2A.240805.005",
        incremental: "12025142",
        security_patch: "2024-08-05",
        operator: "Orange SK",
        operator_numeric: "23101",
        hardware: "panther",
        sim_slots: 1,
    },
    Profile {
        model: "SM-S911B",
        manufacturer: "samsung",
        brand: "samsung",
        device: "dm1q",
        name: "dm1qxxx",
        release: "14",
        sdk: 34,
        build_id: "UP1A.231005.007",
        incremental: "S911BXXS6CXG1",
        security_patch: "2024-07-01",
        operator: "Telekom SK",
        operator_numeric: "23102",
        hardware: "qcom",
        sim_slots: 2,
    },
    Profile {
        model: "Pixel 6a",
        manufacturer: "Google",
        brand: "google",
        device: "bluejay",
        name: "bluejay",
        release: "13",
        sdk: 33,
        build_id: "TQ3A.230901.001",
        incremental: "10750268",
        security_patch: "2023-09-05",
        operator: "O2 - SK",
        operator_numeric: "23106",
        hardware: "bluejay",
        sim_slots: 1,
    },
    Profile {
        model: "moto g84 5G",
        manufacturer: "motorola",
        brand: "motorola",
        device: "bangkk",
        name: "bangkk_g",
        release: "13",
        sdk: 33,
        build_id: "T1TCS33.21-29-3",
        incremental: "fb7b2c",
        security_patch: "2023-11-01",
        operator: "4ka",
        operator_numeric: "23103",
        hardware: "qcom",
        sim_slots: 1,
    },
    Profile {
        model: "Pixel 8",
        manufacturer: "Google",
        brand: "google",
        device: "shiba",
        name: "shiba",
        release: "14",
        sdk: 34,
        build_id: "AP1A.240505.004",
        incremental: "11583682",
        security_patch: "2024-05-05",
        operator: "Orange SK",
        operator_numeric: "23101",
        hardware: "shiba",
        sim_slots: 1,
    },
    Profile {
        model: "SM-A546B",
        manufacturer: "samsung",
        brand: "samsung",
        device: "a54x",
        name: "a54xnsxx",
        release: "13",
        sdk: 33,
        build_id: "TP1A.220624.014",
        incremental: "A546BXXS5AWJ3",
        security_patch: "2023-10-01",
        operator: "Telekom SK",
        operator_numeric: "23102",
        hardware: "s5e8835",
        sim_slots: 2,
    },
    Profile {
        model: "XQ-DQ72",
        manufacturer: "Sony",
        brand: "Sony",
        device: "XQ-DQ72",
        name: "XQ-DQ72_EEA",
        release: "13",
        sdk: 33,
        build_id: "67.1.A.2.118",
        incremental: "067001A002011800990453512",
        security_patch: "2023-09-01",
        operator: "O2 - SK",
        operator_numeric: "23106",
        hardware: "qcom",
        sim_slots: 1,
    },
    Profile {
        model: "CPH2449",
        manufacturer: "OnePlus",
        brand: "OnePlus",
        device: "OP594DL1",
        name: "CPH2449EEA",
        release: "14",
        sdk: 34,
        build_id: "UKQ1.230924.001",
        incremental: "U.R4T3.17d2c2d-1b8f0-1a42b",
        security_patch: "2024-06-01",
        operator: "4ka",
        operator_numeric: "23103",
        hardware: "qcom",
        sim_slots: 1,
    },
];

/// The profile of the handset at `index` (cycling through [`PROFILES`]).
pub fn profile(index: usize) -> &'static Profile {
    &PROFILES[index % PROFILES.len()]
}
