//! farend command-line interface.
fn main() {}
