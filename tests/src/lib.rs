//! End-to-end tests of the farend binary against the virtual lab, real adb and a sound server.
