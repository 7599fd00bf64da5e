//! farend-lab.
