//! dtmf analysis.
