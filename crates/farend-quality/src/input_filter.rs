//! Input filtering (P.862 §10.1.2, P.862.2 §2): the listening device. Narrowband scoring
//! models a handset with the modified IRS receive characteristic; wideband scoring models
//! headphones with a flat response above 100 Hz.

use crate::spectrum::{Response, WholeSpectrum};

/// Modified IRS receive characteristic (dB).
const IRS_RECEIVE: Response = &[
    (0.0, -200.0),
    (50.0, -40.0),
    (100.0, -20.0),
    (125.0, -12.0),
    (160.0, -6.0),
    (200.0, 0.0),
    (250.0, 4.0),
    (300.0, 6.0),
    (350.0, 8.0),
    (400.0, 10.0),
    (500.0, 11.0),
    (600.0, 12.0),
    (700.0, 12.0),
    (800.0, 12.0),
    (1000.0, 12.0),
    (1300.0, 12.0),
    (1600.0, 12.0),
    (2000.0, 12.0),
    (2500.0, 12.0),
    (3000.0, 12.0),
    (3250.0, 12.0),
    (3500.0, 4.0),
    (4000.0, -200.0),
    (5000.0, -200.0),
    (6300.0, -200.0),
    (8000.0, -200.0),
];

/// Wideband listening: flat above 100 Hz.
const WIDEBAND: Response = &[(0.0, -500.0), (50.0, -500.0), (100.0, 0.0), (8000.0, 0.0)];

/// Which listening device the scores model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listening {
    /// A handset (narrowband, P.862).
    Handset,
    /// Headphones (wideband, P.862.2).
    Headphones,
}

/// The signal of `spectrum` scaled by `gain` and filtered through the listening device's
/// response.
pub fn apply(spectrum: WholeSpectrum, gain: f64, listening: Listening) -> Vec<f64> {
    let response = match listening {
        Listening::Handset => IRS_RECEIVE,
        Listening::Headphones => WIDEBAND,
    };
    spectrum.into_filtered(response, gain)
}
