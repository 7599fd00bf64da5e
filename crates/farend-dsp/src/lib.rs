//! farend-dsp (being written).
