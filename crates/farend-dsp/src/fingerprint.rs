//! fingerprint analysis.
