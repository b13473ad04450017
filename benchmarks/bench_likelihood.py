"""Template-likelihood fit: throughput (array events/s per core) and resolution vs the Hillas intersection.

One command from simulation to table and plot::

    python benchmarks/bench_likelihood.py --output-dir results/bench_likelihood
    python benchmarks/bench_likelihood.py --dl1 run.dl1.h5 --dl2 run.dl2.h5 --templates t.h5   # existing files

Without ``--dl1/--dl2`` one run of point-like gammas is simulated (``iactpipe simulate``,
CTAO-North-alpha, pointing alt 70 az 180, E^-1.5 from ``--energy-min`` to 100 TeV),
processed with images (``iactpipe process --write-images``) and reconstructed
(``iactpipe reconstruct``). Without ``--templates`` the default template library is made
(``iactpipe make-templates``, default grid: 19 energies x 19 impacts x 6 depths, ~15 min).
If the DL2 file holds ``/dl2/event/subarray/energy/LGBMRegressor`` (``iactpipe apply``),
the fit is seeded with it and its energy resolution is compared too.

Printed and written to ``<output-dir>/bench_likelihood.json`` and ``.png``:

* throughput: fitted array events per CPU second of the fit kernels (single-threaded,
  so per core; ``time.process_time``) and per wall second;
* per true-energy bin, on the events both methods reconstruct: 68 % containment radius
  of the angle to the true direction (Hillas intersection vs template fit), and energy
  bias (median of E_reco/E_true - 1) and resolution (half width of the central 68 %
  interval of E_reco/E_true - 1) of the template fit (and LGBMRegressor).
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

EDGES_TEV = np.array([0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 100.0])


def run(command):
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def _table(path, node):
    import tables

    with tables.open_file(path) as h5:
        return h5.get_node(node).read() if node in h5 else None


def resolution_table(output, name="TemplateFit"):
    """Per true-energy bin: angular 68 % containment (Hillas, fit) and energy bias/resolution (fit, LGBM)."""
    from iactpipe.coordinates import angular_separation

    fit = _table(output, f"/dl2/event/subarray/geometry/{name}")
    fit_e = _table(output, f"/dl2/event/subarray/energy/{name}")
    hillas = _table(output, "/dl2/event/subarray/geometry/HillasReconstructor")
    lgbm = _table(output, "/dl2/event/subarray/energy/LGBMRegressor")
    shower = _table(output, "/simulation/event/subarray/shower")
    index = {(int(o), int(e)): i for i, (o, e) in enumerate(zip(shower["obs_id"], shower["event_id"]))}
    rows = np.array([index[(int(o), int(e))] for o, e in zip(fit["obs_id"], fit["event_id"])])
    truth = shower[rows]
    e_true = truth["true_energy"]
    both = fit[f"{name}_is_valid"] & hillas["HillasReconstructor_is_valid"]
    d_fit = angular_separation(fit[f"{name}_alt"], fit[f"{name}_az"], truth["true_alt"], truth["true_az"])
    d_hil = angular_separation(hillas["HillasReconstructor_alt"], hillas["HillasReconstructor_az"],
                               truth["true_alt"], truth["true_az"])
    rel_fit = fit_e[f"{name}_energy"] / e_true - 1
    rel_ml = None
    if lgbm is not None:
        lrows = {(int(o), int(e)): i for i, (o, e) in enumerate(zip(lgbm["obs_id"], lgbm["event_id"]))}
        li = np.array([lrows.get((int(o), int(e)), -1) for o, e in zip(fit["obs_id"], fit["event_id"])])
        ml_e = np.where(li >= 0, lgbm["LGBMRegressor_energy"][li], np.nan)
        ml_ok = (li >= 0) & lgbm["LGBMRegressor_is_valid"][li]
        rel_ml = np.where(ml_ok, ml_e / e_true - 1, np.nan)
        both &= ml_ok
    out = []
    for lo, hi in zip(EDGES_TEV[:-1], EDGES_TEV[1:]):
        m = both & (e_true >= lo) & (e_true < hi)
        row = {"e_min_tev": float(lo), "e_max_tev": float(hi), "n_events": int(m.sum())}
        if m.sum() >= 5:
            row["ang68_hillas_deg"] = float(np.quantile(d_hil[m], 0.68))
            row["ang68_fit_deg"] = float(np.quantile(d_fit[m], 0.68))
            row["ang_improvement"] = 1 - row["ang68_fit_deg"] / row["ang68_hillas_deg"]
            q16, q50, q84 = np.quantile(rel_fit[m], [0.16, 0.5, 0.84])
            row["e_bias_fit"], row["e_res_fit"] = float(q50), float((q84 - q16) / 2)
            if rel_ml is not None:
                q16, q50, q84 = np.quantile(rel_ml[m], [0.16, 0.5, 0.84])
                row["e_bias_lgbm"], row["e_res_lgbm"] = float(q50), float((q84 - q16) / 2)
        out.append(row)
    return out


def print_table(rows):
    has_ml = any("e_res_lgbm" in r for r in rows)
    head = "| E_true / TeV | events | ang68 Hillas / deg | ang68 fit / deg | improvement | E bias fit | E res fit |"
    if has_ml:
        head += " E bias LGBM | E res LGBM |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for r in rows:
        if "ang68_fit_deg" not in r:
            print(f"| {r['e_min_tev']:g}-{r['e_max_tev']:g} | {r['n_events']} | | | | | |" + (" | |" if has_ml else ""))
            continue
        line = (f"| {r['e_min_tev']:g}-{r['e_max_tev']:g} | {r['n_events']} | {r['ang68_hillas_deg']:.4f} | "
                f"{r['ang68_fit_deg']:.4f} | {100 * r['ang_improvement']:+.0f} % | {r['e_bias_fit']:+.3f} | "
                f"{r['e_res_fit']:.3f} |")
        if has_ml:
            line += f" {r.get('e_bias_lgbm', np.nan):+.3f} | {r.get('e_res_lgbm', np.nan):.3f} |"
        print(line)


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if "ang68_fit_deg" in r]
    centers = np.array([np.sqrt(r["e_min_tev"] * r["e_max_tev"]) for r in rows])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax1.plot(centers, [r["ang68_hillas_deg"] for r in rows], "o-", label="Hillas intersection")
    ax1.plot(centers, [r["ang68_fit_deg"] for r in rows], "s-", label="template fit")
    ax1.set(xscale="log", xlabel="true energy / TeV", ylabel="68 % containment / deg", title="angular resolution")
    ax1.legend()
    ax2.plot(centers, [r["e_res_fit"] for r in rows], "s-", label="template fit")
    if any("e_res_lgbm" in r for r in rows):
        ax2.plot(centers, [r.get("e_res_lgbm", np.nan) for r in rows], "o-", label="LGBMRegressor")
    ax2.plot(centers, [r["e_bias_fit"] for r in rows], "s--", alpha=0.5, label="template fit bias")
    ax2.axhline(0, color="grey", lw=0.5)
    ax2.set(xscale="log", xlabel="true energy / TeV", ylabel="resolution (68 %) / bias", title="energy")
    ax2.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-dir", default="results/bench_likelihood")
    parser.add_argument("--dl1", help="existing DL1 file with images")
    parser.add_argument("--dl2", help="existing DL2 file of the same run")
    parser.add_argument("--templates", help="existing template library")
    parser.add_argument("--n-showers", type=int, default=2000, help="showers to simulate (x5 cores)")
    parser.add_argument("--energy-min", type=float, default=0.05, help="TeV")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--config", help="template_fit YAML configuration")
    parser.add_argument("--max-events", type=int, default=None, help="fit only the first N events")
    args = parser.parse_args(argv)
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    exe = [sys.executable, "-m", "iactpipe.cli.main"]
    dl1, dl2 = args.dl1, args.dl2
    if not (dl1 and dl2):
        raw, dl1, dl2 = out / "run.r0.h5", str(out / "run.dl1.h5"), str(out / "run.dl2.h5")
        run(exe + ["simulate", "--particle", "gamma", "--n-showers", str(args.n_showers), "--run", "31",
                   "--seed", str(args.seed), "--spectral-index", "-1.5", "--energy-min", str(args.energy_min),
                   "--output", str(raw), "--no-progress", "--overwrite"])
        run(exe + ["process", "--input", str(raw), "--output", dl1, "--write-images", "--overwrite"])
        raw.unlink()
        run(exe + ["reconstruct", "--input", dl1, "--output", dl2, "--overwrite"])
    templates = args.templates
    if not templates:
        templates = str(out / "templates.h5")
        start = time.perf_counter()
        run(exe + ["make-templates", "--output", templates, "--overwrite"])
        print(f"templates made in {time.perf_counter() - start:.0f} s")

    from iactpipe.reco.template_fit import fit_file, load_fit_config

    config = load_fit_config(args.config)
    output = out / "run.fit.dl2.h5"
    # warm-up: load (or compile) the numba kernels before anything is timed
    fit_file(dl1, dl2, templates, out / "warmup.h5", config, overwrite=True, max_events=20)
    (out / "warmup.h5").unlink()
    summary = fit_file(dl1, dl2, templates, output, config, overwrite=True, max_events=args.max_events)
    result = {
        "n_events": summary.n_events, "n_fitted": summary.n_fitted, "n_valid": summary.n_valid,
        "fit_cpu_s": summary.fit_cpu_s, "fit_wall_s": summary.fit_time_s,
        "events_per_cpu_second": summary.n_fitted / summary.fit_cpu_s,
        "events_per_wall_second": summary.n_fitted / summary.fit_time_s,
        "status_counts": summary.status_counts, "config": config.to_dict(),
        "inputs": {"dl1": str(dl1), "dl2": str(dl2), "templates": str(templates)},
    }
    fit = _table(output, f"/dl2/event/subarray/geometry/{config.name}")
    ok = fit[f"{config.name}_fit_status"] <= 1
    result["mean_evaluations"] = float(fit[f"{config.name}_n_evaluations"][ok].mean())
    result["mean_pixels"] = float(fit[f"{config.name}_n_pixels"][ok].mean())
    result["resolution"] = resolution_table(output, config.name)
    print(f"\nthroughput: {result['events_per_cpu_second']:.1f} array events per CPU second "
          f"({result['events_per_wall_second']:.1f} per wall second; {summary.n_fitted} events, "
          f"{result['mean_evaluations']:.0f} evaluations and {result['mean_pixels']:.0f} pixels per event)")
    print(f"fit status: {summary.status_counts}\n")
    print_table(result["resolution"])
    (out / "bench_likelihood.json").write_text(json.dumps(result, indent=1))
    plot(result["resolution"], out / "bench_likelihood.png")
    print(f"\nwrote {out / 'bench_likelihood.json'} and {out / 'bench_likelihood.png'}")


if __name__ == "__main__":
    main()
