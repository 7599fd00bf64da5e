//! The report's picture of a play, drawn from the reference and the recording.

/// The report's picture of one play: reference and recording as waveform and spectrogram.
pub(crate) fn play_picture(reference: (&[f32], u32), recording: (&[f32], u32)) -> Vec<u8> {
    use farend_report::image::{PlotSignal, SIDE_WIDTH, SPECTROGRAM_ROWS, play_png};
    let spectrogram = |(samples, rate): (&[f32], u32)| {
        farend_dsp::spectrogram::spectrogram(samples, rate, SIDE_WIDTH, SPECTROGRAM_ROWS).columns
    };
    let (reference_columns, recording_columns) = (spectrogram(reference), spectrogram(recording));
    play_png(
        PlotSignal {
            samples: reference.0,
            spectrogram: &reference_columns,
        },
        PlotSignal {
            samples: recording.0,
            spectrogram: &recording_columns,
        },
    )
}
