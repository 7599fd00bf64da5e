# The two entry points: `make demo` and `make test`. Both install what is missing first.

CARGO ?= cargo
FAREND := target/release/farend

.PHONY: setup build demo test oracle bench lint fuzz clean

setup:
	@scripts/setup.sh

build: setup
	$(CARGO) build --release --locked -p farend

# Four calls at once (on eight virtual handsets): the calls take real time, not CPU.
demo: build
	$(FAREND) run scenarios/ --jobs 4 --out reports

# The end-to-end tests mostly wait on calls in real time (a hundred calls one after another
# in the soak test alone), so each test binary runs at least four tests at once, more than a
# small machine has cores; not more: the CPU-bound tests beside them slow the real-time ones.
TEST_THREADS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ "$$n" -gt 4 ] && echo "$$n" || echo 4)

# The tests build in the release profile, and in the same cargo run as the binary: the
# features their dev-dependencies add (tempfile turns on bitflags' `std`) would otherwise
# make cargo compile the sound-card bindings and every crate above them a second time.
test: setup
	$(CARGO) build --release --locked --workspace --bins --tests --examples
	FAREND_BIN=$(CURDIR)/$(FAREND) $(CARGO) test --release --workspace --locked --no-fail-fast \
	  -- --test-threads=$(TEST_THREADS)
	python3 scripts/quality/compare_oracle.py --bin $(CURDIR)/$(FAREND)

# farend's P.862 scores against the ITU-T reference code on a generated corpus.
oracle: build
	python3 scripts/quality/compare_oracle.py --bin $(CURDIR)/$(FAREND)

# Speed and detection figures side by side with the peers, each printed as farend / peer:
# the P.862 oracle (PyPI pesq), SpanDSP's DTMF receiver, Chromaprint's fpcalc; then the
# virtual network's load figures (share of real time for 8 AMR-WB calls, memory over 100 calls).
bench: build
	scripts/quality/bench.sh 5
	scripts/dsp/compare_spandsp.sh
	scripts/dsp/dtmf_codecs.sh
	scripts/fingerprint/compare_fpcalc.sh
	$(CARGO) run --release --locked -p farend-lab --example load

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release --workspace --all-targets --locked -- -D warnings
	scripts/deny.sh

# Coverage-guided fuzzing of every kind of untrusted input (crates/farend-fuzz), FUZZ_SECONDS
# per target; needs the nightly toolchain and cargo-fuzz (installed from crates.io when missing).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := scenario lab_file wav adb_frames device_output
fuzz:
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	  $(CARGO) +nightly fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS) || exit 1; done

clean:
	$(CARGO) clean
