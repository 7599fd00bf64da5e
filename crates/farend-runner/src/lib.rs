//! farend-runner (being written).
