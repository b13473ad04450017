"""Datasets of stored files and reprocessing campaigns (config ``output_root``).

Every snakemake call runs in a subprocess whose working directory is a temporary folder;
the campaigns write into ``<tmp>/campaigns/<date>`` through ``output_root``. The inputs are
two small real sim_telarray files (one telescope each) and, for the failure test, a
truncated copy of a third.
"""
import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SNAKEFILE = PROJECT_ROOT / "Snakefile"
GOOD_FILES = ("lst_with_photons.simtel.zst", "gamma_with_obslevel_particles.simtel.zst")
ROOT = Path("campaigns/2026-11-28")

pytestmark = pytest.mark.slow


def snakemake(*args, cwd, timeout=900):
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE), *map(str, args)]
    return subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout)


def campaign_config(folder, datasets, **extra):
    """Write a campaign config into ``folder``; return its path."""
    config = {"output_root": str(ROOT), "seed": 1, "datasets": datasets, "dl1": {"write_images": True}, **extra}
    path = folder / "campaign.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def link_inputs(simtel_dir, folder, names=GOOD_FILES):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).symlink_to(simtel_dir / name)
    return folder


def read_summary(root):
    with (root / "results/campaign_summary.csv").open(newline="") as stream:
        return {row["run"]: row for row in csv.DictReader(stream)}


def require_dl1(path):
    iactpipe = shutil.which("iactpipe") or "iactpipe"
    info = subprocess.run([iactpipe, "info", "--require", "dl1", str(path)], capture_output=True, text=True)
    assert info.returncode == 0, info.stdout + info.stderr


