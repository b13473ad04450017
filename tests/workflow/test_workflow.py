"""The Snakemake workflow (top-level Snakefile): lint, dry run, a real tiny run, reruns, validation.

Every snakemake call runs in a subprocess from a temporary working directory
(``--directory``), with the Snakefile and the config file given by absolute path, so the
repository's own ``results/`` and ``logs/`` are never touched.
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SNAKEFILE = PROJECT_ROOT / "Snakefile"
TEST_CONFIG = PROJECT_ROOT / "config" / "test.yaml"
MAIN_CONFIG = PROJECT_ROOT / "config" / "config.yaml"

pytestmark = pytest.mark.slow

def snakemake(*args, cwd):
    """Run snakemake (from this interpreter's install) in ``cwd``; stdout and stderr merged in ``.stdout``."""
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE), *map(str, args)]
    return subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=900)


def job_counts(output):
    """Rule -> job count from the 'Job stats' table of a (dry) run."""
    table = output.split("Job stats:", 1)[1]
    return {rule: int(count) for rule, count in re.findall(r"^(\w+)\s+(\d+)\s*$", table, flags=re.M)
            if rule != "total"}


def dl1_files(config_path):
    config = yaml.safe_load(Path(config_path).read_text())
    return [Path("results/dl1") / name / f"run{run:06d}.dl1.h5"
            for name, dataset in config["datasets"].items() for run in dataset["runs"]]


def dl2_files(config_path):
    return [Path(str(path).replace("dl1", "dl2")) for path in dl1_files(config_path)]


def test_lint_is_clean(tmp_path):
    result = snakemake("--lint", "--directory", tmp_path, "--configfile", MAIN_CONFIG, cwd=PROJECT_ROOT)
    output = result.stdout
    assert "Error" not in output, output
    assert "Lints for" not in output, output
    assert result.returncode == 0, output


def likelihood_counts(config_path):
    """Jobs of the template fit: the templates once, one fit per run of the fitted datasets."""
    config = yaml.safe_load(Path(config_path).read_text())
    section = config.get("likelihood", {})
    if not section.get("enabled"):
        return {}
    return {"make_templates": 1, "fit_templates": sum(len(config["datasets"][name]["runs"])
                                                       for name in section["datasets"])}


def chain_counts(config_path):
    """Jobs of a full run of a config: per-run stages, training and application."""
    n_runs = len(dl1_files(config_path))
    datasets = yaml.safe_load(Path(config_path).read_text())["datasets"]
    n_compare = sum(len(dataset["runs"]) >= 3 for dataset in datasets.values())  # outlier comparison
    return {"simulate_run": n_runs, "process_dl1": n_runs, "dqm_run": n_runs, "reconstruct_stereo": n_runs,
            "dqm_events": len(datasets), "train_models": 1, "apply_models": n_runs, "make_irfs": 1, "make_dl3": 1,
            "all": 1, **likelihood_counts(config_path),
            **({"dqm_compare": n_compare} if n_compare else {})}


