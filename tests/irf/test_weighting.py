"""Event weights: one production equals pyirf; mixed productions add simulated flux densities."""
import astropy.units as u
import numpy as np
import pytest
from astropy.table import QTable
from pyirf.simulations import SimulatedEventsInfo
from pyirf.spectral import CRAB_HEGRA, IRFDOC_PROTON_SPECTRUM, PowerLaw, calculate_event_weights

from iactpipe.errors import ConfigurationError
from iactpipe.irf.weighting import calculate_weights, effective_area, group_productions


def _run(obs_id, e_min=0.05, e_max=100.0, r=400.0, cone=0.0, n=1000, particle="gamma", index=-2.0):
    return dict(obs_id=obs_id, particle=particle, n_showers=n, energy_min=e_min, energy_max=e_max,
                spectral_index=index, max_impact=r, viewcone_min=0.0, viewcone_max=cone, diffuse=cone > 0,
                pointing_az=180.0, pointing_alt=70.0, file="x")


def _events(energies, impact=10.0, offset=0.0):
    events = QTable()
    events["true_energy"] = np.asarray(energies, float) * u.TeV
    events["true_impact"] = np.full(len(events), impact) * u.m
    events["true_source_fov_offset"] = np.full(len(events), offset) * u.deg
    return events


def test_runs_with_same_phase_space_form_one_production():
    productions = group_productions([_run(1, n=1000), _run(2, n=500), _run(3, e_min=1.0)])
    assert [p.obs_ids for p in productions] == [[1, 2], [3]]
    assert productions[0].info.n_showers == 1500


def test_single_production_equals_pyirf():
    (production,) = group_productions([_run(1, n=3000)])
    events = _events(np.geomspace(0.06, 90, 50))
    ours = calculate_weights(events, [production], CRAB_HEGRA, 50 * u.h)
    info = SimulatedEventsInfo(n_showers=3000, energy_min=0.05 * u.TeV, energy_max=100 * u.TeV,
                               max_impact=400 * u.m, spectral_index=-2.0, viewcone_min=0 * u.deg,
                               viewcone_max=0 * u.deg)
    theirs = calculate_event_weights(events["true_energy"], CRAB_HEGRA, PowerLaw.from_simulation(info, 50 * u.h))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_diffuse_protons_equal_pyirf():
    (production,) = group_productions([_run(1, cone=6.0, n=5000, particle="proton", e_max=200)])
    events = _events(np.geomspace(0.06, 150, 30), offset=2.0)
    ours = calculate_weights(events, [production], IRFDOC_PROTON_SPECTRUM, 50 * u.h)
    theirs = calculate_event_weights(events["true_energy"], IRFDOC_PROTON_SPECTRUM,
                                     PowerLaw.from_simulation(production.info, 50 * u.h))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_mixed_energy_ranges_add_flux_densities():
    low, high = _run(1, e_min=0.05, e_max=1.0, n=2000), _run(2, e_min=0.5, e_max=100.0, n=1000, r=800.0)
    productions = group_productions([low, high])
    events = _events([0.1, 0.7, 5.0])
    weights = calculate_weights(events, productions, CRAB_HEGRA, 1 * u.h)
    flux = [PowerLaw.from_simulation(p.info, 1 * u.h) for p in productions]
    e = events["true_energy"]
    expected = [
        (CRAB_HEGRA(e[0]) / flux[0](e[0])).to_value(u.one),                      # only the low production
        (CRAB_HEGRA(e[1]) / (flux[0](e[1]) + flux[1](e[1]))).to_value(u.one),    # overlap: densities add
        (CRAB_HEGRA(e[2]) / flux[1](e[2])).to_value(u.one),                      # only the high production
    ]
    np.testing.assert_allclose(weights, expected, rtol=1e-12)
    # a core outside the small production's disc can only come from the large one
    far = _events([0.7], impact=600.0)
    np.testing.assert_allclose(calculate_weights(far, productions, CRAB_HEGRA, 1 * u.h),
                               [(CRAB_HEGRA(e[1]) / flux[1](e[1])).to_value(u.one)], rtol=1e-12)


def test_mixed_production_weights_reproduce_the_target_rate():
    """Sum of weights of thrown events = expected target events, whatever the mix (Monte Carlo check)."""
    rng = np.random.default_rng(3)
    runs = [_run(1, e_min=0.1, e_max=10.0, n=200_000, r=300.0), _run(2, e_min=1.0, e_max=10.0, n=100_000, r=300.0)]
    productions = group_productions(runs)
    energies = []
    for run in runs:
        a = run["spectral_index"] + 1
        x = rng.uniform(size=run["n_showers"])
        energies.append((run["energy_min"] ** a + x * (run["energy_max"] ** a - run["energy_min"] ** a)) ** (1 / a))
    events = _events(np.concatenate(energies))
    weights = calculate_weights(events, productions, CRAB_HEGRA, 1 * u.h)
    # expected: Crab photons from 0.1 to 10 TeV through the 300 m disc in 1 h
    e = np.geomspace(0.1, 10, 20001) * u.TeV
    integral = np.trapezoid(CRAB_HEGRA(e), e)
    expected = (integral * np.pi * (300 * u.m) ** 2 * 1 * u.h).to_value(u.one)
    assert weights.sum() == pytest.approx(expected, rel=0.01)


def test_point_like_and_diffuse_are_not_mixed():
    productions = group_productions([_run(1), _run(2, cone=5.0)])
    with pytest.raises(ConfigurationError, match="different particles or kinds"):
        calculate_weights(_events([1.0]), productions, CRAB_HEGRA, 1 * u.h)


def test_mixed_effective_area_reduces_to_pyirf_for_one_production():
    from pyirf.irf import effective_area_per_energy, effective_area_per_energy_and_fov

    (point,) = group_productions([_run(1, n=10_000)])
    events = _events(np.geomspace(0.06, 90, 200), offset=0.5)
    bins = np.geomspace(0.05, 100, 7) * u.TeV
    area = effective_area(events, [point], bins, [0, 1, 2] * u.deg)
    for column in area.T:
        np.testing.assert_allclose(column.to_value(u.m ** 2),
                                   effective_area_per_energy(events, point.info, bins).to_value(u.m ** 2), rtol=1e-12)

    (production,) = group_productions([_run(1, n=10_000, cone=2.0)])
    bins = np.geomspace(0.05, 100, 7) * u.TeV
    offset = [0, 1] * u.deg
    ours = effective_area(events, [production], bins, offset)
    theirs = effective_area_per_energy_and_fov(events, production.info, bins, offset)
    np.testing.assert_allclose(ours.to_value(u.m ** 2), theirs.to_value(u.m ** 2), rtol=1e-12)
    # two halves of the same production, as two productions with different radii, give the same area
    # when every selected event lies inside both discs
    other = group_productions([_run(1, n=5_000, cone=2.0), _run(2, n=5_000, r=800.0, cone=2.0)])
    mixed = effective_area(events, other, bins, offset)
    expected = np.histogram2d(events["true_energy"].value, events["true_source_fov_offset"].value,
                              [bins.value, offset.value])[0] / sum(
        p.info.calculate_n_showers_per_energy_and_fov(bins, offset) / p.area.to_value(u.m ** 2) for p in other)
    np.testing.assert_allclose(mixed.to_value(u.m ** 2), expected, rtol=1e-12)
