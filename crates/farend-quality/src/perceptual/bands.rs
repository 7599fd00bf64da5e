//! The critical-band (Bark) layout of the perceptual model and the absolute hearing
//! threshold per band (P.862 §10.2.1; the band centres, widths and thresholds are the
//! published constants, see PROVENANCE.md).

/// Band centres in Hz. The first 42 bands serve 8 kHz signals; 16 kHz signals use all 49.
const CENTRE_HZ: [f64; 49] = [
    7.867213,
    31.634144,
    63.655895,
    96.124611,
    129.044968,
    162.421738,
    196.259659,
    230.563568,
    265.338348,
    300.588867,
    336.320129,
    372.53717,
    409.244934,
    446.448578,
    484.568604,
    526.600586,
    570.303833,
    619.42334,
    672.121643,
    728.525696,
    785.675964,
    846.835693,
    909.69165,
    977.063293,
    1049.861694,
    1129.635986,
    1217.257568,
    1312.109497,
    1412.501465,
    1517.99939,
    1628.894165,
    1746.194336,
    1871.568848,
    2008.776123,
    2158.979248,
    2326.743164,
    2513.787109,
    2722.48877,
    2952.58667,
    3205.835449,
    3492.679932,
    3820.219238,
    4193.938477,
    4619.846191,
    5100.437012,
    5636.199219,
    6234.313477,
    6946.734863,
    7796.473633,
];

/// Band centres on the Bark scale.
const CENTRE_BARK: [f64; 49] = [
    0.078672, 0.316341, 0.636559, 0.961246, 1.290450, 1.624217, 1.962597, 2.305636, 2.653383,
    3.005889, 3.363201, 3.725371, 4.092449, 4.464486, 4.841533, 5.223640, 5.610866, 6.003236,
    6.400774, 6.803533, 7.211570, 7.624959, 8.043749, 8.467995, 8.897762, 9.333109, 9.774093,
    10.220790, 10.673260, 11.131580, 11.595820, 12.066070, 12.542400, 13.024910, 13.513670,
    14.008780, 14.510300, 15.018350, 15.533000, 16.054350, 16.582500, 17.117550, 17.659620,
    18.208790, 18.765180, 19.328880, 19.899990, 20.478630, 21.064930,
];

/// Absolute hearing threshold per band, as a pitch power density.
const HEARING_THRESHOLD: [f64; 49] = [
    51286152.0,
    2454709.5,
    70794.59375,
    4897.788574,
    1174.897705,
    389.045166,
    104.71286,
    45.70882,
    17.782795,
    9.772372,
    4.897789,
    3.090296,
    1.905461,
    1.258925,
    0.977237,
    0.724436,
    0.562341,
    0.457088,
    0.389045,
    0.331131,
    0.295121,
    0.269153,
    0.25704,
    0.251189,
    0.251189,
    0.251189,
    0.251189,
    0.263027,
    0.288403,
    0.30903,
    0.338844,
    0.371535,
    0.398107,
    0.436516,
    0.467735,
    0.489779,
    0.501187,
    0.501187,
    0.512861,
    0.524807,
    0.524807,
    0.524807,
    0.512861,
    0.524807,
    0.630957,
    0.794328,
    1.0,
    1.584893,
    3.162278,
];

/// One critical band: the FFT bins it sums and its perceptual constants.
#[derive(Clone, Debug)]
pub struct Band {
    /// First FFT bin (inclusive).
    pub first_bin: usize,
    /// Last FFT bin (inclusive).
    pub last_bin: usize,
    /// Width on the Bark scale: the band's weight when integrating over frequency.
    pub width_bark: f64,
    /// Centre on the Bark scale.
    pub centre_bark: f64,
    /// Absolute hearing threshold (pitch power density).
    pub threshold: f64,
    /// Zwicker exponent for this band (raised below 4 Bark).
    pub zwicker_exponent: f64,
}

/// Zwicker's loudness exponent above 4 Bark.
const ZWICKER_EXPONENT: f64 = 0.23;

