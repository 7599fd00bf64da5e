#!/usr/bin/env bash
# Installs what farend's build, demo and tests need on Debian/Ubuntu, only what is missing.
# System packages go through apt-get when run as root or with sudo; otherwise the missing
# ones are listed and the script fails.
set -euo pipefail

packages=(
  adb                          # Debian's real adb: tests drive virtual handsets through it
  sox libsox-fmt-all           # audio conversion; AMR-NB/WB, GSM, G.711 codecs for tests
  libxml2-utils                # xmllint: JUnit output is checked against the project's XSD
  pulseaudio pulseaudio-utils  # a real sound server: the cpal sound card tests run a private one
  libasound2-dev               # ALSA headers (via pkg-config): cpal always builds its ALSA host on Linux
  codec2-examples              # public speech recordings (LGPL-2.1) behind audio-refs/
  asterisk-core-sounds-en-wav  # public speech prompts (CC-BY-SA-3.0) behind audio-refs/
  asterisk-core-sounds-fr-wav asterisk-core-sounds-es-wav  # more talkers and languages (CC-BY-SA-3.0)
  asterisk-core-sounds-it-wav asterisk-core-sounds-ru-wav  # for the fingerprint tests
  asterisk-core-sounds-en-g722 asterisk-core-sounds-fr-g722  # the same talkers in wideband (G.722):
  asterisk-core-sounds-es-g722 asterisk-core-sounds-it-g722  # the scorer's oracle corpus
  asterisk-core-sounds-ru-g722
  opus-tools                   # Opus encode/decode: degraded-speech test material, farend-codec test oracle
  libchromaprint-tools         # fpcalc: the fingerprint benchmark's peer
  chromium                     # headless browser: the tests load report.html as a user would
  libspandsp-dev               # SpanDSP: G.722 of the virtual network, and the DTMF benchmark's peer
  pkg-config build-essential  # C toolchain for crates with C parts
  libopencore-amrnb-dev        # AMR-NB encoder and decoder (Apache-2.0), linked by farend-codec
  libopencore-amrwb-dev        # AMR-WB decoder (Apache-2.0), linked by farend-codec
  libvo-amrwbenc-dev           # AMR-WB encoder (Apache-2.0), linked by farend-codec
  libgsm1-dev                  # GSM 06.10 full-rate codec (libgsm, permissive), linked by farend-codec
  libopus-dev                  # Opus codec (BSD), linked by farend-codec through the audiopus crate
  python3-venv python3-dev     # builds the ITU-T P.862 reference code (PyPI pesq) as the test oracle
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
    echo "setup: missing Debian packages: ${missing[*]} (run as root or install sudo)" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found: install a Rust toolchain (1.88 or newer), e.g. with rustup" >&2
  exit 1
fi
echo "setup: system packages present"

# From PyPI: the Python ADB clients the interop tests drive the virtual handsets with, and
# the second G.722 implementation the codec tests compare with.
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -x "$root/.venv/bin/python" ]; then python3 -m venv "$root/.venv"; fi
"$root/.venv/bin/pip" install -q --disable-pip-version-check -r "$root/tests/interop/requirements.txt" \
  -r "$root/crates/farend-codec/tests/requirements.txt"
