"""``iactpipe instrument``: built-in cameras and arrays, and instruments read from files."""
import json

from iactpipe.cli.main import main
from iactpipe.instrument import catalog

SEVEN_CAMERAS = {"LSTCam", "NectarCam", "FlashCam", "CHEC", "ASTRICam", "DigiCam", "SCTCam"}


def test_prints_the_seven_cameras(capsys):
    assert main(["instrument"]) == 0
    out = capsys.readouterr().out
    for name in SEVEN_CAMERAS:
        assert name in out
    for name in catalog.array_names():
        assert name in out


def test_json_output_has_camera_numbers(capsys):
    assert main(["instrument", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    cameras = {row["camera"]: row for row in data["cameras"]}
    assert set(cameras) == SEVEN_CAMERAS
    assert cameras["LSTCam"]["n_pixels"] == 1855
    assert cameras["FlashCam"]["n_pixels"] == 1764
    assert cameras["SCTCam"]["n_pixels"] == 11328
    for row in cameras.values():
        assert row["fov_deg"] > 3 and row["focal_length_m"] > 1
        assert row["pitch_deg"] > 0.05


def test_array_listing(capsys):
    assert main(["instrument", "--array", "CTAO-North-alpha", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    types = [row["type"] for row in data["telescopes"]]
    assert types.count("LST_LST_LSTCam") == 4
    assert types.count("MST_MST_NectarCam") == 9


def test_unknown_array_is_a_clear_error(capsys):
    assert main(["instrument", "--array", "Atlantis"]) == 1
    err = capsys.readouterr().err
    assert "Atlantis" in err and "CTAO-North-alpha" in err


def test_instrument_of_a_simtel_file(calib_events_path, capsys):
    assert main(["instrument", str(calib_events_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {row["camera"] for row in data["cameras"]} == SEVEN_CAMERAS


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    missing = tmp_path / "nothing.h5"
    assert main(["instrument", str(missing)]) == 1
    err = capsys.readouterr().err
    assert str(missing) in err
    assert "Traceback" not in err
