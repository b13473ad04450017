"""Calibration of raw data: R0 -> R1 (`iactpipe.calib.r1`)."""
