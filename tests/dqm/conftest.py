"""Tiny simulated runs shared by the DQM tests (made once per session, ~15 s).

One point-like gamma run (8 showers × 10 cores, 4 LSTs) is simulated and processed to
DL1 with images. A "bad" copy of the raw file has its camera-calibration pedestal raised
by `PEDESTAL_SHIFT_ADC` (a wrong pedestal, as after a failed pedestal run) and is
processed again. Runs for the cross-run comparison are made by splitting the DL1 files
into disjoint event subsets (`split_dl1`), so no further simulation is needed.
"""
import shutil

import numpy as np
import pytest
import tables

#: Raise of the calibration pedestal in the injected bad run, ADC counts per sample.
PEDESTAL_SHIFT_ADC = 15.0


def split_dl1(path, n_parts, out_dir, stem):
    """Split a DL1 file into ``n_parts`` files by ``event_id % n_parts``; returns their paths."""
    out = []
    for part in range(n_parts):
        target = out_dir / f"{stem}_part{part}.dl1.h5"
        shutil.copy(path, target)
        with tables.open_file(target, "a") as h5:
            for group in ("/dl1/event", "/simulation/event"):
                if group not in h5:
                    continue
                for table in h5.walk_nodes(group, "Table"):
                    if "event_id" not in table.colnames:
                        continue
                    rows = table.read()
                    keep = rows[rows["event_id"] % n_parts == part]
                    table.truncate(0)
                    if len(keep):
                        table.append(keep)
                    table.flush()
        out.append(target)
    return out


def raise_pedestal(raw_path, shift_adc):
    """Add ``shift_adc`` to the stored pedestal of every telescope (in place)."""
    with tables.open_file(raw_path, "a") as h5:
        for table in h5.walk_nodes("/r0/monitoring/telescope/calibration", "Table"):
            pedestal = table.col("pedestal_per_sample")
            table.modify_column(colname="pedestal_per_sample", column=pedestal + np.float32(shift_adc))
            table.flush()


@pytest.fixture(scope="session")
def dqm_runs(tmp_path_factory):
    """Paths of the simulated raw and DL1 files: dict with raw, dl1, bad_raw, bad_dl1."""
    from iactpipe.dl1.config import load_config
    from iactpipe.dl1.processor import process_file
    from iactpipe.cli.main import main

    base = tmp_path_factory.mktemp("dqm_runs")
    raw = base / "gamma_run1.h5"
    code = main(["simulate", "--particle", "gamma", "--n-showers", "8", "--reuse", "10", "--run", "1",
                 "--seed", "1", "--array", "CTAO-North-LST", "--energy-min", "0.3", "--energy-max", "3",
                 "--scatter-radius", "200", "--output", str(raw), "--no-progress", "--log-level", "WARNING"])
    assert code == 0
    bad_raw = base / "gamma_run1_bad.h5"
    shutil.copy(raw, bad_raw)
    raise_pedestal(bad_raw, PEDESTAL_SHIFT_ADC)
    config = load_config(None)
    paths = {"raw": raw, "bad_raw": bad_raw}
    for key, source in (("dl1", raw), ("bad_dl1", bad_raw)):
        target = base / source.name.replace(".h5", ".dl1.h5")
        process_file(source, target, config, write_images=True, progress=False)
        paths[key] = target
    return paths
