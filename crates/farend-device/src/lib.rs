//! farend-device (being written).
