//! farend-lab (being written).
