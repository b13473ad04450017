# Plain Python shared by all rules: config validation, targets, per-job config slices.

import json

import iactpipe
from snakemake.utils import validate


validate(config, schema="../schemas/config.schema.yaml")

#: package version, put in every rule's params so a new release reruns the stages
IACTPIPE_VERSION = iactpipe.__version__


def _check_unique_runs(datasets):
    """Run numbers become obs_id: they must be unique across all datasets."""
    owner = {}
    for name, dataset in datasets.items():
        for run in dataset["runs"]:
            if run in owner:
                raise ValueError(
                    f"config: run {run} appears in datasets {owner[run]!r} and {name!r}; "
                    "run numbers (obs_id) must be unique across datasets"
                )
            owner[run] = name


_check_unique_runs(config["datasets"])


wildcard_constraints:
    dataset="|".join(sorted(config["datasets"])) or "NO_DATASET",
    run=r"\d{6}",


def dl1_targets():
    """DL1 file of every run of every dataset."""
    return [
        f"results/dl1/{name}/run{run:06d}.dl1.h5"
        for name, dataset in config["datasets"].items()
        for run in dataset["runs"]
    ]


def dl2_targets():
    """DL2 (stereo geometry) file of every run of every dataset."""
    return [
        f"results/dl2/{name}/run{run:06d}.dl2.h5"
        for name, dataset in config["datasets"].items()
        for run in dataset["runs"]
    ]


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
    return [
        f"results/dl2/{name}/run{run:06d}.dl2.h5"
        for name in names
        for run in config["datasets"][name]["runs"]
    ]


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
        f"results/dl2_ml/{name}/run{run:06d}.dl2.h5"
        for name, dataset in config["datasets"].items()
        for run in dataset["runs"]
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


def dqm_run_folders(dataset):
    """Per-run DQM folders of ``dataset``."""
    return [f"results/dqm/{dataset}/run{run:06d}" for run in config["datasets"][dataset]["runs"]]


def dqm_targets():
    """Per-run DQM of every run, and the outlier comparison of datasets with enough runs."""
    targets = []
    for name, dataset in config["datasets"].items():
        targets += dqm_run_folders(name)
        if len(dataset["runs"]) >= MIN_RUNS_FOR_OUTLIERS:
            targets.append(f"results/dqm/{name}/outliers/outliers.html")
    return targets
