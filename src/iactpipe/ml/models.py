"""LightGBM models per telescope type: energy, gamma/hadron score, disp norm and sign.

Four models per telescope type (``kind``):

* ``energy``: regression of log10(true energy / TeV) on gammas;
* ``classifier``: binary gamma (1) vs hadron and electron (0), classes weighted to equal
  total weight (balanced), so the score does not depend on the training mix;
* ``disp_norm``: regression of |true disp| (deg) on gammas;
* ``disp_sign``: binary sign of the true disp on gammas.

Training uses early stopping on a validation sample of whole showers of the training
runs; LightGBM runs with ``deterministic=True``, ``force_row_wise=True`` and fixed seeds,
so retraining on the same inputs with the same configuration gives identical models.

A `ModelSet` is saved as one LightGBM text file per model plus a JSON sidecar
(features, kind, telescope type, training statistics, configuration, versions) and an
index ``models.json`` (features, configuration, training files with SHA-256 checksums,
metrics).
"""
import json
import logging
from pathlib import Path

import numpy as np

from ..errors import ConfigurationError, InputFileError

__all__ = ["KINDS", "ModelSet", "split_runs", "validation_showers", "train_models", "check_features",
           "training_runs", "drop_training_files"]

log = logging.getLogger(__name__)

KINDS = ("energy", "classifier", "disp_norm", "disp_sign")
_OBJECTIVE = {"energy": "regression", "classifier": "binary", "disp_norm": "regression", "disp_sign": "binary"}
INDEX_FILE = "models.json"


def split_runs(obs_id, particle, test_fraction, seed):
    """Hold out whole runs per particle for testing.

    Each particle's runs (obs_id) are permuted with a generator seeded by ``(seed,
    particle number)`` and the first ``max(1, round(test_fraction * n_runs))`` become
    test runs (at least one run stays for training). Returns a bool array (True: test).
    """
    obs_id = np.asarray(obs_id)
    particle = np.asarray(particle)
    is_test = np.zeros(len(obs_id), bool)
    if test_fraction <= 0:
        return is_test
    for number, name in enumerate(sorted(np.unique(particle))):
        runs = np.unique(obs_id[particle == name])
        if len(runs) < 2:
            raise ConfigurationError(f"train.split.test_fraction={test_fraction}: particle {name!r} has only run(s) "
                                     f"{runs.tolist()}; whole runs are held out for testing, so at least 2 runs "
                                     f"are needed (or set test_fraction: 0)")
        n_test = min(max(1, int(round(test_fraction * len(runs)))), len(runs) - 1)
        test_runs = np.random.default_rng([int(seed), number]).permutation(runs)[:n_test]
        is_test |= (particle == name) & np.isin(obs_id, test_runs)
    return is_test


