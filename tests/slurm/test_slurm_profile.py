"""The SLURM profile (workflow/profiles/slurm) on a real one-node SLURM cluster.

``slurm-up.sh`` installs Debian's SLURM if needed and starts munged, slurmctld and slurmd
for this host; the tiny configuration (config/test.yaml, its default target) then runs
through the profile, and beside it, as the reference, with ``--cores 2``. The test checks
that every job went through SLURM (the job ids Snakemake reports are jobs SLURM ran to
COMPLETED, each with its log under .snakemake/slurm_logs/) and that every HDF5 table of
both runs holds the same data; ``slurm-down.sh`` stops the daemons by their pid files.

Skipped, with the reason, only where SLURM cannot run: not root, or SLURM missing and no
apt-get on a Debian system. Facts and pitfalls: ../shared/reference/SLURM.md.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import tables

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SNAKEFILE = PROJECT_ROOT / "Snakefile"
TEST_CONFIG = PROJECT_ROOT / "config" / "test.yaml"
PROFILE = PROJECT_ROOT / "workflow" / "profiles" / "slurm"
HERE = Path(__file__).resolve().parent

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

#: slurm-up.sh's exit code for "this machine cannot run SLURM"
CANNOT_RUN = 3
#: hard limit (timeout -s KILL) of the SLURM run: without it a status query that keeps
#: failing would retry for ever
SLURM_RUN_SECONDS = 900


def cluster_logs(state_dir):
    """The tails of the daemons' logs, for failure messages."""
    text = []
    for log in sorted(Path(state_dir).glob("log/*.log")):
        text.append(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-20:]))
    return "\n".join(text)


@pytest.fixture(scope="module")
def slurm_cluster():
    """Environment (SLURM_CONF, partition) of a one-node SLURM cluster started for this module."""
    if os.geteuid() != 0:
        pytest.skip("SLURM test needs root (it installs SLURM and runs its daemons)")
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        pytest.fail("snakemake-executor-plugin-slurm is missing: pip install -e '.[test]'")
    # under /tmp (world-traversable): the munge user reads its socket there
    state_dir = tempfile.mkdtemp(prefix="iactpipe-slurm-", dir="/tmp")
    try:
        up = subprocess.run(["bash", str(HERE / "slurm-up.sh"), state_dir], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=900)
        if up.returncode == CANNOT_RUN:
            pytest.skip(up.stdout.strip().splitlines()[-1])
        assert up.returncode == 0, f"slurm-up.sh failed:\n{up.stdout}"
        env = dict(os.environ, SLURM_CONF=f"{state_dir}/slurm.conf", IACTPIPE_SLURM_PARTITION="debug")
        env["PATH"] = f"{env.get('PATH', '')}:/usr/sbin:/sbin"
        yield {"env": env, "dir": state_dir}
    finally:
        down = subprocess.run(["bash", str(HERE / "slurm-down.sh"), state_dir], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=120)
        shutil.rmtree(state_dir, ignore_errors=True)
        assert down.returncode == 0, f"slurm-down.sh failed:\n{down.stdout}"


#: the dataset of the tiny config whose runs go through SLURM
SLURM_DATASET = "gamma"


def per_run_targets():
    """The DL2 files and per-run DQM folders of the runs of one dataset of the tiny config.

    They need every per-run rule (simulation, DL1, DQM of the raw file, stereo geometry)
    in three dependent stages. The other datasets' runs would only repeat the same rules
    on the one-node cluster's 2 cores (3x the jobs, ~2.5 min more), and the single jobs after
    them (training, IRFs, DL3) would add four more stages of SLURM status-check waits and
    nothing SLURM-specific, so this test stops at DL2 (tests/workflow runs the whole chain
    locally).
    """
    import yaml

    config = yaml.safe_load(TEST_CONFIG.read_text())
    runs = [(SLURM_DATASET, run) for run in config["datasets"][SLURM_DATASET]["runs"]]
    return ([f"results/dl2/{name}/run{run:06d}.dl2.h5" for name, run in runs]
            + [f"results/plots/dqm/{name}/run{run:06d}" for name, run in runs])


def snakemake_command(workdir, *args):
    # targets first: --configfile takes several values
    return [sys.executable, "-m", "snakemake", *per_run_targets(), "--snakefile", str(SNAKEFILE),
            "--directory", str(workdir), "--configfile", str(TEST_CONFIG), *map(str, args)]


def job_counts(output):
    """Rule -> job count from the 'Job stats' table of a run."""
    table = output.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    return {rule: int(count) for rule, count in re.findall(r"^(\w+)\s+(\d+)\s*$", table, flags=re.M)
            if rule != "total"}


