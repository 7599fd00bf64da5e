"""Degradations the probes share (probe_narrowband.py, probe_wideband.py), at any sample rate."""

import numpy as np


def active_power(x, rate):
    """Mean power of the 10 ms frames within 30 dB of the loudest."""
    size = rate // 100
    frames = x[: len(x) // size * size].reshape(-1, size)
    e = (frames**2).mean(1)
    return e[e > e.max() * 1e-3].mean()


def chains(clips, rate, rng, count, seconds=8, level_db=-26):
    """Up to `count` pieces of `seconds`, each clips in a shuffled order with pauses of
    0.15-0.5 s between them, scaled to `level_db` dBov of active speech."""
    out, pieces = [], []
    for i in rng.permutation(len(clips)):
        pieces += [clips[i], np.zeros(int(rate * rng.uniform(0.15, 0.5)))]
        if sum(map(len, pieces)) >= seconds * rate:
            x = np.concatenate(pieces)[: seconds * rate]
            out.append(x * np.sqrt(10 ** (level_db / 10) * 32768**2 / active_power(x, rate)))
            pieces = []
            if len(out) == count:
                break
    return out


class Degradations:
    """Noise, zeroed chunks, filters and MNRU at `rate`, drawing from the generator `rng`."""

    def __init__(self, rate, rng):
        self.rate, self.rng = rate, rng

    def noise(self, x, snr_db, brown=False):
        """White (or brown, without its slowest drift) noise `snr_db` below the active speech."""
        n = self.rng.standard_normal(len(x))
        if brown:
            n = np.cumsum(n)
            n -= np.convolve(n, np.ones(self.rate // 40) / (self.rate // 40), "same")
        return x + n * np.sqrt(active_power(x, self.rate) / (n**2).mean() / 10 ** (snr_db / 10))

    def zeroed(self, x, share, ms=20):
        """Each `ms` chunk set to zero with probability `share`."""
        y, length = x.copy(), self.rate * ms // 1000
        for i in range(0, len(x) - length, length):
            if self.rng.random() < share:
                y[i : i + length] = 0
        return y

    def filtered(self, x, response):
        """`x` through the zero-phase magnitude `response(frequency in Hz)`."""
        spectrum = np.fft.rfft(x)
        return np.fft.irfft(spectrum * response(np.fft.rfftfreq(len(x), 1 / self.rate)), len(x))

    def mnru(self, x, q_db):
        """ITU-T P.810 modulated noise at Q = `q_db`."""
        return x * (1 + 10 ** (-q_db / 20) * self.rng.standard_normal(len(x)))
