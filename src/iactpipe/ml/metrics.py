"""Performance metrics of the trained models (pure numpy).

* energy bias = median of (E_reco / E_true - 1) per true-energy bin; resolution = half
  the distance between its Phi(-1) and Phi(+1) quantiles (15.9 % and 84.1 %: one
  standard deviation for a normal distribution; pyirf 0.13's default,
  ``inter_quantile_distance``);
* ROC curve and AUC of the gamma score (AUC by the Mann-Whitney rank statistic, ties
  counted half), per reconstructed-energy bin;
* angular resolution = 68 % containment of the angle between reconstructed and true
  direction, per true-energy bin.
"""
import numpy as np

__all__ = ["energy_bins", "energy_bias_resolution", "roc_curve", "auc", "auc_per_bin", "angular_resolution",
           "value_at"]


#: quantiles of a normal distribution at -1 and +1 standard deviation
_ONE_SIGMA = (0.15865525393145707, 0.8413447460685429)


def energy_bins(e_min_tev=0.01, e_max_tev=100.0, per_decade=5):
    """Logarithmic energy bin edges, TeV."""
    n = int(round(np.log10(e_max_tev / e_min_tev) * per_decade))
    return np.geomspace(e_min_tev, e_max_tev, n + 1)


def _binned(values, edges, reduce, min_count):
    index = np.digitize(values, edges) - 1
    out = np.full(len(edges) - 1, np.nan)
    counts = np.zeros(len(edges) - 1, np.int64)
    for b in range(len(edges) - 1):
        rows = index == b
        counts[b] = int(rows.sum())
        if counts[b] >= min_count:
            out[b] = reduce(rows)
    return out, counts


def energy_bias_resolution(true_energy, reco_energy, edges, min_count=10):
    """Bias and resolution of the reconstructed energy per true-energy bin.

    Returns
    -------
    bias, resolution : ndarray (n_bins,) (NaN below ``min_count`` events)
    counts : ndarray (n_bins,) int
    """
    true_energy = np.asarray(true_energy, np.float64)
    relative = np.asarray(reco_energy, np.float64) / true_energy - 1.0
    ok = np.isfinite(relative)
    true_energy, relative = true_energy[ok], relative[ok]
    bias, counts = _binned(true_energy, edges, lambda rows: np.median(relative[rows]), min_count)
    resolution, _ = _binned(true_energy, edges, lambda rows: 0.5 * np.diff(np.quantile(relative[rows],
                                                                                        _ONE_SIGMA))[0],
                            min_count)
    return bias, resolution, counts


def roc_curve(labels, scores):
    """False- and true-positive rates for every score threshold (descending).

    Returns
    -------
    fpr, tpr, thresholds : ndarray
    """
    labels = np.asarray(labels, bool)
    scores = np.asarray(scores, np.float64)
    order = np.argsort(-scores, kind="stable")
    scores, labels = scores[order], labels[order]
    last = np.r_[np.nonzero(np.diff(scores))[0], len(scores) - 1]  # end of each run of equal scores
    tp = np.cumsum(labels)[last]
    fp = np.cumsum(~labels)[last]
    n_pos, n_neg = max(labels.sum(), 1), max((~labels).sum(), 1)
    return np.r_[0.0, fp / n_neg], np.r_[0.0, tp / n_pos], np.r_[np.inf, scores[last]]


def auc(labels, scores):
    """Area under the ROC curve: P(score of a gamma > score of a hadron), ties count 1/2."""
    from scipy.stats import rankdata

    labels = np.asarray(labels, bool)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return np.nan
    ranks = rankdata(np.asarray(scores, np.float64))
    return (ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def auc_per_bin(reco_energy, labels, scores, edges, min_count=10):
    """AUC per reconstructed-energy bin (needs ``min_count`` events of each class)."""
    labels = np.asarray(labels, bool)
    scores = np.asarray(scores, np.float64)
    reco_energy = np.asarray(reco_energy, np.float64)
    index = np.digitize(reco_energy, edges) - 1
    out = np.full(len(edges) - 1, np.nan)
    for b in range(len(edges) - 1):
        rows = (index == b) & np.isfinite(scores)
        if labels[rows].sum() >= min_count and (~labels[rows]).sum() >= min_count:
            out[b] = auc(labels[rows], scores[rows])
    return out


def angular_resolution(true_energy, true_alt, true_az, reco_alt, reco_az, edges, min_count=10):
    """68 % containment angle (deg) per true-energy bin, and counts."""
    from ..coordinates.frames import angular_separation

    separation = angular_separation(np.asarray(true_alt), np.asarray(true_az), np.asarray(reco_alt),
                                    np.asarray(reco_az))
    ok = np.isfinite(separation)
    energy, separation = np.asarray(true_energy)[ok], separation[ok]
    return _binned(energy, edges, lambda rows: np.quantile(separation[rows], 0.68), min_count)


def value_at(edges, values, energy_tev):
    """Value of the bin containing ``energy_tev`` (NaN outside the bins)."""
    b = int(np.digitize(energy_tev, edges) - 1)
    return float(values[b]) if 0 <= b < len(values) else float("nan")
