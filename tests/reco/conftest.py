"""Fixtures of the reconstruction tests: DL1 files of our simulator and of a shared simtel file."""
import pytest

from iactpipe.cli.main import main


@pytest.fixture(scope="session")
def simulated_dl1(tmp_path_factory):
    """DL1 file of 120 point-like gamma showers x 5 cores on CTAO-North-alpha (34 array events)."""
    from iactpipe.dl1.processor import process_file

    folder = tmp_path_factory.mktemp("reco_sim")
    raw, dl1 = folder / "gamma.r0.h5", folder / "gamma.dl1.h5"
    assert main(["simulate", "--particle", "gamma", "--n-showers", "120", "--run", "3", "--seed", "5",
                 "--output", str(raw), "--no-progress"]) == 0
    process_file(raw, dl1)
    return dl1


@pytest.fixture(scope="session")
def prod6_dl1(tmp_path_factory, prod6_path):
    """The shared CTAO-North prod6 gamma event processed to DL1 by iactpipe (ctapipe preset)."""
    from iactpipe.dl1.config import load_config
    from iactpipe.dl1.processor import process_file

    path = tmp_path_factory.mktemp("reco_prod6") / "prod6.dl1.h5"
    process_file(prod6_path, path, load_config(preset="ctapipe"))
    return path
