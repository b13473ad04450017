"""``iactpipe irf`` / ``iactpipe dl3``: bad input is one clear line and exit code 1."""
import pytest

from iactpipe.cli.main import COMMANDS, main


def test_commands_registered():
    assert COMMANDS["irf"][0] == "irf" and COMMANDS["dl3"][0] == "dl3"


def _run(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    return code, err


def test_missing_input(capsys, tmp_path):
    code, err = _run(capsys, ["irf", "-i", str(tmp_path / "nope.h5"), "-o", str(tmp_path / "o")])
    assert code == 1
    assert err[-1] == f"iactpipe irf: error: {tmp_path / 'nope.h5'}: no such file"


def test_unknown_config_key(capsys, tmp_path, synthetic_dl2):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("cuts: {gh_eff: 0.5}\n")
    code, err = _run(capsys, ["irf", "-i", str(synthetic_dl2["gamma"]), "-o", str(tmp_path / "o"), "-c", str(cfg)])
    assert code == 1
    assert "cuts.gh_eff: unknown configuration key" in err[-1]


def test_unknown_algorithm(capsys, tmp_path, synthetic_dl2):
    code, err = _run(capsys, ["irf", "-i", str(synthetic_dl2["gamma"]), "-o", str(tmp_path / "o"),
                              "--energy", "RandomForestRegressor", "--log-level", "ERROR"])
    assert code == 1
    assert "has no DL2 energy table 'RandomForestRegressor' (available: LGBMRegressor)" in err[-1]


def test_optimize_without_background(capsys, tmp_path, synthetic_dl2):
    code, err = _run(capsys, ["irf", "-i", str(synthetic_dl2["gamma"]), "-o", str(tmp_path / "o"),
                              "--log-level", "ERROR"])
    assert code == 1
    assert "needs background" in err[-1]
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").iterdir())


def test_existing_output_needs_overwrite(capsys, irf_dir, synthetic_dl2):
    code, err = _run(capsys, ["irf", "-i", str(synthetic_dl2["gamma"]), "-o", str(irf_dir), "--log-level", "ERROR"])
    assert code == 1
    assert "output file exists" in err[-1]


def test_dl3_without_irfs(capsys, tmp_path, synthetic_dl2):
    code, err = _run(capsys, ["dl3", "-i", str(synthetic_dl2["gamma"]), "--irf-dir", str(tmp_path),
                              "-o", str(tmp_path / "dl3")])
    assert code == 1
    assert "cuts.ecsv: missing (run iactpipe irf first)" in err[-1]


def test_dl3_bad_start_time(capsys, tmp_path, synthetic_dl2, irf_dir):
    code, err = _run(capsys, ["dl3", "-i", str(synthetic_dl2["gamma"]), "--irf-dir", str(irf_dir),
                              "-o", str(tmp_path / "dl3"), "--start-time", "yesterday"])
    assert code == 1
    assert "dl3.start_time" in err[-1]


@pytest.mark.parametrize("command", ["irf", "dl3"])
def test_help(capsys, command):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"iactpipe {command}" in capsys.readouterr().out
