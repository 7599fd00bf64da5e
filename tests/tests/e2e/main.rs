//! farend's end-to-end tests: the `farend` binary against the virtual lab, real adb and
//! its reports. They are one test binary rather than one per file so that the tests that
//! wait on calls in real time (the soak's hundred calls, the network profiles, the demo)
//! run beside each other instead of one file after another; `make test` runs at least four
//! tests at once for that, more than a small machine has cores. Each module's doc comment
//! says what it covers.

mod adb_server;
mod call_setup;
mod compare;
mod demo;
mod devices;
mod evidence;
mod fingerprint_cli;
mod interop;
mod killed_handset;
mod malformed;
mod matrix;
mod merge;
mod network;
mod precheck;
mod privacy;
mod score;
mod soak;