def test_failed_run_is_reported_and_does_not_block_the_others(tmp_path, simtel_dir):
    inputs = link_inputs(simtel_dir, tmp_path / "inputs")
    data = (simtel_dir / "gamma_prod6_tel_event_header_v4.simtel.zst").read_bytes()
    (inputs / "broken.simtel.zst").write_bytes(data[: len(data) // 20])  # truncated before the first event
    old = tmp_path / "results" / "old-production.txt"  # an earlier production in the default tree
    old.parent.mkdir()
    old.write_text("untouched")
    config = campaign_config(tmp_path, {"gamma-simtel": {"particle": "gamma", "simtel": "inputs/*.simtel.zst"}})

    result = snakemake("--cores", 2, "--keep-going", "--rerun-incomplete", "--configfile", config, cwd=tmp_path)
    assert result.returncode != 0, result.stdout  # one job failed
    root = tmp_path / ROOT
    summary = read_summary(root)
    assert set(summary) == {"run-lst_with_photons", "run-gamma_with_obslevel_particles", "run-broken"}
    failed = summary["run-broken"]
    assert (failed["status"], failed["stage"]) == ("failed", "process_dl1")
    assert "truncated or corrupt sim_telarray file" in failed["error"]
    assert failed["input"] == str(inputs / "broken.simtel.zst")
    for run in ("run-lst_with_photons", "run-gamma_with_obslevel_particles"):
        assert summary[run]["status"] == "ok", summary[run]
        require_dl1(root / "results/dl1/gamma-simtel" / f"{run}.dl1.h5")
        assert (root / "results/dl2/gamma-simtel" / f"{run}.dl2.h5").is_file()
        assert len(list(root.glob(f"results/**/dqm/gamma-simtel/{run}/summary.json"))) == 1
    # the campaign tree holds everything; the old tree is untouched
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["old-production.txt"]
    assert old.read_text() == "untouched"
    assert (root / ".snakemake").is_dir() and not (root / "results/dl1/gamma-simtel/run-broken.dl1.h5").exists()
    assert not list(root.rglob("*.partial"))


def test_interrupted_campaign_resumes(tmp_path, simtel_dir):
    link_inputs(simtel_dir, tmp_path / "inputs")
    config = campaign_config(tmp_path, {"gamma-simtel": {"particle": "gamma",
                                                         "simtel": str(tmp_path / "inputs" / "*.simtel.zst")}})
    root = tmp_path / ROOT
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE), "--cores", "1", "--keep-going",
               "--rerun-incomplete", "--configfile", str(config)]
    with open(tmp_path / "first.log", "w") as log:
        process = subprocess.Popen(command, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    seen_partial = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        seen_partial = list(root.glob("results/**/*.partial"))
        if seen_partial:
            break
        time.sleep(0.02)
    # a crash: snakemake and its job die at once (no cleanup, stale lock)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert seen_partial, (tmp_path / "first.log").read_text()
    done_before = sorted(root.glob("results/dl1/**/*.dl1.h5"))
    assert len(done_before) < len(GOOD_FILES)

    unlock = snakemake("--unlock", "--configfile", config, cwd=tmp_path)
    assert unlock.returncode == 0, unlock.stdout
    result = snakemake("--cores", 2, "--keep-going", "--rerun-incomplete", "--configfile", config, cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    summary = read_summary(root)
    assert [row["status"] for row in summary.values()] == ["ok", "ok"], summary
    for run in summary:
        require_dl1(root / "results/dl1/gamma-simtel" / f"{run}.dl1.h5")
        assert (root / "results/dl2/gamma-simtel" / f"{run}.dl2.h5").is_file()
    assert not list(root.rglob("*.partial"))
    again = snakemake("-n", "--configfile", config, cwd=tmp_path)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout, again.stdout


def test_stored_datasets_plan_and_schema(tmp_path, simtel_dir):
    """Dry runs: r0 datasets give DQM its --raw file, simtel ones do not; clear config errors."""
    link_inputs(simtel_dir, tmp_path / "inputs", names=GOOD_FILES[:1])
    raw = tmp_path / "stored" / "run000007.r0.h5"
    raw.parent.mkdir()
    raw.write_bytes(b"")  # not read by a dry run
    datasets = {"real": {"particle": "gamma", "simtel": ["inputs/lst_*.simtel.zst"]},
                "kept": {"particle": "proton", "r0": str(raw)}}
    config = campaign_config(tmp_path, datasets)
    result = snakemake("-n", "-p", "--configfile", config, cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "results/dl1/real/run-lst_with_photons.dl1.h5" in result.stdout
    assert f"--input {raw} --output results/dl1/kept/run-run000007.dl1.h5" in result.stdout
    assert f"--raw {raw}" in result.stdout
    assert "--input results/dl1/real/run-lst_with_photons.dl1.h5  --output-dir" in result.stdout

    def fails(datasets, message):
        bad = campaign_config(tmp_path, datasets)
        result = snakemake("-n", "--configfile", bad, cwd=tmp_path)
        assert result.returncode != 0 and message in result.stdout, result.stdout

    fails({"real": {"particle": "gamma", "simtel": "inputs/*.simtel.zst", "runs": [1]}}, "'runs' was unexpected")
    fails({"real": {"particle": "gamma", "simtel": "inputs/*.simtel.zst", "r0": str(raw)}},
          "should not be valid under")
    fails({"real": {"particle": "muon", "simtel": "inputs/*.simtel.zst"}}, "'muon' is not one of")
    fails({"real": {"particle": "gamma", "simtel": "nowhere/*.simtel.zst"}},
          "dataset 'real': simtel glob 'nowhere/*.simtel.zst' matches no file")


def test_run_status_and_error_line(tmp_path):
    from iactpipe.campaign import Stage, error_line, run_status

    log = tmp_path / "a.log"
    log.write_text("INFO start\nERROR iactpipe.io.hdf5: discarding x.partial\n"
                   "iactpipe process: error: x.simtel.zst: truncated\n\n")
    assert error_line(log) == "iactpipe process: error: x.simtel.zst: truncated"
    log.write_text("Traceback (most recent call last):\n  File x\nValueError: bad\n")
    assert error_line(log) == "ValueError: bad"
    log.write_text("killed without a word\n")
    assert error_line(log) == "killed without a word"
    output = tmp_path / "out.h5"
    stages = [Stage("one", (str(output),), str(log)), Stage("two", (str(tmp_path / "no"),), str(tmp_path / "no.log"))]
    assert run_status(stages) == ("failed", "one", "killed without a word", str(log))
    output.write_text("")
    assert run_status(stages) == ("missing", "two", "", "")
    assert run_status(stages[:1]) == ("ok", "", "", "")