/// Band layout for an FFT of `fft_len` points at `rate` Hz.
pub fn layout(rate: u32) -> Vec<Band> {
    let count = if rate == 8000 { 42 } else { 49 };
    let fft_len = super::frame_len(rate);
    let hz_per_bin = rate as f64 / fft_len as f64;
    let max_bin = fft_len / 2;
    let edges = edges_hz();
    let first_bins: Vec<usize> = (0..count)
        .map(|i| {
            let past_edge = (edges[i] / hz_per_bin).ceil().max(0.0) as usize;
            (past_edge + bins_moved_up(i)).min(max_bin)
        })
        .collect();
    (0..count)
        .map(|i| {
            let centre_bark = CENTRE_BARK[i];
            let low_frequency_boost = (6.0 / (centre_bark + 2.0)).clamp(1.0, 2.0).powf(0.15);
            // Each band ends where the next begins; the top band takes the Nyquist bin too.
            let last_bin = first_bins.get(i + 1).map_or(max_bin, |next| next - 1);
            Band {
                first_bin: first_bins[i],
                last_bin: last_bin.max(first_bins[i]),
                width_bark: bark_width(i),
                centre_bark,
                threshold: HEARING_THRESHOLD[i],
                zwicker_exponent: ZWICKER_EXPONENT * low_frequency_boost,
            }
        })
        .collect()
}

/// Bands whose first FFT bin lies one bin above the first bin past the lower edge that
/// [`edges_hz`] gives. Settled against the oracle by a tone sweep, not by the text: a tone
/// 20 dB below the speech level, added to corpus speech at every half bin (15.6 Hz) from
/// 100 Hz to 3.9 kHz (narrowband) and 7.9 kHz (wideband), scores 0.2–0.5 MOS-LQO away from
/// the oracle where a band edge falls on the wrong side of a bin. Each band's first bin was
/// tried up to two bins either way and kept where the tones around it agreed best: four
/// moved, three of them at both rates (21, 23, 33) and band 47 of the wideband layout. Mean
/// |ΔMOS| over the sweep 0.047 → 0.022 (narrowband, 732 pairs) and 0.060 → 0.045 (wideband,
/// 1,500 pairs) (PROVENANCE.md, "Which bins a band sums").
fn bins_moved_up(band: usize) -> usize {
    usize::from(matches!(band, 21 | 23 | 33 | 47))
}

/// Edges of the bands in Hz: the bands tile the spectrum, each centre midway between its
/// edges, from 0 Hz up (the 42nd band of the 8 kHz layout then ends at 4001 Hz, which checks
/// the published centres).
fn edges_hz() -> [f64; 50] {
    let mut edges = [0.0; 50];
    for (i, centre) in CENTRE_HZ.iter().enumerate() {
        edges[i + 1] = 2.0 * centre - edges[i];
    }
    edges
}

/// Width of band `i` on the Bark scale, from the spacing of the published centres.
fn bark_width(i: usize) -> f64 {
    if i == 0 {
        return 2.0 * CENTRE_BARK[0];
    }
    // Centres are spaced by the mean of neighbouring widths: w[i] = 2 (c[i] - c[i-1]) - w[i-1].
    let mut width = 2.0 * CENTRE_BARK[0];
    for k in 1..=i {
        width = 2.0 * (CENTRE_BARK[k] - CENTRE_BARK[k - 1]) - width;
    }
    width
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fft_bin_belongs_to_exactly_one_band() {
        for rate in [8000, 16000] {
            let bands = layout(rate);
            assert_eq!(bands[0].first_bin, 0);
            for pair in bands.windows(2) {
                assert_eq!(pair[1].first_bin, pair[0].last_bin + 1, "{rate} Hz");
            }
            assert_eq!(
                bands.last().unwrap().last_bin,
                super::super::frame_len(rate) / 2
            );
        }
    }

    #[test]
    fn the_published_centres_tile_the_narrowband_spectrum_up_to_4_khz() {
        let top = edges_hz()[42];
        assert!((top - 4000.0).abs() < 2.0, "top edge {top} Hz");
    }

    #[test]
    fn bands_cover_the_spectrum_in_order() {
        for rate in [8000, 16000] {
            let bands = layout(rate);
            for pair in bands.windows(2) {
                assert!(pair[1].first_bin >= pair[0].first_bin);
                assert!(pair[1].centre_bark > pair[0].centre_bark);
                assert!(pair[1].width_bark > 0.1 && pair[1].width_bark < 0.7);
            }
        }
    }
}
