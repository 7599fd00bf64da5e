//! farend-audio (being written).
