//! C bindings to Debian's codec libraries, declared from their public headers.
//!
//! All `unsafe` code of the crate lives here. Each library state is owned by one handle
//! type that frees it on drop; buffers handed to the C code are fixed-size arrays at least
//! as large as the library can read or write, so the safe methods cannot overrun them.

pub(crate) mod amr;
pub(crate) mod g722;
pub(crate) mod gsm;
