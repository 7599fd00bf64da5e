//! Mono 16-bit PCM buffers, WAV files and sample rate conversion.

use std::path::Path;
use std::time::Duration;

use crate::AudioError;

/// Mono 16-bit PCM audio at a sample rate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pcm {
    /// Sample rate in Hz.
    pub rate: u32,
    /// Samples, one per frame.
    pub samples: Vec<i16>,
}

impl Pcm {
    /// Wraps `samples` at `rate`.
    pub fn new(rate: u32, samples: Vec<i16>) -> Self {
        Pcm { rate, samples }
    }

    /// Samples as `f32` in −1.0..1.0 (divided by 32768).
    pub fn to_f32(&self) -> Vec<f32> {
        self.samples
            .iter()
            .map(|&s| f32::from(s) / 32768.0)
            .collect()
    }

    /// Converts `f32` samples (−1.0..1.0) to 16-bit, rounding and clipping to the i16 range.
    pub fn from_f32(rate: u32, samples: &[f32]) -> Self {
        Pcm {
            rate,
            samples: samples.iter().map(|&s| f32_to_i16(s)).collect(),
        }
    }

    /// Length in time (zero for a zero rate).
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.duration_s())
    }

    /// Length in seconds (zero for a zero rate).
    pub fn duration_s(&self) -> f64 {
        if self.rate == 0 {
            0.0
        } else {
            self.samples.len() as f64 / f64::from(self.rate)
        }
    }
}

fn f32_to_i16(s: f32) -> i16 {
    if s.is_nan() {
        return 0;
    }
    (f64::from(s) * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

/// Reads a WAV file: integer PCM of 8, 16, 24 or 32 bits or 32-bit float, any number of
/// channels (mixed down to mono by averaging), converted to 16-bit with rounding.
///
/// A sample rate outside [`WAV_RATES`] is refused: a header claiming 1 Hz would make every
/// later resampling to a working rate allocate thousands of times the file's size.
pub fn read_wav(path: impl AsRef<Path>) -> Result<Pcm, AudioError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| AudioError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode_wav(bytes, path)
}

/// Decodes the bytes of a WAV file as [`read_wav`] does; `path` names the file in errors.
pub fn decode_wav(bytes: Vec<u8>, path: &Path) -> Result<Pcm, AudioError> {
    let pcm = decode_wav_any_rate(bytes, path)?;
    if !WAV_RATES.contains(&pcm.rate) {
        return Err(AudioError::WavFormat {
            path: path.to_path_buf(),
            detail: format!(
                "sample rate {} Hz (farend reads {} to {} Hz)",
                pcm.rate,
                WAV_RATES.start(),
                WAV_RATES.end()
            ),
        });
    }
    Ok(pcm)
}

/// The sample rates [`read_wav`] accepts: from below narrowband telephony to high-resolution
/// studio audio.
pub const WAV_RATES: std::ops::RangeInclusive<u32> = 4000..=384_000;

fn decode_wav_any_rate(bytes: Vec<u8>, path: &Path) -> Result<Pcm, AudioError> {
    // The common file, 16-bit mono PCM, is taken straight from its bytes: converting it
    // sample by sample through the general path is a noticeable part of scoring a pair.
    if let Some(pcm) = pcm16_mono(&bytes) {
        return Ok(pcm);
    }
    let wav_err = |source| AudioError::Wav {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = hound::WavReader::new(std::io::Cursor::new(bytes)).map_err(|e| match e {
        hound::Error::IoError(source) => AudioError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => wav_err(other),
    })?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels);
    if channels == 0 || spec.sample_rate == 0 {
        return Err(AudioError::WavFormat {
            path: path.to_path_buf(),
            detail: format!("{} channels at {} Hz", spec.channels, spec.sample_rate),
        });
    }
    let values: Vec<f64> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
            let scale = 1.0 / f64::from(1u32 << (bits - 1));
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| f64::from(v) * scale))
                .collect::<Result<_, _>>()
                .map_err(wav_err)?
        }
        (hound::SampleFormat::Float, 32) => reader
            .samples::<f32>()
            .map(|s| s.map(f64::from))
            .collect::<Result<_, _>>()
            .map_err(wav_err)?,
        (format, bits) => {
            return Err(AudioError::WavFormat {
                path: path.to_path_buf(),
                detail: format!("{bits}-bit {format:?} samples"),
            });
        }
    };
    let samples = if channels == 1 {
        values.iter().map(|&v| f32_to_i16(v as f32)).collect()
    } else {
        values
            .chunks_exact(channels)
            .map(|frame| f32_to_i16((frame.iter().sum::<f64>() / channels as f64) as f32))
            .collect()
    };
    Ok(Pcm {
        rate: spec.sample_rate,
        samples,
    })
}

