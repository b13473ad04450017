"""Outlier runs: each run's DQM summary compared with the ensemble of the other runs.

Two kinds of checks, both leave-one-out (a run is never part of its own reference):

**Distributions** (every histogram of a `RunSummary`: image parameters, pixel charges and
peak times per telescope, trigger multiplicity). The reference is the bin-wise *median* of
the other runs' normalised histograms (so one bad run does not spoil the reference of the
good ones), scaled to the others' total number of independent entries. The run is compared by
a two-sample chi2 homogeneity test (adjacent bins merged until each expects at least 5
entries). A distribution is flagged when **both**

* p < ``p_value`` / (number of distributions tested for the run) — Bonferroni, so that
  ``p_value`` (default 1e-3) is the chance of a false flag per good run; and
* the largest difference of the cumulative distributions (the binned two-sample KS
  distance) exceeds ``min_distance`` (default 0.05), so that very large runs are not
  flagged for differences too small to matter.

Peak-time histograms (pixels above 5 p.e., i.e. mostly shower pixels) count as many
independent entries as images, since the bright pixels of one image share the shower;
pixel-charge histograms (mostly noise) count every pixel. Distributions with fewer than
``min_entries`` (20) independent entries in the run are not tested.

**Scalars** (image survival and quality fractions, mean multiplicity, median noise charge
mean and rms (pixels outside the cleaning mask), dead/hot/broken/pedestal-outlier pixel
fractions, median pedestal and pedestal width per telescope). Robust z-score
``z = (x - median) / sigma`` against the other runs, where ``sigma`` is the largest of:
1.4826 × the others' median absolute deviation, the metric's floor (`SCALAR_FLOORS`:
absolute, and relative to the median) and, for fractions of images, the binomial error of
the run (these are tested only with at least `MIN_IMAGES_FOR_FRACTION` images). Flagged
when ``|z| > z_score`` (default 5).

At least ``min_runs`` (3) runs are needed.
"""
from dataclasses import dataclass
import html
import logging
from pathlib import Path

import numpy as np

from ..errors import ConfigurationError

__all__ = ["OutlierThresholds", "SCALAR_FLOORS", "find_outliers", "write_outlier_tables", "chi2_two_sample"]

log = logging.getLogger(__name__)

#: Scalar metric (name before "/tel_NNN") -> (absolute floor, relative floor) of its sigma.
SCALAR_FLOORS = {
    "image_survival_fraction": (0.01, 0.0),
    "quality_fraction": (0.01, 0.0),
    "mean_multiplicity": (0.05, 0.0),
    "median_noise_rms_pe": (0.02, 0.02),
    "median_noise_mean_pe": (0.1, 0.0),
    "dead_pixel_fraction": (0.002, 0.0),
    "hot_pixel_fraction": (0.002, 0.0),
    "broken_pixel_fraction": (0.002, 0.0),
    "pedestal_outlier_fraction": (0.002, 0.0),
    "pedestal_mean_adc": (0.5, 0.0),
    "pedestal_width_adc": (0.05, 0.01),
}
#: Fractions of images are tested only with at least this many images (per telescope or run).
MIN_IMAGES_FOR_FRACTION = 50
#: Fractions of images: their binomial error uses this count scalar of the run.
_DENOMINATORS = {"image_survival_fraction": "n_telescope_events", "quality_fraction": "n_telescope_events"}


@dataclass(frozen=True)
class OutlierThresholds:
    """Thresholds of `find_outliers` (see the module docstring)."""

    p_value: float = 1e-3
    min_distance: float = 0.05
    z_score: float = 5.0
    min_entries: int = 20
    min_runs: int = 3

    def __post_init__(self):
        if not 0 < self.p_value < 1:
            raise ConfigurationError(f"p-value threshold must be in (0, 1), got {self.p_value}")
        if not 0 <= self.min_distance < 1:
            raise ConfigurationError(f"minimal CDF distance must be in [0, 1), got {self.min_distance}")
        if not self.z_score > 0:
            raise ConfigurationError(f"z-score threshold must be positive, got {self.z_score}")
        if self.min_runs < 3:
            raise ConfigurationError(f"at least 3 runs are needed for a leave-one-out ensemble, got {self.min_runs}")


