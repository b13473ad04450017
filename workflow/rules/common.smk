# Plain Python shared by all rules: config validation, targets, per-job config slices.

import glob
import json
import os
import re

import iactpipe
from snakemake.utils import validate


validate(config, schema="../schemas/config.schema.yaml")

#: package version, put in every rule's params so a new release reruns the stages
IACTPIPE_VERSION = iactpipe.__version__


def _check_unique_runs(datasets):
    """Run numbers become obs_id: they must be unique across all datasets."""
    owner = {}
    for name, dataset in datasets.items():
        for run in dataset.get("runs", []):  # stored files take obs_id from the file
            if run in owner:
                raise ValueError(
                    f"config: run {run} appears in datasets {owner[run]!r} and {name!r}; "
                    "run numbers (obs_id) must be unique across datasets"
                )
            owner[run] = name


_check_unique_runs(config["datasets"])


#: dataset keys that list stored input files (one run each) instead of simulating runs
STORED_INPUT_KEYS = ("simtel", "r0")
#: file-name endings dropped to make a stored file's run name
_STORED_SUFFIXES = (".gz", ".zst", ".bz2", ".xz", ".simtel", ".h5", ".hdf5", ".r0", ".eventio")


def stored_run_name(path):
    """Run name of a stored input file: ``run-`` + its name without data/compression
    endings, other characters than ``A-Za-z0-9_-`` replaced by ``_``.

    ``gamma_20deg.simtel.zst`` -> ``run-gamma_20deg``. The ``run-`` prefix keeps the
    ``run{run}`` file patterns of the rules (``{run}`` is then ``-gamma_20deg``) and cannot
    clash with simulated runs (``run000001``).
    """
    name = os.path.basename(path)
    stripped = True
    while stripped:
        stripped = False
        for suffix in _STORED_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix):
                name, stripped = name[: -len(suffix)], True
    sanitised = re.sub(r"[^A-Za-z0-9_-]+", "_", name)
    return f"run-{sanitised}"


def _stored_files(name, dataset):
    """Run name -> absolute path of every file matched by a stored dataset's globs."""
    key = next(key for key in STORED_INPUT_KEYS if key in dataset)
    patterns = [dataset[key]] if isinstance(dataset[key], str) else dataset[key]
    runs = {}
    for pattern in patterns:
        full = os.path.abspath(os.path.join(LAUNCH_DIR, os.path.expanduser(pattern)))
        matches = sorted(path for path in glob.glob(full, recursive=True) if os.path.isfile(path))
        if not matches:
            raise ValueError(f"config: dataset {name!r}: {key} glob {pattern!r} matches no file "
                             f"(relative globs start in {LAUNCH_DIR})")
        for path in matches:
            run = stored_run_name(path)
            if run in runs and runs[run] != path:
                raise ValueError(f"config: dataset {name!r}: files {runs[run]} and {path} both give "
                                 f"run name {run!r}; rename one or split the dataset")
            runs[run] = path
    return runs


#: dataset -> {run name: stored file}, for the datasets of stored files (globbed once)
STORED_RUNS = {
    name: _stored_files(name, dataset)
    for name, dataset in config["datasets"].items()
    if any(key in dataset for key in STORED_INPUT_KEYS)
}


def run_names(name):
    """Run names of dataset ``name``: ``run<NNNNNN>`` (simulated) or ``run-<file>`` (stored)."""
    if name in STORED_RUNS:
        return list(STORED_RUNS[name])
    return [f"run{run:06d}" for run in config["datasets"][name]["runs"]]


def stored_input_kind(dataset):
    """``"simtel"`` or ``"r0"`` for a dataset of stored files, None for a simulated one."""
    return next((key for key in STORED_INPUT_KEYS if key in config["datasets"][dataset]), None)


def dl1_input(wildcards):
    """Input of ``iactpipe process``: the simulated raw file, or the stored file of the run."""
    if wildcards.dataset in STORED_RUNS:
        return STORED_RUNS[wildcards.dataset][f"run{wildcards.run}"]
    return f"results/raw/{wildcards.dataset}/run{wildcards.run}.r0.h5"


