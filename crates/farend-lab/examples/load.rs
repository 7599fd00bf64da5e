//! Load figures of the virtual network (a benchmark, not a test): how much of real time
//! eight concurrent AMR-WB calls with burst loss take on this machine, and whether a hundred
//! consecutive calls grow the process's memory.
//!
//! `cargo run --release -p farend-lab --example load` prints both. The network runs on one
//! clock thread in the lab, so the figure that matters is one core's share: below 100 % of
//! real time means every 20 ms tick is done before the next is due (no underrun).

use std::time::{Duration, Instant};

use farend_lab::netprofile::{self, NetworkProfile};
use farend_lab::network::Network;

/// Sound card rate of the virtual lab.
const RATE: u32 = 16000;
/// Samples per 20 ms tick.
const TICK: usize = 320;

fn main() {
    let (share, ticks) = concurrent_calls(8, Duration::from_secs(30));
    println!(
        "8 concurrent calls, AMR-WB 12.65 with Gilbert-Elliott loss (lte-poor), {ticks} ticks of 20 ms: \
         {:.1} % of real time on one core ({})",
        share * 100.0,
        if share < 1.0 {
            "keeps up, no underrun"
        } else {
            "FALLS BEHIND"
        }
    );
    let (before, after) = consecutive_calls(100);
    println!(
        "100 consecutive 2 s calls: resident memory {before} KiB before, {after} KiB after ({:+} KiB)",
        after as i64 - before as i64
    );
}

/// The lte-poor profile from the built-in list.
fn lte_poor() -> NetworkProfile {
    netprofile::builtin()
        .into_iter()
        .find(|p| p.name == "lte-poor")
        .expect("lte-poor is built in")
}

/// A network of `2 * calls` handsets with `calls` answered calls on lte-poor.
fn network_with_calls(calls: usize) -> Network {
    let numbers = (0..2 * calls).map(|i| format!("+42190000{i:04}")).collect();
    let mut net = Network::new(numbers, lte_poor(), RATE).expect("the profile runs at 16 kHz");
    for c in 0..calls {
        let callee = net.phones[2 * c + 1].number.clone();
        net.dial(2 * c, &callee);
        assert!(net.answer(2 * c + 1), "call {c} is answered");
    }
    net
}

/// Speech-like test signal: noise in a slow on/off envelope.
fn talk(seconds: usize) -> Vec<i16> {
    let mut random = netprofile::Random::new(9);
    (0..seconds * RATE as usize)
        .map(|i| {
            let on = (i / 4000) % 3 != 2;
            if on {
                (random.normal() * 3000.0).clamp(-32000.0, 32000.0) as i16
            } else {
                0
            }
        })
        .collect()
}

/// Runs `calls` calls for `length` of audio with both parties talking; returns the time
/// spent per unit of audio and the number of ticks.
fn concurrent_calls(calls: usize, length: Duration) -> (f64, usize) {
    let mut net = network_with_calls(calls);
    let speech = talk(length.as_secs() as usize + 1);
    for phone in &mut net.phones {
        phone.mic.schedule(0, &speech, RATE);
    }
    let ticks = (length.as_secs_f64() * RATE as f64) as usize / TICK;
    let start = Instant::now();
    for _ in 0..ticks {
        std::hint::black_box(net.tick(TICK));
    }
    let busy = start.elapsed().as_secs_f64();
    (busy / length.as_secs_f64(), ticks)
}

/// Places, answers, runs for 2 s and hangs up `count` calls one after the other; returns the
/// resident set size in KiB after the first ten and after all.
fn consecutive_calls(count: usize) -> (u64, u64) {
    let mut net = network_with_calls(1);
    net.hang_up(0);
    let speech = talk(2);
    let mut before = 0;
    for i in 0..count {
        let callee = net.phones[1].number.clone();
        net.dial(0, &callee);
        net.answer(1);
        let now = net.phones[0].mic.now();
        net.phones[0].mic.schedule(now, &speech, RATE);
        for _ in 0..(2 * RATE as usize / TICK) {
            std::hint::black_box(net.tick(TICK));
        }
        net.hang_up(0);
        // The runner takes each case's truth; so does this loop.
        std::hint::black_box(net.take_truths(0));
        if i == 9 {
            before = resident_kib();
        }
    }
    (before, resident_kib())
}

/// Resident set size of this process in KiB (Linux `/proc/self/statm`).
fn resident_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4
}
