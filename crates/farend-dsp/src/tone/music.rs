//! Music-like test material (chords, arpeggios, synth leads and bass) for talk-off tests.

use std::f64::consts::TAU;

/// Small reproducible pseudo-random source (xorshift64).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self((seed ^ 0xD1B5_4A32_D192_ED03).max(1))
    }
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
    fn pick(&mut self, n: usize) -> usize {
        ((self.next() * n as f64) as usize).min(n.saturating_sub(1))
    }
}

/// Timbre of a synth voice.
#[derive(Clone, Copy)]
enum Timbre {
    Sine,
    Saw,
    Square,
    Triangle,
    Organ,
}

/// Adds one note: fundamental `f0` (Hz), `amp`, from sample `start` for `len` samples, with an
/// attack/decay/sustain/release envelope and optional vibrato.
#[allow(clippy::too_many_arguments)]
fn add_note(
    out: &mut [f32],
    rate: f64,
    start: usize,
    len: usize,
    f0: f64,
    amp: f64,
    timbre: Timbre,
    vibrato: f64,
) {
    let nyq = rate / 2.0 * 0.95;
    let partials: Vec<(f64, f64)> = match timbre {
        Timbre::Sine => vec![(1.0, 1.0)],
        Timbre::Saw => (1..=20).map(|k| (k as f64, 1.0 / k as f64)).collect(),
        Timbre::Square => (1..=20)
            .step_by(2)
            .map(|k| (k as f64, 1.0 / k as f64))
            .collect(),
        Timbre::Triangle => (1..=15)
            .step_by(2)
            .map(|k| (k as f64, 1.0 / (k * k) as f64))
            .collect(),
        Timbre::Organ => vec![
            (1.0, 1.0),
            (2.0, 0.5),
            (3.0, 0.35),
            (4.0, 0.25),
            (6.0, 0.15),
            (8.0, 0.1),
        ],
    };
    let attack = (0.01 * rate) as usize + 1;
    let release = (0.05 * rate) as usize + 1;
    let end = (start + len).min(out.len());
    let mut phase = 0.0f64;
    for (i, s) in out[start.min(end)..end].iter_mut().enumerate() {
        let t = i as f64 / rate;
        let env = if i < attack {
            i as f64 / attack as f64
        } else if i + release > len {
            (len - i) as f64 / release as f64
        } else {
            0.7 + 0.3 * (-(t - attack as f64 / rate) * 4.0).exp()
        };
        let f = f0 * (1.0 + vibrato * (TAU * 5.5 * t).sin());
        phase += TAU * f / rate;
        let mut v = 0.0;
        for &(k, a) in &partials {
            if k * f < nyq {
                v += a * (k * phase).sin();
            }
        }
        *s += (amp * env * v) as f32;
    }
}

/// Generates `duration_s` seconds of music-like material at `rate`, reproducible from `seed`:
/// sections of block chords, arpeggios, synth leads with vibrato and glides, and bass lines in
/// several timbres (sine, saw, square, triangle, organ), loosely tuned around A4 = 440 Hz.
/// Peak level stays below full scale.
pub fn generate_music(duration_s: f64, rate: u32, seed: u64) -> Vec<f32> {
    let n = super::samples_for(duration_s, rate);
    let mut out = vec![0.0f32; n];
    if n == 0 {
        return out;
    }
    let fs = f64::from(rate);
    let mut rng = Rng::new(seed);
    let timbres = [
        Timbre::Sine,
        Timbre::Saw,
        Timbre::Square,
        Timbre::Triangle,
        Timbre::Organ,
    ];
    let scale = [0, 2, 4, 5, 7, 9, 11];
    let chords: [[i32; 4]; 6] = [
        [0, 4, 7, 12],
        [0, 3, 7, 10],
        [0, 4, 7, 11],
        [0, 5, 7, 12],
        [0, 3, 6, 9],
        [0, 4, 7, 14],
    ];
    let mut pos = 0usize;
    while pos < n {
        let section = (rng.range(3.0, 8.0) * fs) as usize;
        let detune = rng.range(-0.3, 0.3); // semitones
        let root = rng.pick(12) as i32 - 12; // relative to A4
        let timbre = timbres[rng.pick(timbres.len())];
        let level = rng.range(0.02, 0.12);
        let note = |semi: i32| 440.0 * 2f64.powf((f64::from(semi) + detune) / 12.0);
        let end = (pos + section).min(n);
        let mut t = pos;
        match rng.pick(4) {
            0 => {
                // Block chords (at least three notes) over a bass note.
                while t < end {
                    let len = (rng.range(0.4, 2.0) * fs) as usize;
                    let ch = chords[rng.pick(chords.len())];
                    let base = root + 3 * rng.pick(4) as i32 - 3;
                    for (j, &iv) in ch.iter().enumerate() {
                        if j < 3 || rng.next() < 0.6 {
                            add_note(&mut out, fs, t, len, note(base + iv), level, timbre, 0.0);
                        }
                    }
                    add_note(
                        &mut out,
                        fs,
                        t,
                        len,
                        note(base - 24),
                        level,
                        Timbre::Triangle,
                        0.0,
                    );
                    t += len;
                }
            }
            1 => {
                // Arpeggios.
                let ch = chords[rng.pick(chords.len())];
                let step = (rng.range(0.08, 0.25) * fs) as usize;
                let mut k = 0usize;
                while t < end {
                    let oct = 12 * ((k / 4) % 2) as i32;
                    add_note(
                        &mut out,
                        fs,
                        t,
                        step * 2,
                        note(root + ch[k % 4] + oct),
                        level,
                        timbre,
                        0.0,
                    );
                    t += step;
                    k += 1;
                }
            }
            2 => {
                // Synth lead with vibrato over a sustained pad of two notes.
                add_note(
                    &mut out,
                    fs,
                    t,
                    end - t,
                    note(root - 12),
                    level * 0.5,
                    Timbre::Organ,
                    0.0,
                );
                add_note(
                    &mut out,
                    fs,
                    t,
                    end - t,
                    note(root - 5),
                    level * 0.5,
                    Timbre::Organ,
                    0.0,
                );
                while t < end {
                    let len = (rng.range(0.15, 0.8) * fs) as usize;
                    let semi = root + 12 + scale[rng.pick(scale.len())];
                    add_note(
                        &mut out,
                        fs,
                        t,
                        len,
                        note(semi),
                        level,
                        timbre,
                        rng.range(0.0, 0.01),
                    );
                    t += len;
                }
            }
            _ => {
                // Bass line with a melody above it.
                while t < end {
                    let len = (rng.range(0.2, 0.5) * fs) as usize;
                    add_note(
                        &mut out,
                        fs,
                        t,
                        len,
                        note(root - 24 + scale[rng.pick(scale.len())]),
                        level,
                        Timbre::Saw,
                        0.0,
                    );
                    let m = root + 7 + scale[rng.pick(scale.len())];
                    add_note(&mut out, fs, t, len, note(m), level * 0.7, timbre, 0.004);
                    t += len;
                }
            }
        }
        pos = end;
    }
    let peak = out.iter().fold(0.0f32, |m, &v| m.max(v.abs()));
    if peak > 0.9 {
        let g = 0.9 / peak;
        out.iter_mut().for_each(|v| *v *= g);
    }
    out
}