def dqm_raw_input(wildcards):
    """The run's R0 HDF5 file for the DQM pedestal maps; none for sim_telarray runs."""
    if stored_input_kind(wildcards.dataset) == "simtel":
        return []
    return dl1_input(wildcards)


def dqm_raw_flag(wildcards, input):
    """``--raw <file>`` of ``iactpipe dqm run`` when the run has an R0 HDF5 file."""
    return f"--raw {input.raw}" if input.raw else ""


wildcard_constraints:
    dataset="|".join(sorted(config["datasets"])) or "NO_DATASET",
    run=r"\d{6}|-[A-Za-z0-9_-]+",  # simulated run number, or -<stored file name>


def dl1_targets():
    """DL1 file of every run of every dataset."""
    return [f"results/dl1/{name}/{run}.dl1.h5" for name in config["datasets"] for run in run_names(name)]


def dl2_targets():
    """DL2 (stereo geometry) file of every run of every dataset."""
    return [f"results/dl2/{name}/{run}.dl2.h5" for name in config["datasets"] for run in run_names(name)]


def raw_output(path):
    """Raw run files are temporary unless ``keep_raw: true``."""
    return path if config["keep_raw"] else temp(path)


def simulation_slice(wildcards):
    """JSON text of the ``simulation:`` section for one run of a dataset.

    Global ``simulation:`` settings, then the dataset's ``simulation:`` overrides, then
    particle, showers, run number and seed. Only the run's own dataset slice enters it, so
    editing another dataset does not rerun this one.
    """
    dataset = config["datasets"][wildcards.dataset]
    values = {**config["simulation"], **dataset.get("simulation", {})}
    values.update(
        particle=dataset["particle"],
        n_showers=dataset["n_showers"],
        run=int(wildcards.run),
        seed=dataset.get("seed", config["seed"]),
    )
    return json.dumps({"simulation": values}, sort_keys=True)


def dl1_slice(wildcards):
    """JSON text of the processing configuration passed to ``iactpipe process --config``."""
    return json.dumps(config["dl1"]["config"], sort_keys=True)


def dl1_flags(wildcards):
    """Command-line flags of ``iactpipe process`` chosen in the ``dl1:`` section."""
    flags = []
    if config["dl1"]["preset"]:
        flags += ["--preset", config["dl1"]["preset"]]
    if config["dl1"]["write_images"]:
        flags.append("--write-images")
    return " ".join(flags)


def dl2_slice(wildcards):
    """JSON text of the reconstruction configuration passed to ``iactpipe reconstruct --config``."""
    return json.dumps({"reconstruct": config["dl2"]["config"]}, sort_keys=True)


#: plots written by the training job (results/plots/ml/<name>.png)
ML_PLOTS = ("energy_performance", "classification", "direction")


def training_files(particle):
    """DL2 files of every run of the datasets that train the models for ``particle``."""
    names = config["train"][particle]
    return [f"results/dl2/{name}/{run}.dl2.h5" for name in names for run in run_names(name)]


def train_particle_flags(wildcards, input):
    """``--gamma ... --proton ... [--electron ...]`` of ``iactpipe train``."""
    flags = []
    for particle in ("gamma", "proton", "electron"):
        files = list(getattr(input, particle))
        if files:
            flags.append(f"--{particle} " + " ".join(files))
    return " ".join(flags)


def train_slice(wildcards):
    """JSON text of the training configuration passed to ``iactpipe train --config``."""
    return json.dumps({"train": config["train"]["config"]}, sort_keys=True)


def ml_targets():
    """Model folder and the DL2 files with model predictions, when training is configured."""
    if not any(config["train"][p] for p in ("gamma", "proton")):
        return []
    return ["results/models"] + [
        f"results/dl2_ml/{name}/{run}.dl2.h5" for name in config["datasets"] for run in run_names(name)
    ]


