"""Tiny synthetic DL2 productions for the IRF/DL3 tests (built once per session, in numpy).

Each run throws showers from a power law (index -2) over a disc of radius ``max_impact``
and a view cone; a shower "triggers" with a probability rising with energy inside 250 m of
the array centre. Triggered showers get a reconstruction: energy with 10 % log-normal
scatter, direction with a Rayleigh error (0.06 deg at 1 TeV for gammas, 0.3 deg for protons),
a gamma score (Beta(8, 2) gammas and electrons, Beta(2, 8) protons) and a multiplicity of 2-8. The files
hold exactly the tables and columns `iactpipe apply` writes (schemas of iactpipe.io.datamodel),
so `iactpipe irf` and `iactpipe dl3` read them like real DL2.
"""
import numpy as np
import pytest

from iactpipe.instrument import catalog
from iactpipe.io import datamodel as dm
from iactpipe.io.hdf5 import HDF5Writer
from iactpipe.io.instrument_io import write_subarray
from iactpipe.irf.events import altaz_from_fov

POINTING_ALT, POINTING_AZ = 70.0, 180.0

#: (obs_id, particle id, diffuse, viewcone max deg, thrown showers incl. reuse, E min, E max, max impact m)
RUNS = {
    "gamma": (1, 0, False, 0.0, 20000, 0.05, 100.0, 400.0),
    "gamma_diffuse_a": (101, 0, True, 2.0, 20000, 0.05, 100.0, 400.0),
    "gamma_diffuse_b": (102, 0, True, 2.0, 20000, 0.05, 100.0, 400.0),
    "proton": (201, 101, True, 4.0, 60000, 0.1, 100.0, 400.0),
    "electron": (301, 1, True, 4.0, 20000, 0.05, 50.0, 400.0),
}
REUSE = 5
INDEX = -2.0


def _power_law(rng, n, e_min, e_max, index):
    a = index + 1
    u = rng.uniform(size=n)
    return (e_min ** a + u * (e_max ** a - e_min ** a)) ** (1 / a)


def _fill(schema, n, algorithm=None, **values):
    resolved = schema.resolved(algorithm=algorithm) if algorithm else schema
    data = {}
    for column in resolved.columns:
        if column.name in values:
            data[column.name] = values[column.name]
        elif column.shape:
            data[column.name] = np.zeros((n, 13), dtype=column.dtype)
        elif column.dtype == "bool":
            data[column.name] = np.ones(n, bool)
        elif column.dtype.startswith("float"):
            data[column.name] = np.full(n, np.nan)
        else:
            data[column.name] = np.zeros(n, dtype=column.dtype)
    return data