@pytest.mark.parametrize("config", [TEST_CONFIG, MAIN_CONFIG], ids=["test", "main"])
def test_dry_run_plans_every_stage_once_per_run(tmp_path, config):
    result = snakemake("-n", "--directory", tmp_path, "--configfile", config, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stdout
    assert job_counts(result.stdout) == chain_counts(config)
    # the --configfile replaces config/config.yaml rather than being merged with it
    for path in dl1_files(config) + dl2_files(config):
        assert str(path) in result.stdout


def write_config(path, edit):
    """Write config/test.yaml changed by ``edit(config)`` to ``path``; return ``path``."""
    config = yaml.safe_load(TEST_CONFIG.read_text())
    edit(config)
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """The tiny config run once to the end, keeping the raw files (the caching tests need them)."""
    folder = tmp_path_factory.mktemp("tiny_run")
    kept = write_config(folder / "kept.yaml", lambda c: c.update(keep_raw=True))
    result = snakemake("--cores", 2, "--directory", folder, "--configfile", kept, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stdout
    return folder


def test_tiny_run_writes_every_stage(tiny_run):
    tmp_path = tiny_run
    expected = dl1_files(TEST_CONFIG)
    iactpipe = shutil.which("iactpipe") or "iactpipe"
    for path in expected:
        assert (tmp_path / path).is_file(), path
        info = subprocess.run([iactpipe, "info", "--require", "dl1", str(tmp_path / path)],
                              capture_output=True, text=True)
        assert info.returncode == 0, info.stdout + info.stderr
        run = path.name.split(".")[0]
        for level in ("dl2", "dl2_ml"):
            dl2 = tmp_path / "results" / level / path.parent.name / f"{run}.dl2.h5"
            info = subprocess.run([iactpipe, "info", "--require", "dl2", str(dl2)], capture_output=True, text=True)
            assert info.returncode == 0, info.stdout + info.stderr
        for rule in ("simulate_run", "process_dl1", "reconstruct_stereo", "apply_models"):
            logs = tmp_path / "logs" / rule / path.parent.name
            assert (logs / f"{run}.log").is_file()
            assert (logs / f"{run}.benchmark.tsv").is_file()
    assert len(list((tmp_path / "results").glob("raw/**/*.r0.h5"))) == len(expected)  # keep_raw: true
    # the per-job simulation slice is what `iactpipe simulate --config` read
    sim = yaml.safe_load((tmp_path / "logs/simulate_run/gamma/run000001.config.yaml").read_text())
    assert sim["simulation"]["array"] == "CTAO-North-LST"
    assert sim["simulation"]["run"] == 1
    reco = yaml.safe_load((tmp_path / "logs/reconstruct_stereo/gamma/run000001.config.yaml").read_text())
    assert reco == {"reconstruct": {"quality": {"min_intensity_pe": 30.0}}}
    from iactpipe.io.hdf5 import read_subarray_events, read_table

    events = read_subarray_events(tmp_path / "results/dl2/gamma/run000001.dl2.h5")
    assert events["HillasReconstructor_is_valid"].sum() > 0
    events = read_subarray_events(tmp_path / "results/dl2_ml/gamma/run000001.dl2.h5")
    assert events["LGBMRegressor_is_valid"].sum() > 0 and events["LGBMClassifier_is_valid"].sum() > 0
    assert (tmp_path / "results/models/models.json").is_file()
    for plot in ("energy_performance", "classification", "direction"):
        assert (tmp_path / "results/plots/ml" / f"{plot}.png").stat().st_size > 10_000
    for name in ("trigger_multiplicity", "pixel_distributions", "parameters", "example_events",
                 "camera_maps_tel_001"):
        assert (tmp_path / "results/plots/dqm/gamma/run000001" / f"{name}.png").stat().st_size > 10_000
    assert (tmp_path / "results/plots/events/gamma/run000001/array_events.png").stat().st_size > 10_000
    fitted = read_table(tmp_path / "results/dl2_fit/gamma/run000001.dl2.h5", "/dl2/event/subarray/geometry/TemplateFit")
    assert fitted["TemplateFit_is_valid"].sum() > 0
    for name in ("irf/irf_point_like.fits.gz", "irf/irf_full_enclosure.fits.gz", "irf/cuts.ecsv",
                 "dl3/hdu-index.fits.gz", "dl3/obs-index.fits.gz"):
        assert (tmp_path / "results" / name).stat().st_size > 500, name
    for plot in ("sensitivity", "performance", "effective_area_levels", "angular_resolution", "energy_bias_resolution",
                 "migration_matrix", "roc", "background_rate"):
        assert (tmp_path / "results/plots/irf" / f"{plot}.png").stat().st_size > 10_000, plot
    # the Snakemake report collects the DQM, model and IRF plots
    kept = tmp_path / "kept.yaml"
    report = snakemake("--report", "report.html", "--directory", tmp_path, "--configfile", kept, cwd=PROJECT_ROOT)
    assert report.returncode == 0, report.stdout
    html = (tmp_path / "report.html").read_text(errors="replace")
    assert "Data quality" in html and "Models" in html and "IRFs and sensitivity" in html
    # nothing left to do
    again = snakemake("-n", "--directory", tmp_path, "--configfile", kept, cwd=PROJECT_ROOT)
    assert again.returncode == 0, again.stdout
    assert "Nothing to be done" in again.stdout


def test_raw_files_are_temporary_unless_kept(tmp_path):
    target = "results/dl1/gamma/run000001.dl1.h5"
    # the target goes first: --configfile takes several values
    result = snakemake(target, "--cores", 1, "--directory", tmp_path, "--configfile", TEST_CONFIG, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stdout
    assert (tmp_path / target).is_file()
    assert not list((tmp_path / "results").glob("raw/**/*.h5"))


def test_config_change_reruns_only_the_affected_stage(tiny_run):
    tmp_path = tiny_run
    n_runs = len(dl1_files(TEST_CONFIG))
    n_datasets = len(yaml.safe_load(TEST_CONFIG.read_text())["datasets"])
    fits = likelihood_counts(TEST_CONFIG)["fit_templates"]
    downstream = {"train_models": 1, "apply_models": n_runs, "make_irfs": 1, "make_dl3": 1, "all": 1,
                  "fit_templates": fits}

    def dl1_change(config):
        config.update(keep_raw=True)
        config["dl1"]["config"] = {"cleaning": {"picture_threshold_pe": 12.0}}

    changed = write_config(tmp_path / "dl1_changed.yaml", dl1_change)
    result = snakemake("-n", "--directory", tmp_path, "--configfile", changed, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stdout
    assert job_counts(result.stdout) == {"process_dl1": n_runs, "dqm_run": n_runs, "reconstruct_stereo": n_runs,
                                         "dqm_events": n_datasets, **downstream}

    def dl2_change(config):
        config.update(keep_raw=True)
        config["dl2"]["config"]["min_telescopes"] = 3

    changed = write_config(tmp_path / "dl2_changed.yaml", dl2_change)
    result = snakemake("-n", "--directory", tmp_path, "--configfile", changed, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stdout
    assert job_counts(result.stdout) == {"reconstruct_stereo": n_runs, "dqm_events": n_datasets, **downstream}

    def train_change(config):
        config.update(keep_raw=True)
        config["train"]["config"]["lightgbm"]["num_leaves"] = 5

    changed = write_config(tmp_path / "train_changed.yaml", train_change)
    result = snakemake("-n", "--directory", tmp_path, "--configfile", changed, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stdout
    assert job_counts(result.stdout) == downstream

    def irf_change(config):
        config.update(keep_raw=True)
        config["irf"]["config"] = {"binning": {"reco_energy_per_decade": 4}}

    changed = write_config(tmp_path / "irf_changed.yaml", irf_change)
    result = snakemake("-n", "--directory", tmp_path, "--configfile", changed, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stdout
    assert job_counts(result.stdout) == {"make_irfs": 1, "make_dl3": 1, "all": 1}

    changed = write_config(tmp_path / "sim_changed.yaml", lambda c: c.update(keep_raw=True, seed=2))
    result = snakemake("-n", "--directory", tmp_path, "--configfile", changed, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stdout
    # everything but the templates, which have their own seed
    expected = {rule: n for rule, n in chain_counts(TEST_CONFIG).items() if rule != "make_templates"}
    assert job_counts(result.stdout) == expected


def test_likelihood_needs_dl1_images(tmp_path):
    def edit(config):
        config["dl1"]["write_images"] = False

    result = snakemake("-n", "--directory", tmp_path, "--configfile", write_config(tmp_path / "c.yaml", edit),
                       cwd=PROJECT_ROOT)
    assert result.returncode != 0
    assert "likelihood.enabled needs dl1.write_images" in result.stdout


@pytest.mark.parametrize("edit, key", [
    pytest.param(lambda c: c.update(dl1_typo=1), "dl1_typo", id="top-level"),
    pytest.param(lambda c: c["simulation"].update(energy_min=0.1), "energy_min", id="simulation"),
    pytest.param(lambda c: c["dl1"].update(config={"cleaning": {"picture_thresold_pe": 8.0}}),
                 "picture_thresold_pe", id="dl1-cleaning"),
    pytest.param(lambda c: c["datasets"]["gamma"].update(nshowers=3), "nshowers", id="dataset"),
    pytest.param(lambda c: c["dl2"]["config"]["quality"].update(min_intensity=3), "min_intensity", id="dl2-quality"),
])
def test_unknown_config_key_fails_naming_the_key(tmp_path, edit, key):
    bad = write_config(tmp_path / "bad.yaml", edit)
    result = snakemake("-n", "--directory", tmp_path, "--configfile", bad, cwd=PROJECT_ROOT)
    assert result.returncode != 0
    assert f"'{key}' was unexpected" in result.stdout


def test_out_of_range_value_and_duplicate_runs_fail(tmp_path):
    config = yaml.safe_load(TEST_CONFIG.read_text())
    config["simulation"]["pointing_alt_deg"] = 10.0
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(config))
    result = snakemake("-n", "--directory", tmp_path, "--configfile", bad, cwd=PROJECT_ROOT)
    assert result.returncode != 0
    assert "10.0 is less than the minimum of 30" in result.stdout

    config = yaml.safe_load(TEST_CONFIG.read_text())
    config["datasets"]["protons"] = {"particle": "proton", "runs": [2], "n_showers": 5}
    bad.write_text(yaml.safe_dump(config))
    result = snakemake("-n", "--directory", tmp_path, "--configfile", bad, cwd=PROJECT_ROOT)
    assert result.returncode != 0
    assert "run 2 appears in datasets 'gamma' and 'protons'" in result.stdout


@pytest.mark.parametrize("config_path", [TEST_CONFIG, MAIN_CONFIG], ids=["test", "main"])
def test_config_slices_pass_the_package_validation(config_path):
    """What the rules hand to `iactpipe simulate` / `iactpipe process` is accepted by the package."""
    from iactpipe.dl1.config import ProcessConfig
    from iactpipe.simulation.config import SimulationConfig

    config = yaml.safe_load(config_path.read_text())
    for dataset in config["datasets"].values():
        for run in dataset["runs"]:
            values = {**config.get("simulation", {}), **dataset.get("simulation", {}),
                      "n_showers": dataset["n_showers"], "run": run, "seed": dataset.get("seed", config["seed"])}
            SimulationConfig.from_dict(values, particle=dataset["particle"])
    ProcessConfig(config.get("dl1", {}).get("config", {}))
    from iactpipe.reco.config import ReconstructConfig

    ReconstructConfig({"reconstruct": config.get("dl2", {}).get("config", {})})
    from iactpipe.ml.config import TrainConfig

    TrainConfig({"train": config.get("train", {}).get("config", {})})
