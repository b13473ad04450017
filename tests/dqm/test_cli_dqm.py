"""``iactpipe dqm run`` / ``iactpipe dqm compare`` in-process: outputs, atomic folders, bad input."""
import json

import pytest

from iactpipe.cli.main import main

from .conftest import split_dl1


def _assert_clear_error(code, err, *phrases):
    assert code == 1
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    for phrase in phrases:
        assert phrase in err


@pytest.fixture(scope="module")
def run_dirs(dqm_runs, tmp_path_factory):
    """``dqm run`` on the good run (with raw, PDF) and on three quarters of the bad and good runs."""
    base = tmp_path_factory.mktemp("cli_dqm")
    parts = split_dl1(dqm_runs["dl1"], 3, base, "good") + split_dl1(dqm_runs["bad_dl1"], 3, base, "bad")[:1]
    full = base / "full"
    code = main(["dqm", "run", "--input", str(dqm_runs["dl1"]), "--raw", str(dqm_runs["raw"]),
                 "--compare", str(parts[-1]), "--compare-labels", "bad pedestal", "--label", "gamma",
                 "--output-dir", str(full), "--n-examples", "2", "--tel-ids", "2", "--dpi", "50",
                 "--log-level", "WARNING"])
    assert code == 0
    dirs = []
    for path in parts:
        raw = dqm_runs["bad_raw"] if path.name.startswith("bad") else dqm_runs["raw"]
        out = base / path.name.removesuffix(".dl1.h5")
        assert main(["dqm", "run", "-i", str(path), "--raw", str(raw), "-o", str(out), "--summary-only",
                     "--log-level", "ERROR"]) == 0
        assert [p.name for p in out.iterdir()] == ["summary.json"]
        dirs.append(out)
    return full, dirs


def test_run_outputs(run_dirs):
    full, _ = run_dirs
    names = {p.name for p in full.iterdir()}
    expected = {"summary.json", "trigger_multiplicity.png", "pixel_distributions.png", "image_survival.png",
                "parameters.png", "example_events.png", "camera_maps_tel_002.png"}
    assert expected == names
    for name in expected - {"summary.json"}:
        assert (full / name).stat().st_size > 5_000, name
    summary = json.loads((full / "summary.json").read_text())
    assert summary["run"] == "gamma" and summary["scalars"]["n_events"] > 0
    assert not [p for p in full.parent.iterdir() if p.name.startswith(".full.tmp")]  # temp folder renamed


def test_compare(run_dirs, tmp_path, capsys):
    _, dirs = run_dirs
    out = tmp_path / "outliers"
    assert main(["dqm", "compare", *map(str, dirs), "--output-dir", str(out), "--pdf", "--log-level", "ERROR"]) == 0
    assert "1 of 4 runs flagged" in capsys.readouterr().out
    csv = (out / "outliers.csv").read_text()
    bad_line = [line for line in csv.splitlines() if line.startswith("bad_part0")][0]
    assert ",True," in bad_line and "pedestal_mean_adc" in bad_line
    assert all(",False," in line for line in csv.splitlines()[1:] if line.startswith("good"))
    assert (out / "outliers.html").stat().st_size > 1000
    assert (out / "run_metrics.png").stat().st_size > 10_000
    assert (out / "run_metrics.pdf").stat().st_size > 5_000
    # existing output folder: refused without --overwrite, replaced with it
    code = main(["dqm", "compare", *map(str, dirs), "--output-dir", str(out)])
    _assert_clear_error(code, capsys.readouterr().err, "output folder exists")
    assert main(["dqm", "compare", *map(str, dirs), "--output-dir", str(out), "--overwrite",
                 "--log-level", "ERROR"]) == 0


def test_bad_inputs(run_dirs, tmp_path, capsys):
    _, dirs = run_dirs
    missing = tmp_path / "missing.dl1.h5"
    code = main(["dqm", "run", "--input", str(missing), "--output-dir", str(tmp_path / "o1")])
    _assert_clear_error(code, capsys.readouterr().err, str(missing), "does not exist")
    assert not (tmp_path / "o1").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".o1.tmp")]  # aborted temp folder removed
    not_hdf5 = tmp_path / "text.h5"
    not_hdf5.write_text("hello")
    code = main(["dqm", "run", "--input", str(not_hdf5), "--output-dir", str(tmp_path / "o2")])
    _assert_clear_error(code, capsys.readouterr().err, str(not_hdf5))
    code = main(["dqm", "compare", str(dirs[0]), str(dirs[1]), "--output-dir", str(tmp_path / "o3")])
    _assert_clear_error(code, capsys.readouterr().err, "at least 3 runs")
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    code = main(["dqm", "compare", str(bad_json), str(dirs[0]), str(dirs[1]), "--output-dir", str(tmp_path / "o4")])
    _assert_clear_error(code, capsys.readouterr().err, str(bad_json), "invalid JSON")
    code = main(["dqm", "run", "-i", str(dirs[0].parent / "good_part0.dl1.h5"), "--tel-ids", "99",
                 "-o", str(tmp_path / "o5")])
    _assert_clear_error(code, capsys.readouterr().err, "no telescope(s) [99]")
    with pytest.raises(SystemExit) as exc:
        main(["dqm", "run"])
    assert exc.value.code == 2


def test_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["dqm", "--help"])
    assert exc.value.code == 0
    assert "compare" in capsys.readouterr().out
    assert main(["--help"]) == 0
    assert "dqm" in capsys.readouterr().out


def test_events_gallery(dqm_runs, tmp_path, capsys):
    """``dqm events`` draws valid array events of a DL2 file with their true and reconstructed cores."""
    from iactpipe.dqm.examples import array_examples
    from iactpipe.io.hdf5 import read_table

    dl2 = tmp_path / "run1.dl2.h5"
    assert main(["reconstruct", "--input", str(dqm_runs["dl1"]), "--output", str(dl2), "--log-level", "WARNING"]) == 0
    subarray, events = array_examples(dl2, n_events=3)
    assert 1 <= len(events) <= 3
    geometry = read_table(dl2, "/dl2/event/subarray/geometry/HillasReconstructor")
    valid = geometry[geometry["HillasReconstructor_is_valid"].to_numpy(bool)]
    for event in events:
        assert len(event["psi_deg"]) >= 2 and set(event["psi_deg"]) <= set(int(t) for t in event["triggered"])
        match = valid[(valid["HillasReconstructor_core_x"] == event["reco_core"][0])]
        assert len(match) == 1
        assert all(abs(v) < 1e4 for v in event["true_core"])
    out = tmp_path / "events"
    assert main(["dqm", "events", "--input", str(dl2), "--output-dir", str(out), "--n-events", "2"]) == 0
    assert (out / "array_events.png").stat().st_size > 10_000
    capsys.readouterr()
    assert main(["dqm", "events", "--input", str(dqm_runs["dl1"]), "--output-dir", str(tmp_path / "bad")]) == 1
    assert "dl2" in capsys.readouterr().err.lower()
    assert not (tmp_path / "bad").exists()