def validation_showers(obs_id, event_id, fraction, seed):
    """Rows of a random ``fraction`` of *showers* (bool array), for early stopping.

    The shower of an event is ``(obs_id, event_id // 100)``: sim_telarray and iactpipe
    number the reuses of a shower ``100 * shower + reuse``, so the copies of one shower
    (same shower, different cores) stay on the same side.
    """
    shower = np.stack([np.asarray(obs_id, np.int64), np.asarray(event_id, np.int64) // 100], axis=1)
    if len(shower) == 0:
        return np.zeros(0, bool)
    unique, inverse = np.unique(shower, axis=0, return_inverse=True)
    chosen = np.random.default_rng([int(seed), 7]).random(len(unique)) < fraction
    return chosen[inverse.reshape(-1)]


def _params(kind, config, threads):
    lgb = config["lightgbm"]
    return {"objective": _OBJECTIVE[kind], "learning_rate": lgb["learning_rate"], "num_leaves": lgb["num_leaves"],
            "min_data_in_leaf": lgb["min_data_in_leaf"], "feature_fraction": lgb["feature_fraction"],
            "bagging_fraction": lgb["bagging_fraction"], "bagging_freq": 1 if lgb["bagging_fraction"] < 1 else 0,
            "lambda_l2": lgb["lambda_l2"], "seed": lgb["seed"], "deterministic": True,
            "force_row_wise": True, "num_threads": int(threads), "verbosity": -1, "feature_pre_filter": False}


def _fit(kind, x, y, weights, valid, config, threads):
    import lightgbm

    train_rows, valid_rows = ~valid, valid
    if train_rows.sum() < 10 or valid_rows.sum() < 5:
        raise ConfigurationError(f"too few training images for the {kind} model ({int(train_rows.sum())} training, "
                                 f"{int(valid_rows.sum())} validation): simulate more showers")
    w = None if weights is None else weights
    train_set = lightgbm.Dataset(x[train_rows], y[train_rows], weight=None if w is None else w[train_rows],
                                 free_raw_data=True)
    valid_set = lightgbm.Dataset(x[valid_rows], y[valid_rows], weight=None if w is None else w[valid_rows],
                                 reference=train_set)
    params = _params(kind, config, threads)
    booster = lightgbm.train(params, train_set, num_boost_round=config["lightgbm"]["max_rounds"],
                             valid_sets=[valid_set],
                             callbacks=[lightgbm.early_stopping(config["lightgbm"]["early_stopping_rounds"],
                                                                verbose=False)])
    best = int(booster.best_iteration or booster.current_iteration())
    stats = {"n_train": int(train_rows.sum()), "n_validation": int(valid_rows.sum()), "best_iteration": best,
             "validation_score": {name: float(value) for name, value in booster.best_score["valid_0"].items()}}
    if config["lightgbm"]["refit"]:
        # The validation showers only chose the number of rounds; with simulations always
        # scarce, the final model learns from them too. More images need proportionally more
        # rounds at the same learning rate, so the early-stopped count is scaled by the ratio.
        rounds = max(1, int(round(best * len(y) / train_rows.sum())))
        booster = lightgbm.train(params, lightgbm.Dataset(x, y, weight=w, free_raw_data=True), num_boost_round=rounds)
        stats["refit_rounds"] = rounds
    return booster, stats


def check_features(events, features, where):
    """Raise a clear error naming the feature columns ``events`` lacks."""
    missing = [name for name in features if name not in events]
    if missing:
        raise InputFileError(where, f"lacks the feature column(s) {', '.join(missing)} the models need")


def train_models(events, config, threads=1):
    """Train all models for every telescope type present in ``events``.

    Parameters
    ----------
    events : pandas.DataFrame
        Training telescope events (quality-selected, test runs removed) with the features,
        ``telescope_type``, ``is_gamma``, ``true_log10_energy``, ``true_disp``,
        ``obs_id``, ``event_id``.
    config : dict
        `TrainConfig.to_dict()`.
    threads : int

    Returns
    -------
    ModelSet
    """
    features = list(config["features"])
    check_features(events, features, "training data")
    valid = validation_showers(events["obs_id"], events["event_id"], config["split"]["validation_fraction"],
                               config["split"]["seed"])
    boosters, stats = {}, {}
    for tel_type in sorted(events["telescope_type"].unique()):
        rows = (events["telescope_type"] == tel_type).to_numpy()
        x = events.loc[rows, features].to_numpy(np.float64)
        gamma = events.loc[rows, "is_gamma"].to_numpy(bool)
        v = valid[rows]
        disp = events.loc[rows, "true_disp"].to_numpy()
        n_gamma, n_hadron = int(gamma.sum()), int((~gamma).sum())
        if n_gamma == 0 or n_hadron == 0:
            raise ConfigurationError(f"telescope type {tel_type}: training needs gammas and hadrons "
                                     f"(got {n_gamma} gamma and {n_hadron} other images)")
        balance = np.where(gamma, 0.5 * len(gamma) / n_gamma, 0.5 * len(gamma) / n_hadron)
        jobs = {
            "energy": (x[gamma], events.loc[rows, "true_log10_energy"].to_numpy()[gamma], None, v[gamma]),
            "classifier": (x, gamma.astype(np.float64), balance, v),
            "disp_norm": (x[gamma], np.abs(disp[gamma]), None, v[gamma]),
            "disp_sign": (x[gamma], (disp[gamma] > 0).astype(np.float64), None, v[gamma]),
        }
        for kind, (kx, ky, kw, kv) in jobs.items():
            log.info("training %s model of %s on %d images", kind, tel_type, len(ky))
            boosters[kind, tel_type], stats[kind, tel_type] = _fit(kind, kx, ky, kw, kv, config, threads)
    return ModelSet(boosters, features, config, stats)


class ModelSet:
    """The trained models of all telescope types, with their features and configuration.

    Parameters
    ----------
    boosters : dict
        ``(kind, telescope_type) -> lightgbm.Booster``.
    features : list of str
    config : dict
    stats : dict
        ``(kind, telescope_type) -> training statistics``.
    info : dict, optional
        Extra index content (training files, metrics, ...).
    """

    def __init__(self, boosters, features, config, stats, info=None):
        self.boosters = dict(boosters)
        self.features = list(features)
        self.config = dict(config)
        self.stats = dict(stats)
        self.info = dict(info or {})

    @property
    def telescope_types(self):
        return sorted({tel_type for _, tel_type in self.boosters})

    def predict(self, events, quality_mask):
        """Per-telescope predictions for the rows of ``events`` selected by ``quality_mask``.

        Returns
        -------
        dict of ndarray (n_rows,)
            ``log10_energy``, ``gamma_score``, ``disp_norm`` (deg), ``disp_sign_score``;
            NaN for rows not selected.
        """
        check_features(events, self.features, "input")
        n = len(events)
        out = {name: np.full(n, np.nan) for name in ("log10_energy", "gamma_score", "disp_norm", "disp_sign_score")}
        types = events["telescope_type"].to_numpy()
        for tel_type in np.unique(types[quality_mask]):
            if ("energy", tel_type) not in self.boosters:
                raise ConfigurationError(f"no models for telescope type {tel_type!r} "
                                         f"(models exist for {', '.join(self.telescope_types)})")
            rows = quality_mask & (types == tel_type)
            x = events.loc[rows, self.features].to_numpy(np.float64)
            for kind, name in (("energy", "log10_energy"), ("classifier", "gamma_score"),
                               ("disp_norm", "disp_norm"), ("disp_sign", "disp_sign_score")):
                booster = self.boosters[kind, tel_type]
                out[name][rows] = booster.predict(x, num_iteration=booster.best_iteration or None)
        return out

    # ------------------------------------------------------------------ persistence
    @staticmethod
    def _stem(kind, tel_type):
        return f"{kind}_{tel_type}"

    def save(self, folder):
        """Write the models (LightGBM text + JSON sidecar each) and the index into ``folder``."""
        from ..io.provenance import software_versions

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        versions = software_versions()
        models = []
        for (kind, tel_type), booster in sorted(self.boosters.items()):
            stem = self._stem(kind, tel_type)
            booster.save_model(str(folder / f"{stem}.txt"), num_iteration=booster.best_iteration or None)
            sidecar = {"kind": kind, "telescope_type": tel_type, "features": self.features,
                       "training": self.stats[kind, tel_type], "config": self.config, "versions": versions,
                       "training_files": self.info.get("training_files", [])}
            (folder / f"{stem}.json").write_text(json.dumps(sidecar, indent=2, sort_keys=True) + "\n")
            models.append({"kind": kind, "telescope_type": tel_type, "file": f"{stem}.txt"})
        index = {"features": self.features, "config": self.config, "models": models, "versions": versions,
                 **self.info}
        (folder / INDEX_FILE).write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, folder):
        """Read a saved `ModelSet`; clear errors for a missing or incomplete folder."""
        import lightgbm

        folder = Path(folder)
        index_path = folder / INDEX_FILE
        if not index_path.is_file():
            raise InputFileError(folder, f"is not a model folder (no {INDEX_FILE}); run 'iactpipe train' first")
        try:
            index = json.loads(index_path.read_text())
        except json.JSONDecodeError as error:
            raise InputFileError(index_path, f"not valid JSON ({error})") from None
        boosters, stats = {}, {}
        for entry in index.get("models", []):
            path = folder / entry["file"]
            if not path.is_file():
                raise InputFileError(path, "model file listed in the index is missing")
            key = (entry["kind"], entry["telescope_type"])
            boosters[key] = lightgbm.Booster(model_file=str(path))
            stats[key] = json.loads((folder / f"{cls._stem(*key)}.json").read_text()).get("training", {})
        info = {k: v for k, v in index.items() if k not in ("features", "config", "models", "versions")}
        return cls(boosters, index["features"], index["config"], stats, info)


def training_runs(folder):
    """Runs (obs_id) whose events trained the models in ``folder`` (role "train" in the index)."""
    index_path = Path(folder) / INDEX_FILE
    if not index_path.is_file():
        raise InputFileError(folder, f"is not a model folder (no {INDEX_FILE}); run 'iactpipe train' first")
    index = json.loads(index_path.read_text())
    return {int(run) for entry in index.get("training_files", []) if entry.get("role") == "train"
            for run in entry.get("runs", [])}


def drop_training_files(paths, folder):
    """``paths`` without the files holding runs the models in ``folder`` were trained on.

    IRFs and test observations must not use events the models have seen; the runs of a
    file come from its ``/configuration/simulation/run`` table.
    """
    from ..io import datamodel as dm
    from ..io.checks import open_hdf5

    used = training_runs(folder)
    kept = []
    for path in paths:
        with open_hdf5(path) as h5file:
            table = dm.SIMULATION_RUN.path()
            runs = set(h5file.get_node(table).col("obs_id").tolist()) if table in h5file else set()
        if runs & used:
            log.info("skipping %s: its run(s) %s trained the models", path, sorted(runs & used))
        else:
            kept.append(path)
    return kept
