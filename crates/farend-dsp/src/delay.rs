//! delay analysis.
