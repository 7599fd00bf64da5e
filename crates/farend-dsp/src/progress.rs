//! progress analysis.
