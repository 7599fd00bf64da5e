//! Sample-rate conversion: the one resampler the analyses (DTMF, the quality scorer) and the
//! sound cards' reference playback use, built on rubato's windowed-sinc interpolator.
//!
//! The filter's delay is removed exactly, so output sample `j` lies at input time
//! `j × from / to` and the output has `round(len × to / from)` samples: a delay measured on
//! resampled audio is the delay of the original.
//!
//! ```
//! let x: Vec<f32> = (0..480).map(|n| (n as f32 * 0.1).sin() * 0.5).collect();
//! let y = farend_dsp::resample::resample(&x, 48_000, 8_000);
//! assert_eq!(y.len(), 80);
//! ```

use rubato::{
    Resampler, SincFixedIn, SincInterpolationParameters, SincInterpolationType, WindowFunction,
    calculate_cutoff,
};
use std::borrow::Cow;

/// Length of the windowed-sinc filter, in taps of the lower rate.
const SINC_LEN: usize = 128;
/// Filter tables per tap, read with linear interpolation between them (cubic gave the same
/// error on a 1 kHz tone, 0.3 % when doubling the rate, at twice the cost).
const OVERSAMPLING: usize = 256;
/// The window: Blackman-Harris squared, whose side lobes lie far below 16-bit audio.
const WINDOW: WindowFunction = WindowFunction::BlackmanHarris2;
/// Input chunk size fed to the resampler.
const CHUNK: usize = 1024;

/// `samples` at `from` Hz converted to `to` Hz; the input itself when the rates are equal,
/// and nothing when either rate is zero.
pub fn resample(samples: &[f32], from: u32, to: u32) -> Cow<'_, [f32]> {
    if from == to {
        return Cow::Borrowed(samples);
    }
    Cow::Owned(convert(samples, from, to).unwrap_or_default())
}

/// The conversion; `None` for a zero rate (rubato refuses nothing else this module asks).
fn convert(samples: &[f32], from: u32, to: u32) -> Option<Vec<f32>> {
    if from == 0 || to == 0 {
        return None;
    }
    let ratio = f64::from(to) / f64::from(from);
    let expected = (samples.len() as f64 * ratio).round() as usize;
    if expected == 0 {
        return Some(Vec::new());
    }
    let params = SincInterpolationParameters {
        sinc_len: SINC_LEN,
        f_cutoff: calculate_cutoff::<f32>(SINC_LEN, WINDOW),
        interpolation: SincInterpolationType::Linear,
        oversampling_factor: OVERSAMPLING,
        window: WINDOW,
    };
    let mut resampler = SincFixedIn::<f32>::new(ratio, 1.0, params, CHUNK, 1).ok()?;
    // SincFixedIn centres its filter: output k lies at input time (k + 1)/ratio - 1.
    // Prepending `pad` zeros (pad + 1 = from/g) makes that offset a whole number of output
    // samples (to/g - 1), which are skipped, so output j lies exactly at input j/ratio.
    let g = gcd(from, to);
    let pad = (from / g - 1) as usize;
    let skip = (to / g - 1) as usize;
    let mut input = vec![0.0f32; pad];
    input.extend_from_slice(samples);
    let mut out: Vec<f32> = Vec::with_capacity(expected + skip + 2 * CHUNK);
    let mut pos = 0;
    while out.len() < skip + expected {
        let block = if pos + CHUNK <= input.len() {
            let block = resampler.process(&[&input[pos..pos + CHUNK]], None);
            pos += CHUNK;
            block
        } else if pos < input.len() {
            let block = resampler.process_partial(Some(&[&input[pos..]]), None);
            pos = input.len();
            block
        } else {
            resampler.process_partial::<&[f32]>(None, None)
        }
        .ok()?;
        out.extend(block.into_iter().next()?);
    }
    out.drain(..skip);
    out.truncate(expected);
    Some(out)
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn tone(hz: f64, rate: u32, len: usize) -> Vec<f32> {
        (0..len)
            .map(|n| (0.5 * (2.0 * PI * hz * n as f64 / f64::from(rate)).sin()) as f32)
            .collect()
    }

    fn rms(x: &[f32]) -> f64 {
        (x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn a_tone_keeps_its_level_and_phase_and_an_alias_is_removed() {
        for (from, to) in [
            (48_000, 8_000),
            (44_100, 16_000),
            (8_000, 16_000),
            (16_000, 8_000),
        ] {
            let len = from as usize;
            let x = tone(1000.0, from, len);
            let y = resample(&x, from, to);
            assert_eq!(y.len(), to as usize, "{from} -> {to}");
            let ideal = tone(1000.0, to, to as usize);
            // Away from the ends, where the filter sees zeros.
            let middle = to as usize / 10..to as usize * 9 / 10;
            let error: Vec<f32> = middle.clone().map(|j| y[j] - ideal[j]).collect();
            let relative = rms(&error) / rms(&ideal[middle]);
            assert!(relative < 5e-3, "{from} -> {to}: {relative}");
            if to < from {
                // A tone above the new Nyquist frequency must not fold back into the band.
                let x = tone(f64::from(to) * 0.75, from, len);
                let high = resample(&x, from, to);
                let r = rms(&high[to as usize / 10..to as usize * 9 / 10]);
                assert!(r < 1e-3, "{from} -> {to}: {r}");
            }
        }
    }

    #[test]
    fn equal_rates_borrow_and_zero_rates_give_nothing() {
        let x = [0.1f32, 0.2, 0.3];
        assert!(matches!(resample(&x, 8000, 8000), Cow::Borrowed(_)));
        assert!(resample(&x, 0, 8000).is_empty());
        assert!(resample(&x, 8000, 0).is_empty());
        assert!(resample(&[], 8000, 16_000).is_empty());
    }
}
