//! The picture of one play for `report.html`: reference and recording side by side, each as
//! a waveform above a spectrogram, encoded as PNG. Text (titles, axes) stays in the HTML, so
//! no font is needed here.

/// Attachment kind of a play's picture in a case report.
pub const ATTACHMENT_KIND: &str = "plot";

/// What one side of the picture shows.
#[derive(Debug, Clone, Copy)]
pub struct PlotSignal<'a> {
    /// Samples in −1.0..1.0.
    pub samples: &'a [f32],
    /// Levels in dB re full scale, `columns[t][f]`, lowest frequency first (as
    /// `farend_dsp::spectrogram` gives them).
    pub spectrogram: &'a [Vec<f32>],
}

/// Width of one side in pixels, and the columns a spectrogram needs to fill it.
pub const SIDE_WIDTH: usize = 360;
/// Rows a spectrogram needs to fill the picture's spectrogram panel.
pub const SPECTROGRAM_ROWS: usize = 96;
const GAP: usize = 16;
const WAVE_HEIGHT: usize = 64;
const PANEL_GAP: usize = 4;
/// Levels shown: from this many dB below full scale (dark) to full scale (bright).
const RANGE_DB: f32 = 100.0;

/// Size of the picture in pixels (width, height).
pub fn play_png_size() -> (usize, usize) {
    (
        2 * SIDE_WIDTH + GAP,
        WAVE_HEIGHT + PANEL_GAP + SPECTROGRAM_ROWS,
    )
}

/// Palette index of the background.
const WHITE: u8 = 0;
/// Palette index of the waveform.
const WAVE: u8 = 1;
/// Palette index of the waveform's zero line.
const AXIS: u8 = 2;
/// Palette index of the darkest level; the scale's steps follow.
const FIRST_LEVEL: u8 = 3;
/// Steps of the level scale: fine enough for the eye, coarse enough to compress well.
const LEVELS: usize = 64;

/// The PNG bytes of the picture of `reference` (left) and `recording` (right).
pub fn play_png(reference: PlotSignal<'_>, recording: PlotSignal<'_>) -> Vec<u8> {
    let (width, height) = play_png_size();
    let mut pixels = vec![WHITE; width * height];
    for (side, signal) in [reference, recording].into_iter().enumerate() {
        let left = side * (SIDE_WIDTH + GAP);
        draw_waveform(&mut pixels, width, left, signal.samples);
        draw_spectrogram(
            &mut pixels,
            width,
            left,
            WAVE_HEIGHT + PANEL_GAP,
            signal.spectrogram,
        );
    }
    encode(&pixels, width, height)
}

fn put(pixels: &mut [u8], width: usize, x: usize, y: usize, index: u8) {
    pixels[y * width + x] = index;
}

/// Min and max of the samples under each pixel column, as a filled band around the middle.
fn draw_waveform(pixels: &mut [u8], width: usize, left: usize, samples: &[f32]) {
    let middle = WAVE_HEIGHT / 2;
    for x in 0..SIDE_WIDTH {
        put(pixels, width, left + x, middle, AXIS);
    }
    if samples.is_empty() {
        return;
    }
    let y_of = |v: f32| {
        let v = v.clamp(-1.0, 1.0);
        (((1.0 - v) * 0.5) * (WAVE_HEIGHT - 1) as f32).round() as usize
    };
    for x in 0..SIDE_WIDTH {
        let start = x * samples.len() / SIDE_WIDTH;
        let end = ((x + 1) * samples.len() / SIDE_WIDTH).max(start + 1);
        let Some(column) = samples.get(start..end.min(samples.len())) else {
            continue;
        };
        let (lo, hi) = column
            .iter()
            .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        if lo > hi {
            continue;
        }
        for y in y_of(hi)..=y_of(lo) {
            put(pixels, width, left + x, y, WAVE);
        }
    }
}

/// Time left to right, frequency bottom to top, level as colour.
fn draw_spectrogram(
    pixels: &mut [u8],
    width: usize,
    left: usize,
    top: usize,
    columns: &[Vec<f32>],
) {
    if columns.is_empty() {
        return;
    }
    for x in 0..SIDE_WIDTH {
        let column = &columns[x * columns.len() / SIDE_WIDTH];
        if column.is_empty() {
            continue;
        }
        for row in 0..SPECTROGRAM_ROWS {
            let level = column[row * column.len() / SPECTROGRAM_ROWS];
            let y = top + SPECTROGRAM_ROWS - 1 - row;
            put(pixels, width, left + x, y, level_index(level));
        }
    }
}