def _merge_bins(n1, n2, expected_min=5.0):
    """Merge adjacent bins until each expects >= expected_min entries of the run."""
    total1, total2 = n1.sum(), n2.sum()
    expected = (n1 + n2) * total1 / (total1 + total2)
    out1, out2 = [], []
    acc1 = acc2 = acc_e = 0.0
    for a, b, e in zip(n1, n2, expected):
        acc1, acc2, acc_e = acc1 + a, acc2 + b, acc_e + e
        if acc_e >= expected_min:
            out1.append(acc1)
            out2.append(acc2)
            acc1 = acc2 = acc_e = 0.0
    if acc1 + acc2 > 0:
        if out1:
            out1[-1] += acc1
            out2[-1] += acc2
        else:
            out1.append(acc1)
            out2.append(acc2)
    return np.asarray(out1), np.asarray(out2)


def chi2_two_sample(counts, reference):
    """Two-sample chi2 homogeneity test of two histograms with the same bins.

    Parameters
    ----------
    counts, reference : array_like
        Bin contents (need not be integers or have equal totals).

    Returns
    -------
    chi2, ndf, p_value, distance : float
        ``distance`` is the largest difference of the normalised cumulative sums.
    """
    from scipy.stats import chi2 as chi2_dist

    n1, n2 = np.asarray(counts, float), np.asarray(reference, float)
    total1, total2 = n1.sum(), n2.sum()
    if total1 <= 0 or total2 <= 0:
        return np.nan, 0, np.nan, np.nan
    distance = float(np.max(np.abs(np.cumsum(n1) / total1 - np.cumsum(n2) / total2)))
    m1, m2 = _merge_bins(n1, n2)
    ndf = len(m1) - 1
    if ndf < 1:
        return 0.0, 0, 1.0, distance
    keep = (m1 + m2) > 0
    k1, k2 = np.sqrt(total2 / total1), np.sqrt(total1 / total2)
    chi2 = float(np.sum((k1 * m1[keep] - k2 * m2[keep]) ** 2 / (m1[keep] + m2[keep])))
    return chi2, ndf, float(chi2_dist.sf(chi2, ndf)), distance


def _base_name(name):
    return name.split("/", 1)[0]


def _tested_scalars(summaries):
    names = set()
    for summary in summaries:
        names.update(n for n in summary.scalars if _base_name(n) in SCALAR_FLOORS)
    return sorted(names)


def _scalar(summary, name):
    value = summary.scalars.get(name)
    return np.nan if value is None else float(value)


