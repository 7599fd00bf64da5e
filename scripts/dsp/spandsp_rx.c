/* SpanDSP reference receivers for farend's DSP comparison (scripts/dsp/compare_spandsp.sh).
 *
 * Usage: spandsp_rx dtmf|progress FILE [RUNS]
 * FILE is 8 kHz mono signed 16-bit little endian, raw or a WAV file (its header is skipped).
 * Prints one line: "<mode> digits=<n> events=<n> seconds=<audio s> cpu=<best of RUNS, s> x_realtime=<r>"
 * and, for dtmf, the digits on a second line. RUNS defaults to 3; 1 is for whole-process
 * timing. Compiled at script run time against -lspandsp; farend itself never links SpanDSP.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <spandsp.h>

static char digits_seen[1 << 20];
static size_t n_digits = 0;
static size_t n_tone_events = 0;

static void on_digits(void *user, const char *d, int len) {
    (void) user;
    for (int i = 0; i < len && n_digits + 1 < sizeof(digits_seen); i++)
        digits_seen[n_digits++] = d[i];
}

static void on_tone(void *user, int code, int level, int delay) {
    (void) user; (void) level; (void) delay;
    if (code >= 0)
        n_tone_events++;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Offset of the samples: after the "data" chunk header of a WAV file, 0 for raw audio. */
static long data_offset(FILE *f) {
    unsigned char h[12], c[8];
    if (fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) != 0 || memcmp(h + 8, "WAVE", 4) != 0)
        return 0;
    long at = 12;
    while (fread(c, 1, 8, f) == 8) {
        long len = c[4] | (c[5] << 8) | (c[6] << 16) | ((long) c[7] << 24);
        at += 8;
        if (memcmp(c, "data", 4) == 0)
            return at;
        at += len + (len & 1);
        fseek(f, at, SEEK_SET);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s dtmf|progress FILE [RUNS]\n", argv[0]);
        return 2;
    }
    int runs = argc == 4 ? atoi(argv[3]) : 3;
    if (runs < 1)
        runs = 1;
    FILE *f = fopen(argv[2], "rb");
    if (!f) { perror(argv[2]); return 2; }
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    long skip = data_offset(f);
    fseek(f, skip, SEEK_SET);
    size_t n = (size_t) (bytes - skip) / 2;
    int16_t *x = malloc(n * sizeof(int16_t) + 2);
    if (!x || fread(x, 2, n, f) != n) { fprintf(stderr, "read failed\n"); return 2; }
    fclose(f);
    double best = 1e30;
    /* Best of several runs (the machine may be shared); counts come from the last run. */
    for (int run = 0; run < runs; run++) {
    double t0, t1;
    n_digits = 0;
    n_tone_events = 0;
    if (strcmp(argv[1], "dtmf") == 0) {
        dtmf_rx_state_t *rx = dtmf_rx_init(NULL, on_digits, NULL);
        t0 = now();
        for (size_t i = 0; i < n; i += 160) {
            int len = (int) ((n - i) < 160 ? (n - i) : 160);
            dtmf_rx(rx, x + i, len);
        }
        t1 = now();
        dtmf_rx_free(rx);
    } else {
        /* Dial, ringback and busy of the ITU common set and the US (E.180 cadences). */
        super_tone_rx_descriptor_t *d = super_tone_rx_make_descriptor(NULL);
        int t = super_tone_rx_add_tone(d);                     /* 425 Hz dial, continuous */
        super_tone_rx_add_element(d, t, 425, 0, 1000, 0);
        t = super_tone_rx_add_tone(d);                         /* 425 Hz ringback 1 s / 4 s */
        super_tone_rx_add_element(d, t, 425, 0, 800, 1200);
        super_tone_rx_add_element(d, t, 0, 0, 3000, 5000);
        t = super_tone_rx_add_tone(d);                         /* 425 Hz busy 0.5 / 0.5 */
        super_tone_rx_add_element(d, t, 425, 0, 400, 600);
        super_tone_rx_add_element(d, t, 0, 0, 400, 600);
        t = super_tone_rx_add_tone(d);                         /* US dial 350+440 */
        super_tone_rx_add_element(d, t, 350, 440, 1000, 0);
        t = super_tone_rx_add_tone(d);                         /* US ringback 440+480 2 s / 4 s */
        super_tone_rx_add_element(d, t, 440, 480, 1600, 2400);
        super_tone_rx_add_element(d, t, 0, 0, 3200, 4800);
        t = super_tone_rx_add_tone(d);                         /* US busy 480+620 0.5 / 0.5 */
        super_tone_rx_add_element(d, t, 480, 620, 400, 600);
        super_tone_rx_add_element(d, t, 0, 0, 400, 600);
        super_tone_rx_state_t *rx = super_tone_rx_init(NULL, d, on_tone, NULL);
        t0 = now();
        for (size_t i = 0; i < n; i += 160) {
            int len = (int) ((n - i) < 160 ? (n - i) : 160);
            super_tone_rx(rx, x + i, len);
        }
        t1 = now();
        super_tone_rx_free(rx);
        super_tone_rx_free_descriptor(d);
    }
    if (t1 - t0 < best)
        best = t1 - t0;
    }
    double secs = n / 8000.0;
    double cpu = best;
    printf("%s digits=%zu events=%zu seconds=%.1f cpu=%.4f x_realtime=%.0f\n", argv[1], n_digits,
           n_tone_events, secs, cpu, cpu > 0 ? secs / cpu : 0.0);
    digits_seen[n_digits] = 0;
    if (strcmp(argv[1], "dtmf") == 0)
        printf("%s\n", digits_seen);
    return 0;
}