def read_tables(path):
    """Every leaf of an HDF5 file (tables and arrays): node path -> numpy data."""
    with tables.open_file(path) as h5:
        return {node._v_pathname: node.read() for node in h5.walk_nodes("/", classname="Leaf")}


def assert_same_data(a, b, where):
    """Equal dtype, shape and values, NaN equal to NaN, column by column."""
    assert a.dtype == b.dtype and a.shape == b.shape, where
    for name in a.dtype.names or [None]:
        x, y = (a, b) if name is None else (a[name], b[name])
        np.testing.assert_array_equal(x, y, err_msg=f"{where} column {name}")


def test_tiny_workflow_runs_through_slurm_like_a_local_run(slurm_cluster, tmp_path):
    env = slurm_cluster["env"]
    local_dir, slurm_dir = tmp_path / "local", tmp_path / "slurm"
    # the reference run in the background: the SLURM run mostly waits between status checks
    local = subprocess.Popen(snakemake_command(local_dir, "--cores", 2), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    try:
        slurm = subprocess.run(
            ["timeout", "-s", "KILL", str(SLURM_RUN_SECONDS),
             *snakemake_command(slurm_dir, "--workflow-profile", PROFILE,
                                # status queries 10, 30, 60 s after a submission (the
                                # plugin adds 10 s per query that finds no job finished);
                                # a job here takes 16-25 s, mostly Snakemake's start-up
                                "--slurm-init-seconds-before-status-checks", 10,
                                "--slurm-keep-successful-logs", "--retries", 0)],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=SLURM_RUN_SECONDS + 30)
        local_output, _ = local.communicate(timeout=900)
    finally:
        if local.poll() is None:
            local.kill()
            local.wait()
    assert local.returncode == 0, local_output
    assert slurm.returncode == 0, slurm.stdout + cluster_logs(slurm_cluster["dir"])

    # every job of the run except the target rule `all` (no action: Snakemake runs it
    # itself) was submitted to SLURM ...
    counts = job_counts(slurm.stdout)
    n_jobs = sum(count for rule, count in counts.items() if rule != "all")
    assert n_jobs >= 6, counts  # 2 runs x (simulate, DL1, DL2)
    submitted = re.findall(r"Job \d+ has been submitted with SLURM jobid (\d+) \(log: (\S+)\)", slurm.stdout)
    assert len(submitted) == n_jobs, slurm.stdout
    # ... and SLURM ran each of them to completion: its own record of the jobs (finished
    # jobs stay visible for MinJobAge = 3600 s)
    squeue = subprocess.run(["squeue", "-h", "-t", "all", "-o", "%i|%T|%k"], env=env, capture_output=True,
                            text=True, timeout=30)
    assert squeue.returncode == 0, squeue.stderr
    slurm_jobs = {job_id: (state, comment) for job_id, state, comment in
                  (line.split("|", 2) for line in squeue.stdout.split())}
    rules_run = {}
    for job_id, log in submitted:
        state, comment = slurm_jobs[job_id]
        assert state == "COMPLETED", (job_id, state, comment)
        rule = re.match(r"rule_(\w+?)(?:_wildcards|$)", comment).group(1)
        rules_run[rule] = rules_run.get(rule, 0) + 1
        log_text = Path(log).read_text()
        assert "--executor slurm-jobstep" in log_text, log
        assert re.search(rf"^rule {rule}:", log_text, flags=re.M), log
    assert rules_run == {rule: count for rule, count in counts.items() if rule != "all"}
    assert len(list((slurm_dir / ".snakemake/slurm_logs").glob("rule_*/*/*.log"))) == n_jobs

    # the same data tables as the local run (provenance attributes differ: times, hosts)
    local_files = sorted(p.relative_to(local_dir) for p in (local_dir / "results").rglob("*.h5"))
    slurm_files = sorted(p.relative_to(slurm_dir) for p in (slurm_dir / "results").rglob("*.h5"))
    assert local_files == slurm_files
    assert len(local_files) >= 4, local_files  # DL1 and DL2 of both runs
    n_tables = 0
    for path in local_files:
        local_tables, slurm_tables = read_tables(local_dir / path), read_tables(slurm_dir / path)
        assert sorted(local_tables) == sorted(slurm_tables), path
        for node, data in local_tables.items():
            assert_same_data(data, slurm_tables[node], f"{path}:{node}")
            n_tables += 1
    assert n_tables > 0
