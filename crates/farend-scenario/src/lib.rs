//! farend-scenario (being written).
