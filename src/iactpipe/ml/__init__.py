"""Machine-learning stage: LightGBM energy, gamma/hadron and disp models (see docs/ml.md)."""