def find_outliers(summaries, thresholds=OutlierThresholds()):
    """Compare every run with the ensemble of the others.

    Parameters
    ----------
    summaries : sequence of RunSummary
        At least ``thresholds.min_runs`` runs with distinct labels.
    thresholds : OutlierThresholds

    Returns
    -------
    runs : pandas.DataFrame
        One row per run: ``run``, ``flagged``, ``n_checks``, ``n_failed``, ``reasons``
        (``"; "``-joined).
    checks : pandas.DataFrame
        One row per (run, check): ``run``, ``check``, ``kind`` (distribution/scalar),
        ``value``, ``reference``, ``statistic`` (p-value or z), ``threshold``,
        ``distance``, ``failed``, ``reason``.
    """
    import pandas as pd

    summaries = list(summaries)
    if len(summaries) < thresholds.min_runs:
        raise ConfigurationError(f"outlier detection needs at least {thresholds.min_runs} runs, "
                                 f"got {len(summaries)}")
    labels = [s.run for s in summaries]
    if len(set(labels)) != len(labels):
        raise ConfigurationError(f"run labels must be unique, got {labels}")
    rows = []
    hist_names = sorted({name for s in summaries for name in s.histograms})
    scalar_names = _tested_scalars(summaries)
    for i, summary in enumerate(summaries):
        others = [s for j, s in enumerate(summaries) if j != i]
        # ---- distributions
        tests = []
        for name in hist_names:
            if name not in summary.histograms:
                continue
            edges, counts = summary.histogram(name)
            n_run = summary.n_independent(name)
            refs = [(o.histogram(name)[1], o.n_independent(name)) for o in others if name in o.histograms]
            refs = [(h, n) for h, n in refs if len(h) == len(counts) and h.sum() > 0 and n > 0]
            if len(refs) < thresholds.min_runs - 1 or n_run < thresholds.min_entries or counts.sum() <= 0:
                continue
            fractions = np.median([h / h.sum() for h, _ in refs], axis=0)
            if fractions.sum() <= 0:
                continue
            # statistical weight: independent entries (images for pixel histograms)
            reference = fractions / fractions.sum() * sum(n for _, n in refs)
            tests.append((name, counts / counts.sum() * n_run, reference))
        n_tests = max(len(tests), 1)
        p_threshold = thresholds.p_value / n_tests
        for name, counts, reference in tests:
            chi2, ndf, p_value, distance = chi2_two_sample(counts, reference)
            failed = bool(np.isfinite(p_value) and p_value < p_threshold and distance > thresholds.min_distance)
            reason = (f"{name}: distribution differs from the other runs (chi2/ndf = {chi2:.1f}/{ndf}, "
                      f"p = {p_value:.2g} < {p_threshold:.2g}, max CDF difference {distance:.2f} > "
                      f"{thresholds.min_distance:g})") if failed else ""
            rows.append({"run": summary.run, "check": name, "kind": "distribution",
                         "value": chi2 / max(ndf, 1), "reference": 1.0, "statistic": p_value,
                         "threshold": p_threshold, "distance": distance, "failed": failed, "reason": reason})
        # ---- scalars
        for name in scalar_names:
            value = _scalar(summary, name)
            ref = np.array([_scalar(o, name) for o in others])
            ref = ref[np.isfinite(ref)]
            if not np.isfinite(value) or len(ref) < thresholds.min_runs - 1:
                continue
            median = float(np.median(ref))
            abs_floor, rel_floor = SCALAR_FLOORS[_base_name(name)]
            sigma = max(1.4826 * float(np.median(np.abs(ref - median))), abs_floor, rel_floor * abs(median))
            denominator = _DENOMINATORS.get(_base_name(name))
            if denominator is not None:
                suffix = name[len(_base_name(name)):]
                count = _scalar(summary, (denominator if not suffix else "n_triggers") + suffix)
                if not (np.isfinite(count) and count >= MIN_IMAGES_FOR_FRACTION):
                    continue
                p = (min(max(median, 0.0), 1.0) * count + 1.0) / (count + 2.0)  # never exactly 0 or 1
                sigma = max(sigma, np.sqrt(p * (1.0 - p) / count))
            z = (value - median) / sigma
            failed = bool(abs(z) > thresholds.z_score)
            reason = (f"{name} = {value:.4g}, other runs' median {median:.4g} "
                      f"(z = {z:+.1f}, |z| > {thresholds.z_score:g})") if failed else ""
            rows.append({"run": summary.run, "check": name, "kind": "scalar", "value": value,
                         "reference": median, "statistic": z, "threshold": thresholds.z_score,
                         "distance": np.nan, "failed": failed, "reason": reason})
    checks = pd.DataFrame(rows, columns=["run", "check", "kind", "value", "reference", "statistic", "threshold",
                                         "distance", "failed", "reason"])
    per_run = []
    for label in labels:
        mine = checks[checks["run"] == label]
        failed = mine[mine["failed"]]
        per_run.append({"run": label, "flagged": bool(len(failed)), "n_checks": int(len(mine)),
                        "n_failed": int(len(failed)), "reasons": "; ".join(failed["reason"])})
    runs = pd.DataFrame(per_run, columns=["run", "flagged", "n_checks", "n_failed", "reasons"])
    return runs, checks


_HTML_STYLE = """
body { font-family: sans-serif; margin: 1.5em; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #eee; }
tr.flagged td { background: #fdd; }
tr.ok td { background: #efe; }
"""


def _html_table(frame, flag_column):
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for _, row in frame.iterrows():
        css = "flagged" if bool(row[flag_column]) else "ok"
        cells = []
        for column in frame.columns:
            value = row[column]
            text = f"{value:.4g}" if isinstance(value, float) else str(value)
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append(f'<tr class="{css}">' + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def write_outlier_tables(runs, checks, output_dir, thresholds=OutlierThresholds()):
    """Write ``outliers.csv`` (one row per run), ``checks.csv`` (every check) and ``outliers.html``.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    output_dir = Path(output_dir)
    paths = [output_dir / "outliers.csv", output_dir / "checks.csv", output_dir / "outliers.html"]
    runs.to_csv(paths[0], index=False)
    checks.to_csv(paths[1], index=False)
    n_flagged = int(runs["flagged"].sum())
    text = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>iactpipe DQM: outlier runs</title>",
        f"<style>{_HTML_STYLE}</style></head><body>",
        "<h1>DQM: runs compared with the ensemble of the other runs</h1>",
        f"<p>{n_flagged} of {len(runs)} runs flagged. Distributions: two-sample chi2 against the bin-wise "
        f"median of the other runs, flagged if p &lt; {thresholds.p_value:g} / (number of distributions of "
        f"the run) and max CDF difference &gt; {thresholds.min_distance:g}. Scalars: robust z-score against "
        f"the other runs, flagged if |z| &gt; {thresholds.z_score:g}.</p>",
        "<h2>Runs</h2>", _html_table(runs, "flagged"),
        "<h2>Failed checks</h2>", _html_table(checks[checks["failed"]], "failed"),
        "</body></html>",
    ]
    paths[2].write_text("\n".join(text))
    return paths
