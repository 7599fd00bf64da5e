//! Links the system codec libraries: pkg-config where the library ships a `.pc` file
//! (opencore-amrnb, opencore-amrwb, vo-amrwbenc), a plain `-lgsm` for libgsm, which ships
//! none. libopus is found by the `audiopus_sys` crate, also through pkg-config. SpanDSP
//! (G.722) is opened at run time (`src/ffi/g722.rs`), so it is not linked.

fn main() {
    for (library, debian_package) in [
        ("opencore-amrnb", "libopencore-amrnb-dev"),
        ("opencore-amrwb", "libopencore-amrwb-dev"),
        ("vo-amrwbenc", "libvo-amrwbenc-dev"),
    ] {
        if let Err(e) = pkg_config::Config::new().probe(library) {
            panic!(
                "{library} not found through pkg-config ({e}); install the Debian package {debian_package} (scripts/setup.sh does)"
            );
        }
    }
    println!("cargo:rustc-link-lib=dylib=gsm");
}
