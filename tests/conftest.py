"""Session fixtures shared by all tests."""
import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _shared_data_dir():
    return Path(os.environ.get("IACTPIPE_TEST_DATA", PROJECT_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data_dir():
    """Folder with the shared real sim_telarray files (``$IACTPIPE_TEST_DATA``, default ``../shared/data``).

    Missing data is a failure, never a skip: these tests are the only ones on real data.
    """
    path = _shared_data_dir()
    if not (path / "simtel").is_dir():
        pytest.fail(f"shared test data not found at {path} (set IACTPIPE_TEST_DATA to the folder "
                    "holding simtel/); the real-data tests cannot run without it")
    return path


@pytest.fixture(scope="session")
def simtel_dir(shared_data_dir):
    """Folder of the shared ``.simtel`` files."""
    return shared_data_dir / "simtel"


@pytest.fixture(scope="session")
def calib_events_path(simtel_dir):
    """``calib_events.simtel.gz``: one telescope of each of 7 CTAO camera types."""
    path = simtel_dir / "calib_events.simtel.gz"
    if not path.is_file():
        pytest.fail(f"missing shared file {path}")
    return path


@pytest.fixture(scope="session")
def prod6_path(simtel_dir):
    """``gamma_prod6_tel_event_header_v4.simtel.zst``: CTAO-North prod6, 43 telescopes."""
    path = simtel_dir / "gamma_prod6_tel_event_header_v4.simtel.zst"
    if not path.is_file():
        pytest.fail(f"missing shared file {path}")
    return path
