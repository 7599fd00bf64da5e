//! farend-report (being written).
