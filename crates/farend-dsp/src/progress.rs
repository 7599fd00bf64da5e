//! Call-progress tones (ITU-T E.180): generators and classifier.