/// The samples of a plain 16-bit mono PCM WAV file (`fmt ` before `data`), or `None`.
fn pcm16_mono(bytes: &[u8]) -> Option<Pcm> {
    let u16_at =
        |b: &[u8], at: usize| Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?));
    let u32_at =
        |b: &[u8], at: usize| Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?));
    if bytes.get(0..4)? != b"RIFF" || bytes.get(8..12)? != b"WAVE" {
        return None;
    }
    let mut rate = None;
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let size = u32_at(bytes, at + 4)? as usize;
        let body = bytes.get(at + 8..(at + 8).checked_add(size)?)?;
        match &bytes[at..at + 4] {
            b"fmt " => {
                let plain = u16_at(body, 0)? == 1 && u16_at(body, 2)? == 1;
                let sixteen_bit = u16_at(body, 12)? == 2 && u16_at(body, 14)? == 16;
                if !(plain && sixteen_bit) {
                    return None;
                }
                rate = Some(u32_at(body, 4)?).filter(|&r| r > 0);
            }
            b"data" => {
                let samples = body
                    .chunks_exact(2)
                    .map(|s| i16::from_le_bytes([s[0], s[1]]))
                    .collect();
                return size.is_multiple_of(2).then_some(Pcm {
                    rate: rate?,
                    samples,
                });
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        at += 8 + size + (size & 1);
    }
    None
}

/// Writes `pcm` as a 16-bit mono WAV file.
pub fn write_wav(path: impl AsRef<Path>, pcm: &Pcm) -> Result<(), AudioError> {
    let path = path.as_ref();
    if pcm.rate == 0 {
        return Err(AudioError::WavFormat {
            path: path.to_path_buf(),
            detail: "sample rate 0".into(),
        });
    }
    let wav_err = |e| match e {
        hound::Error::IoError(source) => AudioError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => AudioError::Wav {
            path: path.to_path_buf(),
            source: other,
        },
    };
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: pcm.rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).map_err(wav_err)?;
    {
        let mut w = writer.get_i16_writer(pcm.samples.len() as u32);
        for &s in &pcm.samples {
            w.write_sample(s);
        }
        w.flush().map_err(wav_err)?;
    }
    writer.finalize().map_err(wav_err)
}

/// Converts `pcm` to `to_rate` Hz with `farend_dsp::resample` (rubato's windowed sinc, the
/// filter delay removed: output sample `j` lies at input time `j × rate / to_rate`, and the
/// output has `round(len × to_rate / rate)` samples). Returns a copy when the rates are
/// equal.
pub fn resample(pcm: &Pcm, to_rate: u32) -> Result<Pcm, AudioError> {
    if pcm.rate == to_rate {
        return Ok(pcm.clone());
    }
    if pcm.rate == 0 || to_rate == 0 {
        return Err(AudioError::Resample {
            from: pcm.rate,
            to: to_rate,
            detail: "sample rates must be positive".into(),
        });
    }
    let samples = farend_dsp::resample::resample(&pcm.to_f32(), pcm.rate, to_rate)
        .iter()
        .map(|&v| f32_to_i16(v))
        .collect();
    Ok(Pcm::new(to_rate, samples))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absurd_sample_rate_is_refused_with_the_file_named() {
        let dir = tempfile::tempdir().unwrap();
        for (rate, bits) in [(1u32, 16u16), (3999, 16), (1_000_000, 16), (1, 24)] {
            let path = dir.path().join(format!("rate-{rate}-{bits}.wav"));
            let spec = hound::WavSpec {
                channels: 1,
                sample_rate: rate,
                bits_per_sample: bits,
                sample_format: hound::SampleFormat::Int,
            };
            let mut w = hound::WavWriter::create(&path, spec).unwrap();
            (0..100).for_each(|_| w.write_sample(0i32).unwrap());
            w.finalize().unwrap();
            let err = read_wav(&path).expect_err("refused");
            let text = err.to_string();
            assert!(matches!(err, AudioError::WavFormat { .. }), "{text}");
            assert!(text.contains(&path.display().to_string()), "{text}");
            assert!(text.contains(&format!("sample rate {rate} Hz")), "{text}");
        }
        let ok = dir.path().join("ok.wav");
        write_wav(&ok, &Pcm::new(8000, vec![0; 80])).unwrap();
        assert_eq!(read_wav(&ok).unwrap().rate, 8000);
    }

    /// A WAV file's bytes as hound writes them.
    fn wav_bytes(channels: u16, samples: &[i16]) -> Vec<u8> {
        let spec = hound::WavSpec {
            channels,
            sample_rate: 16000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut cursor = std::io::Cursor::new(Vec::new());
        let mut writer = hound::WavWriter::new(&mut cursor, spec).expect("writer");
        samples
            .iter()
            .for_each(|&s| writer.write_sample(s).expect("sample"));
        writer.finalize().expect("finalize");
        cursor.into_inner()
    }

    #[test]
    fn plain_pcm16_mono_is_read_from_its_bytes_and_nothing_else_is() {
        let samples: Vec<i16> = (0..1000)
            .map(|i| ((i * 7919) % 65536 - 32768) as i16)
            .collect();
        let bytes = wav_bytes(1, &samples);
        let fast = pcm16_mono(&bytes).expect("plain 16-bit mono");
        assert_eq!((fast.rate, &fast.samples), (16000, &samples));
        assert!(
            pcm16_mono(&bytes[..bytes.len() - 1]).is_none(),
            "truncated data"
        );
        assert!(
            pcm16_mono(&wav_bytes(2, &samples)).is_none(),
            "two channels"
        );
    }
}
