"""Combination of per-telescope predictions into one value per array event (vectorised).

Telescope rows are mapped to their event by an integer index (`event_index`); all sums
run through ``np.bincount``, so millions of rows cost a few array passes.

Combinations (weights ``w`` = image intensity, p.e.: brighter images are measured
better):

* **energy**: weighted mean of log10(E_tel); the uncertainty is the weighted standard
  deviation of log10(E_tel) propagated to TeV (``E * ln 10 * std``), NaN for one
  telescope;
* **gamma score**: weighted mean of the telescope scores;
* **disp direction**: each image gives two candidate source positions, centroid
  +- |disp| along the major axis. When the event has a valid geometric (Hillas
  intersection) direction, the candidate closer to it is taken (the geometric solution
  breaks the head-tail ambiguity); otherwise the sign classifier decides. The event
  direction is the weighted mean of the chosen candidates' unit vectors.
"""
import numpy as np

__all__ = ["event_index", "weighted_mean", "combine_energy", "combine_score", "combine_disp_direction"]


def event_index(obs_id, event_id):
    """Unique events of telescope rows.

    Returns
    -------
    keys : ndarray (n_events, 2) int64
        (obs_id, event_id) of each event, sorted.
    inverse : ndarray (n_rows,) int64
        Event number of each row.
    """
    keys = np.stack([np.asarray(obs_id, np.int64), np.asarray(event_id, np.int64)], axis=1)
    if len(keys) == 0:
        return keys.reshape(0, 2), np.zeros(0, np.int64)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    return unique, inverse.reshape(-1)


def weighted_mean(values, weights, inverse, n_events):
    """Per-event weighted mean and weighted standard deviation; rows with NaN are ignored.

    Returns
    -------
    mean, std : ndarray (n_events,) (NaN where no row)
    n_rows : ndarray (n_events,) int64
    """
    values = np.asarray(values, np.float64)
    weights = np.asarray(weights, np.float64)
    use = np.isfinite(values) & np.isfinite(weights) & (weights > 0)
    w = np.where(use, weights, 0.0)
    x = np.where(use, values, 0.0)
    total = np.bincount(inverse, weights=w, minlength=n_events)
    n_rows = np.bincount(inverse, weights=use, minlength=n_events).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(inverse, weights=w * x, minlength=n_events) / total
        second = np.bincount(inverse, weights=w * x * x, minlength=n_events) / total
        std = np.sqrt(np.maximum(second - mean * mean, 0.0))
    mean[n_rows == 0] = np.nan
    std[n_rows < 2] = np.nan
    return mean, std, n_rows


def combine_energy(log10_energy, weights, inverse, n_events):
    """Event energy (TeV), its uncertainty (TeV) and validity from telescope log10(E/TeV)."""
    mean, std, n_rows = weighted_mean(log10_energy, weights, inverse, n_events)
    energy = 10.0 ** mean
    return energy, energy * np.log(10.0) * std, n_rows > 0


def combine_score(score, weights, inverse, n_events):
    """Event gamma score in [0, 1] and validity from telescope scores."""
    mean, _, n_rows = weighted_mean(score, weights, inverse, n_events)
    return mean, n_rows > 0


def _unit(alt_deg, az_deg):
    alt, az = np.deg2rad(alt_deg), np.deg2rad(az_deg)
    return np.stack([np.cos(alt) * np.cos(az), np.cos(alt) * np.sin(az), np.sin(alt)], axis=-1)


def combine_disp_direction(plus_altaz, minus_altaz, sign_score, geometry_altaz, weights, inverse, n_events):
    """Event direction from per-image disp candidates.

    Parameters
    ----------
    plus_altaz, minus_altaz : tuple of ndarray (n_rows,)
        (alt, az) in deg of the candidates at +|disp| and -|disp| along the major axis.
    sign_score : ndarray (n_rows,)
        Probability that the sign is +, from the sign classifier.
    geometry_altaz : tuple of ndarray (n_events,)
        Geometric (Hillas intersection) direction per event, NaN where invalid.
    weights : ndarray (n_rows,)
    inverse : ndarray (n_rows,) int
        Event number of each row.

    Returns
    -------
    alt, az : ndarray (n_events,) deg (NaN where no usable row)
    chosen_plus : ndarray (n_rows,) bool
        Which candidate each image contributed.
    valid : ndarray (n_events,) bool
    """
    plus = _unit(*plus_altaz)
    minus = _unit(*minus_altaz)
    geometric = _unit(*geometry_altaz)[inverse]
    has_geometry = np.isfinite(geometric).all(axis=1)
    closer_plus = np.einsum("ij,ij->i", plus, geometric) >= np.einsum("ij,ij->i", minus, geometric)
    chosen_plus = np.where(has_geometry, closer_plus, np.asarray(sign_score) >= 0.5)
    chosen = np.where(chosen_plus[:, np.newaxis], plus, minus)
    weights = np.asarray(weights, np.float64)
    use = np.isfinite(chosen).all(axis=1) & np.isfinite(weights) & (weights > 0)
    w = np.where(use, weights, 0.0)
    summed = np.stack([np.bincount(inverse, weights=w * np.where(use, chosen[:, k], 0.0), minlength=n_events)
                       for k in range(3)], axis=1)
    norm = np.linalg.norm(summed, axis=1)
    valid = norm > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        direction = summed / norm[:, np.newaxis]
    alt = np.rad2deg(np.arcsin(np.clip(direction[:, 2], -1.0, 1.0)))
    az = np.rad2deg(np.arctan2(direction[:, 1], direction[:, 0])) % 360.0
    alt[~valid] = np.nan
    az[~valid] = np.nan
    return alt, az, chosen_plus, valid