/// Palette index of a level in dB re full scale.
fn level_index(level_db: f32) -> u8 {
    let t = (level_db + RANGE_DB) / RANGE_DB;
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    FIRST_LEVEL + (t * (LEVELS - 1) as f32).round() as u8
}

/// The palette: background, waveform, zero line, then the level scale.
fn palette() -> Vec<u8> {
    let mut rgb = vec![255, 255, 255, 31, 78, 140, 200, 200, 200];
    for i in 0..LEVELS {
        rgb.extend(colour(i as f32 / (LEVELS - 1) as f32));
    }
    rgb
}

/// A dark-to-bright colour scale (black, violet, red, orange, pale yellow) for `t` in 0..=1.
fn colour(t: f32) -> [u8; 3] {
    const STOPS: [[f32; 3]; 5] = [
        [0.0, 0.0, 4.0],
        [81.0, 18.0, 124.0],
        [183.0, 55.0, 121.0],
        [252.0, 137.0, 97.0],
        [252.0, 253.0, 191.0],
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let scaled = t * (STOPS.len() - 1) as f32;
    let i = (scaled.floor() as usize).min(STOPS.len() - 2);
    let f = scaled - i as f32;
    let mut rgb = [0u8; 3];
    for (k, c) in rgb.iter_mut().enumerate() {
        *c = (STOPS[i][k] + f * (STOPS[i + 1][k] - STOPS[i][k])).round() as u8;
    }
    rgb
}

fn encode(pixels: &[u8], width: usize, height: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width as u32, height as u32);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_palette(palette());
    encoder.set_compression(png::Compression::High);
    // Writing to memory cannot fail, and the buffer has exactly width × height pixels.
    if let Ok(mut writer) = encoder.write_header() {
        let _ = writer.write_image_data(pixels);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (png::OutputInfo, Vec<u8>) {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().expect("a PNG");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("a frame");
        (info, buf)
    }

    #[test]
    fn the_picture_shows_each_side_where_it_belongs() {
        // Left: loud noise, bright spectrogram. Right: silence, dark spectrogram.
        let loud: Vec<f32> = (0..8000)
            .map(|n| if n % 2 == 0 { 0.9 } else { -0.9 })
            .collect();
        let quiet = vec![0.0f32; 8000];
        let bright = vec![vec![0.0f32; 40]; 50];
        let dark = vec![vec![-120.0f32; 40]; 50];
        let png_bytes = play_png(
            PlotSignal {
                samples: &loud,
                spectrogram: &bright,
            },
            PlotSignal {
                samples: &quiet,
                spectrogram: &dark,
            },
        );
        let (info, pixels) = decode(&png_bytes);
        let (width, height) = play_png_size();
        assert_eq!((info.width as usize, info.height as usize), (width, height));
        let at = |x: usize, y: usize| {
            let i = (y * width + x) * 3;
            [pixels[i], pixels[i + 1], pixels[i + 2]]
        };
        let blue = [31, 78, 140];
        // The loud waveform fills nearly the whole height; the silent one is a line.
        assert_eq!(at(10, 4), blue);
        assert_eq!(at(SIDE_WIDTH + GAP + 10, 4), [255, 255, 255]);
        assert_eq!(at(SIDE_WIDTH + GAP + 10, WAVE_HEIGHT / 2), blue);
        let spectrogram_y = WAVE_HEIGHT + PANEL_GAP + 10;
        assert_eq!(at(10, spectrogram_y), colour(1.0));
        assert_eq!(level_index(0.0), FIRST_LEVEL + (LEVELS - 1) as u8);
        assert_eq!(at(SIDE_WIDTH + GAP + 10, spectrogram_y), colour(0.0));
    }

    #[test]
    fn the_colour_scale_runs_from_dark_to_bright() {
        let lightness = |c: [u8; 3]| c.iter().map(|&v| u32::from(v)).sum::<u32>();
        let steps: Vec<u32> = (0..=10)
            .map(|i| lightness(colour(i as f32 / 10.0)))
            .collect();
        assert!(steps.windows(2).all(|w| w[0] < w[1]), "{steps:?}");
        assert_eq!(colour(f32::NAN), colour(0.0));
    }
}
