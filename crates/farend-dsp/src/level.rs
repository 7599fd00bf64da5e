//! level analysis.