def _check_training_datasets():
    """Training datasets must exist and have the right particle."""
    expected = {"gamma": ("gamma", "gamma-diffuse"), "proton": ("proton",), "electron": ("electron",)}
    for particle, names in ((p, config["train"][p]) for p in expected):
        for name in names:
            if name not in config["datasets"]:
                raise ValueError(f"config: train.{particle} lists dataset {name!r}, which is not in datasets")
            if config["datasets"][name]["particle"] not in expected[particle]:
                raise ValueError(f"config: train.{particle} lists dataset {name!r} of particle "
                                 f"{config['datasets'][name]['particle']!r}")
    if bool(config["train"]["gamma"]) != bool(config["train"]["proton"] or config["train"]["electron"]):
        raise ValueError("config: train needs gamma datasets and proton (or electron) datasets, or none")


_check_training_datasets()


#: datasets need this many runs for the outlier comparison (each run against the others)
MIN_RUNS_FOR_OUTLIERS = 3


def dqm_telescope_flags(wildcards):
    """``--tel-ids ...`` of the camera maps chosen in ``dqm.camera_map_tel_ids`` (empty: all telescopes)."""
    tel_ids = config["dqm"]["camera_map_tel_ids"]
    return "--tel-ids " + " ".join(str(t) for t in tel_ids) if tel_ids else ""


def dqm_run_folders(dataset):
    """Per-run DQM folders of ``dataset``."""
    return [f"results/plots/dqm/{dataset}/{run}" for run in run_names(dataset)]


def dqm_targets():
    """Per-run DQM of every run, the outlier comparison of datasets with enough runs, and the
    array-event gallery of each dataset's first run."""
    targets = []
    for name, dataset in config["datasets"].items():
        targets += dqm_run_folders(name)
        if len(run_names(name)) >= MIN_RUNS_FOR_OUTLIERS:
            targets.append(f"results/plots/dqm/{name}/outliers/outliers.html")
        if run_names(name):  # array-event gallery of the first run
            targets.append(f"results/plots/events/{name}/{run_names(name)[0]}")
    return targets


#: plots written by the IRF job (copied to results/plots/irf/<name>.png)
IRF_PLOTS = ("sensitivity", "performance", "effective_area_levels", "angular_resolution", "energy_bias_resolution",
             "migration_matrix", "roc", "background_rate")


def irf_input_files():
    """DL2 files with model predictions of the datasets listed in ``irf.datasets``."""
    return [
        f"results/dl2_ml/{name}/{run}.dl2.h5"
        for name in config["irf"]["datasets"]
        for run in run_names(name)
    ]


def irf_slice(wildcards):
    """JSON text of the IRF/DL3 configuration passed to ``iactpipe irf/dl3 --config``."""
    return json.dumps(config["irf"]["config"], sort_keys=True)


def irf_targets():
    """IRF folder and DL3 observation, when IRFs are configured (needs the models)."""
    if not config["irf"]["datasets"] or not ml_targets():
        return []
    for name in config["irf"]["datasets"]:
        if name not in config["datasets"]:
            raise ValueError(f"config: irf.datasets lists {name!r}, which is not in datasets")
    return ["results/irf", "results/dl3"]


def _check_likelihood():
    """The template fit reads the DL1 images: they must be written, and the datasets must exist."""
    section = config["likelihood"]
    if not section["enabled"]:
        return
    if not config["dl1"]["write_images"]:
        raise ValueError("config: likelihood.enabled needs dl1.write_images: true (the fit reads the DL1 images)")
    for name in section["datasets"]:
        if name not in config["datasets"]:
            raise ValueError(f"config: likelihood.datasets lists {name!r}, which is not in datasets")


_check_likelihood()


def likelihood_templates_slice(wildcards):
    """JSON text of the template grid passed to ``iactpipe make-templates --config``."""
    return json.dumps({"templates": config["likelihood"]["templates"]}, sort_keys=True)


def likelihood_fit_slice(wildcards):
    """JSON text of the fit settings passed to ``iactpipe fit-templates --config``."""
    return json.dumps({"template_fit": config["likelihood"]["config"]}, sort_keys=True)


def likelihood_targets():
    """Fitted DL2 files of every run of the datasets in ``likelihood.datasets`` (when enabled)."""
    section = config["likelihood"]
    if not section["enabled"]:
        return []
    return [f"results/dl2_fit/{name}/{run}.dl2.h5" for name in section["datasets"] for run in run_names(name)]
