//! verdict analysis.