def write_synthetic_run(path, obs_id, primary_id, diffuse, viewcone, n_thrown, e_min, e_max, max_impact, seed):
    """Write one synthetic DL2 run (see module docstring); returns the number of triggered events."""
    rng = np.random.default_rng(seed)
    energy = _power_law(rng, n_thrown, e_min, e_max, INDEX)
    r = max_impact * np.sqrt(rng.uniform(size=n_thrown))
    phi = rng.uniform(0, 2 * np.pi, n_thrown)
    if diffuse:
        cos_theta = rng.uniform(np.cos(np.radians(viewcone)), 1.0, n_thrown)
        theta = np.degrees(np.arccos(cos_theta))
    else:
        theta = np.zeros(n_thrown)
    psi = rng.uniform(0, 2 * np.pi, n_thrown)
    true_lon, true_lat = theta * np.sin(psi), theta * np.cos(psi)
    p_trigger = 1 / (1 + (0.08 / energy) ** 2) * (r < 250.0)
    if primary_id != 0:
        p_trigger = p_trigger * 0.5
    triggered = rng.uniform(size=n_thrown) < p_trigger
    n = int(triggered.sum())
    e, lon, lat = energy[triggered], true_lon[triggered], true_lat[triggered]
    true_az, true_alt = altaz_from_fov(lon, lat, POINTING_AZ, POINTING_ALT)
    sigma = np.clip(0.06 * e ** -0.3, 0.02, 0.2) if primary_id != 101 else np.full(n, 0.3)
    err = sigma * np.sqrt(-2 * np.log(rng.uniform(size=n)))
    ang = rng.uniform(0, 2 * np.pi, n)
    reco_az, reco_alt = altaz_from_fov(lon + err * np.sin(ang), lat + err * np.cos(ang), POINTING_AZ, POINTING_ALT)
    reco_e = e * np.exp(rng.normal(0, 0.1, n))
    score = rng.beta(2, 8, n) if primary_id == 101 else rng.beta(8, 2, n)  # electrons look like gammas
    valid = rng.uniform(size=n) > 0.03
    multiplicity = rng.integers(2, 9, n).astype(np.int16)
    event_id = np.flatnonzero(triggered).astype(np.int64) + 1
    obs = np.full(n, obs_id, np.int32)

    e_edges = np.geomspace(1e-3, 1e3, 121)
    r_edges = np.linspace(0, 1000, 201)
    hist, _, _ = np.histogram2d(energy, r, bins=[e_edges, r_edges])
    subarray = catalog.build_array("CTAO-North-alpha")
    with HDF5Writer(path, overwrite=True) as writer:
        write_subarray(writer.h5file, subarray)
        writer.append(dm.SIMULATION_RUN, _fill(
            dm.SIMULATION_RUN, 1, obs_id=np.array([obs_id]), run_number=np.array([obs_id]),
            energy_range_min=np.array([e_min]), energy_range_max=np.array([e_max]),
            spectral_index=np.array([INDEX]), n_showers=np.array([n_thrown // REUSE]),
            shower_reuse=np.array([REUSE]), max_alt=np.array([POINTING_ALT]), min_alt=np.array([POINTING_ALT]),
            max_az=np.array([POINTING_AZ]), min_az=np.array([POINTING_AZ]), diffuse=np.array([diffuse]),
            max_viewcone_radius=np.array([viewcone]), min_viewcone_radius=np.array([0.0]),
            max_scatter_range=np.array([max_impact]), min_scatter_range=np.array([0.0]),
            prod_site_alt=np.array([2156.0])))
        writer.append(dm.SHOWER_DISTRIBUTION, dict(
            obs_id=np.array([obs_id]), hist_id=np.array([6]), n_entries=np.array([n_thrown]),
            bins_energy=e_edges[None], bins_core_dist=r_edges[None], histogram=hist[None]))
        for tel_id in subarray.tel_ids:
            writer.append(dm.TELESCOPE_POINTING, dict(
                obs_id=np.array([obs_id]), tel_id=np.array([tel_id], np.int16),
                telescope_pointing_azimuth=np.array([POINTING_AZ]),
                telescope_pointing_altitude=np.array([POINTING_ALT])), tel_id=tel_id)
        writer.append(dm.SHOWER, _fill(
            dm.SHOWER, n, obs_id=obs, event_id=event_id, true_energy=e, true_alt=true_alt, true_az=true_az,
            true_core_x=(r * np.cos(phi))[triggered], true_core_y=(r * np.sin(phi))[triggered],
            true_shower_primary_id=np.full(n, primary_id, np.int64)))
        algo = "HillasReconstructor"
        writer.append(dm.DL2_SUBARRAY_GEOMETRY, _fill(
            dm.DL2_SUBARRAY_GEOMETRY, n, algorithm=algo, obs_id=obs, event_id=event_id,
            **{f"{algo}_alt": np.where(valid, reco_alt, np.nan), f"{algo}_az": np.where(valid, reco_az, np.nan),
               f"{algo}_is_valid": valid, f"{algo}_multiplicity": multiplicity}), algorithm=algo)
        algo = "LGBMRegressor"
        writer.append(dm.DL2_SUBARRAY_ENERGY, _fill(
            dm.DL2_SUBARRAY_ENERGY, n, algorithm=algo, obs_id=obs, event_id=event_id,
            **{f"{algo}_energy": reco_e, f"{algo}_is_valid": np.ones(n, bool)}), algorithm=algo)
        algo = "LGBMClassifier"
        writer.append(dm.DL2_SUBARRAY_CLASSIFICATION, _fill(
            dm.DL2_SUBARRAY_CLASSIFICATION, n, algorithm=algo, obs_id=obs, event_id=event_id,
            **{f"{algo}_prediction": score, f"{algo}_is_valid": np.ones(n, bool)}), algorithm=algo)
    return n


@pytest.fixture(scope="session")
def synthetic_dl2(tmp_path_factory):
    """dict name -> path of the synthetic DL2 runs (`RUNS`)."""
    folder = tmp_path_factory.mktemp("irf_dl2")
    paths = {}
    for seed, (name, spec) in enumerate(RUNS.items()):
        paths[name] = folder / f"{name}.dl2.h5"
        write_synthetic_run(paths[name], *spec, seed=seed + 1)
    return paths


#: small, fast IRF configuration for the tests
TEST_CONFIG = {
    "observation_time_h": 50.0,
    "binning": {"true_energy_min": 0.05, "true_energy_max": 100.0, "reco_energy_min": 0.05,
                "reco_energy_max": 100.0, "fov_offset_max": 2.0, "fov_offset_width": 1.0,
                "bkg_fov_max": 4.0, "bkg_fov_bins": 8, "bkg_3d_min_events": 10},
    "cuts": {"gh_efficiencies": [0.6, 0.8, 0.9], "theta_efficiencies": [0.68, 0.8]},
    "dl3": {"source_offset": 0.5, "duration_h": 0.5},
}


@pytest.fixture(scope="session")
def irf_config_file(tmp_path_factory):
    import yaml

    path = tmp_path_factory.mktemp("irf_cfg") / "irf.yaml"
    path.write_text(yaml.safe_dump(TEST_CONFIG))
    return path


@pytest.fixture(scope="session")
def irf_dir(synthetic_dl2, irf_config_file, tmp_path_factory):
    """Output folder of ``iactpipe irf`` on all synthetic runs."""
    from iactpipe.cli.main import main

    out = tmp_path_factory.mktemp("irf_out")
    code = main(["irf", "-i", *map(str, synthetic_dl2.values()), "-o", str(out), "-c", str(irf_config_file),
                 "--log-level", "WARNING"])
    assert code == 0
    return out


@pytest.fixture(scope="session")
def dl3_dir(synthetic_dl2, irf_dir, irf_config_file, tmp_path_factory):
    """Output folder of ``iactpipe dl3`` (diffuse gammas + protons)."""
    from iactpipe.cli.main import main

    out = tmp_path_factory.mktemp("dl3_out")
    inputs = [synthetic_dl2["gamma_diffuse_a"], synthetic_dl2["gamma_diffuse_b"], synthetic_dl2["proton"],
              synthetic_dl2["electron"]]
    code = main(["dl3", "-i", *map(str, inputs), "--irf-dir", str(irf_dir), "-o", str(out), "-c",
                 str(irf_config_file), "--log-level", "WARNING"])
    assert code == 0
    return out
