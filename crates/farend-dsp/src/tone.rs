//! tone analysis.
