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
