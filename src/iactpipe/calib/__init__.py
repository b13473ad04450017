"""Calibration of raw data: R0 -> R1 (`iactpipe.calib.r1`)."""
# Charge / peak-time extraction: `iactpipe.calib.extractors` (imported on demand).
