"""LightGBM (ours) against scikit-learn's RandomForest (ctapipe's default models) on the same features.

Run from the project root after the default workflow (uses its DL2 files)::

    python benchmarks/bench_ml.py
    python benchmarks/bench_ml.py --gamma 'results/dl2/gamma-diffuse/*.dl2.h5' --proton 'results/dl2/proton/*.dl2.h5'

Both model families get the same telescope events (quality cuts of the training
configuration), the same features and the same split by run (test runs as in
`iactpipe train`). Per telescope type they fit an energy regressor (log10 E, gammas) and a
gamma/hadron classifier (balanced classes); predictions are combined per event with the
intensity-weighted means of `iactpipe.ml.stereo`. LightGBM is trained exactly as
`iactpipe train` does (early stopping on the validation showers, then the refit on all
training images, `lightgbm.refit`). Printed: training time (CPU seconds of this process,
single thread, both libraries imported beforehand, so a busy machine does not bias the
ratio), energy resolution in true-energy bins and AUC in reconstructed-energy bins on the
test runs, overall AUC, and the ratios. scikit-learn is needed (it comes with ctapipe in the
test extra).
"""
import argparse
import glob
import sys
import time

import numpy as np


def _fit_lightgbm(x, y, weights, valid, kind, config):
    from iactpipe.ml.models import _fit

    booster, _ = _fit(kind, x, y, weights, valid, config, threads=1)
    return lambda data: booster.predict(data, num_iteration=booster.best_iteration or None)


def _fit_forest(x, y, weights, kind):
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    x = np.nan_to_num(x, nan=-1e3)  # explicit missing-value code for the forest
    if kind == "energy":
        model = RandomForestRegressor(n_estimators=100, min_samples_leaf=5, n_jobs=1, random_state=0)
        model.fit(x, y)
        return lambda data: model.predict(np.nan_to_num(data, nan=-1e3))
    model = RandomForestClassifier(n_estimators=100, min_samples_leaf=5, n_jobs=1, random_state=0)
    model.fit(x, y, sample_weight=weights)
    return lambda data: model.predict_proba(np.nan_to_num(data, nan=-1e3))[:, 1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gamma", default="results/dl2/gamma-diffuse/*.dl2.h5", help="glob of gamma DL2 files")
    parser.add_argument("--proton", default="results/dl2/proton/*.dl2.h5", help="glob of proton DL2 files")
    args = parser.parse_args(argv)
    from iactpipe.ml import metrics as M
    from iactpipe.ml.config import TrainConfig
    from iactpipe.ml.features import quality_mask
    from iactpipe.ml.models import split_runs, validation_showers
    from iactpipe.ml.stereo import combine_energy, combine_score, event_index
    from iactpipe.ml.training import load_training_events

    import lightgbm  # noqa: F401  (imported before any timing)
    import sklearn.ensemble  # noqa: F401

    inputs = {"gamma": sorted(glob.glob(args.gamma)), "proton": sorted(glob.glob(args.proton))}
    if not inputs["gamma"] or not inputs["proton"]:
        print(f"no input files for {args.gamma!r} / {args.proton!r}: run the default workflow first")
        return 1
    config = TrainConfig().to_dict()
    events, _ = load_training_events(inputs, config["geometry_algorithm"])
    events = events[quality_mask(events, config["quality"])].reset_index(drop=True)
    group = events["obs_id"].to_numpy(np.int64) + (events["file_number"].to_numpy(np.int64) << 32)
    test = split_runs(group, events["particle"].to_numpy(), config["split"]["test_fraction"], config["split"]["seed"])
    valid = validation_showers(events["obs_id"], events["event_id"], config["split"]["validation_fraction"],
                               config["split"]["seed"])
    features = config["features"]
    results = {}
    for family in ("LightGBM", "RandomForest"):
        log_energy = np.full(len(events), np.nan)
        score = np.full(len(events), np.nan)
        seconds = 0.0
        for tel_type in sorted(events["telescope_type"].unique()):
            rows = (events["telescope_type"] == tel_type).to_numpy()
            train = rows & ~test
            x = events[features].to_numpy(np.float64)
            gamma = events["is_gamma"].to_numpy(bool)
            balance = np.where(gamma, 0.5 * train.sum() / max((gamma & train).sum(), 1),
                               0.5 * train.sum() / max((~gamma & train).sum(), 1))
            for kind in ("energy", "classifier"):
                sample = train & gamma if kind == "energy" else train
                y = (events["true_log10_energy"].to_numpy() if kind == "energy" else gamma.astype(float))[sample]
                w = None if kind == "energy" else balance[sample]
                start = time.process_time()
                if family == "LightGBM":
                    predict = _fit_lightgbm(x[sample], y, w, valid[sample], kind, config)
                else:
                    predict = _fit_forest(x[sample], y, w, kind)
                seconds += time.process_time() - start
                target = rows & test
                (log_energy if kind == "energy" else score)[target] = predict(x[target])
        sub = events[test]
        keys, inverse = event_index(sub["obs_id"].to_numpy() + (sub["file_number"].to_numpy(np.int64) << 32),
                                    sub["event_id"].to_numpy())
        weights = sub["hillas_intensity"].to_numpy()
        energy, _, _ = combine_energy(log_energy[test], weights, inverse, len(keys))
        gscore, _ = combine_score(score[test], weights, inverse, len(keys))
        first = np.zeros(len(keys), np.int64)
        first[inverse[::-1]] = np.arange(len(inverse))[::-1]
        true_energy = sub["true_energy"].to_numpy()[first]
        is_gamma = sub["is_gamma"].to_numpy(bool)[first]
        edges = np.array([0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0])
        bias, resolution, counts = M.energy_bias_resolution(true_energy[is_gamma], energy[is_gamma], edges)
        auc = M.auc_per_bin(energy, is_gamma, gscore, edges)
        results[family] = {"seconds": seconds, "resolution": resolution, "bias": bias, "auc": auc,
                           "auc_all": M.auc(is_gamma, gscore), "counts": counts}
    lgb, rf = results["LightGBM"], results["RandomForest"]
    print(f"{len(events)} telescope events after quality cuts, {int(test.sum())} in test runs")
    print(f"training time (energy + classifier, all telescope types, 1 thread): LightGBM {lgb['seconds']:.1f} s, "
          f"RandomForest {rf['seconds']:.1f} s, RF/LightGBM {rf['seconds'] / lgb['seconds']:.1f}x")
    print(f"{'E range / TeV':>14} {'n_gamma':>8} {'res LGBM':>9} {'res RF':>8} {'AUC LGBM':>9} {'AUC RF':>8}")
    for b in range(len(edges) - 1):
        print(f"{edges[b]:>6.3g}-{edges[b + 1]:<7.3g} {lgb['counts'][b]:>8d} {lgb['resolution'][b]:>9.3f} "
              f"{rf['resolution'][b]:>8.3f} {lgb['auc'][b]:>9.3f} {rf['auc'][b]:>8.3f}")
    print(f"AUC (all energies): LightGBM {lgb['auc_all']:.4f}, RandomForest {rf['auc_all']:.4f}")
    measured = np.isfinite(lgb["resolution"]) & np.isfinite(rf["resolution"])
    better = int(np.sum(lgb["resolution"][measured] <= rf["resolution"][measured]))
    ratio = np.nanmean(lgb["resolution"][measured] / rf["resolution"][measured])
    print(f"energy resolution: LightGBM as good or better in {better} of {int(measured.sum())} bins, "
          f"mean ratio LightGBM/RF {ratio:.3f}; training {rf['seconds'] / lgb['seconds']:.1f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
