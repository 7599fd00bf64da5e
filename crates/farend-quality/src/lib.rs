//! farend-quality (being written).
