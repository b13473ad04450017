"""Pixel likelihood (`iactpipe.reco.likelihood`) against brute-force sums of Poisson x Gaussian."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm, poisson

from iactpipe.reco.likelihood import pixel_expected_neg2_log_likelihood, pixel_neg2_log_likelihood


def brute_force(s, mu, sigma_p, sigma_1, n_max=600):
    n = np.arange(n_max)
    return -2.0 * np.log(np.sum(poisson.pmf(n, mu) * norm.pdf(s, n, np.sqrt(sigma_p**2 + n * sigma_1**2))))


@settings(max_examples=200, deadline=None)
@given(st.floats(-3.0, 40.0), st.floats(0.0, 30.0), st.floats(0.2, 3.0), st.floats(0.0, 1.0))
def test_exact_sum_matches_brute_force(s, mu, sigma_p, sigma_1):
    expected = brute_force(s, mu, sigma_p, sigma_1)
    got = pixel_neg2_log_likelihood(s, mu, sigma_p, sigma_1, gaussian_above_pe=np.inf)
    if np.isfinite(expected) and expected < 600:  # far tails: brute force underflows, ours does not
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-8)


def test_probability_is_normalised():
    s = np.linspace(-10, 80, 9001)
    for mu in (0.0, 0.3, 2.0, 12.0):
        density = np.exp(-0.5 * pixel_neg2_log_likelihood(s, mu, 1.1, 0.45, np.inf))
        assert np.trapezoid(density, s) == pytest.approx(1.0, abs=1e-6)


def test_gaussian_limit_converges_for_large_mu():
    for mu, tolerance in ((50.0, 0.05), (500.0, 0.015)):
        s = mu + np.linspace(-2, 2, 9) * np.sqrt(mu)
        exact = pixel_neg2_log_likelihood(s, mu, 1.0, 0.5, np.inf)
        gauss = pixel_neg2_log_likelihood(s, mu, 1.0, 0.5, 0.0)
        assert np.max(np.abs(exact - gauss)) < tolerance * np.max(np.abs(exact))


def test_dispatch_threshold_and_expected_value():
    s, sp, s1 = 7.0, 1.0, 0.5
    below = pixel_neg2_log_likelihood(s, 4.0, sp, s1, 5.0)
    assert below == pytest.approx(brute_force(s, 4.0, sp, s1), rel=1e-9)
    above = pixel_neg2_log_likelihood(s, 6.0, sp, s1, 5.0)
    var = sp**2 + 6.0 * (1 + s1**2)
    assert above == pytest.approx(np.log(2 * np.pi * var) + (s - 6.0) ** 2 / var)
    assert pixel_expected_neg2_log_likelihood(6.0, sp, s1) == pytest.approx(1 + np.log(2 * np.pi * var))


def test_tabulated_likelihood_matches_exact():
    from iactpipe.reco._template_fit_kernels import _pixel_term
    from iactpipe.reco.template_fit import TemplateFitConfig, likelihood_tables

    config = TemplateFitConfig({"gaussian_above_pe": 5.0})
    sigmas = np.array([0.8, 1.3])
    index, table, grid = likelihood_tables(sigmas, config)
    rng = np.random.default_rng(4)
    for k, sigma in enumerate(sigmas):
        for _ in range(300):
            mu, s = rng.uniform(0, 5), rng.uniform(-4, 20)
            got = _pixel_term(s, mu, sigma, index[k], 0.5, 5.0, table, grid, 0.0)
            exact = pixel_neg2_log_likelihood(s, mu, sigma, 0.5, np.inf)
            assert got == pytest.approx(exact, abs=0.02 + 1e-2 * abs(exact))


@pytest.mark.parametrize("s, mu, sigma_p, sigma_1", [(0.3, 0.02, 1.0, 0.5), (12.0, 0.03, 1.2, 0.5),
                                                     (3.0, 2.0, 0.8, 0.3), (-1.0, 4.9, 1.5, 0.5),
                                                     (20.0, 3.0, 1.0, 0.0), (8.0, 15.0, 1.0, 0.5)])
def test_exact_derivative_matches_brute_force(s, mu, sigma_p, sigma_1):
    from iactpipe.reco._likelihood_kernels import neg2_log_likelihood_exact_grad

    # d(-2 ln P)/dmu = -2 (Σ (n/mu - 1) p_n N_n) / (Σ p_n N_n), brute force over 600 terms
    n = np.arange(600)
    terms = poisson.pmf(n, mu) * norm.pdf(s, n, np.sqrt(sigma_p**2 + n * sigma_1**2))
    expected = -2.0 * np.sum((n / mu - 1.0) * terms) / np.sum(terms)
    value, derivative = neg2_log_likelihood_exact_grad(s, mu, sigma_p, sigma_1)
    assert value == pytest.approx(brute_force(s, mu, sigma_p, sigma_1), rel=1e-9)
    assert derivative == pytest.approx(expected, rel=1e-7, abs=1e-9)


def test_tabulated_likelihood_low_mu_and_derivative():
    """The log-spaced rows below the first mu node, and the table slope used by the gradient fit."""
    from iactpipe.reco._likelihood_kernels import neg2_log_likelihood_exact_grad
    from iactpipe.reco._template_fit_kernels import _pixel_term, _pixel_term_grad
    from iactpipe.reco.template_fit import TemplateFitConfig, likelihood_tables

    config = TemplateFitConfig({"gaussian_above_pe": 5.0})
    sigmas = np.array([0.8, 1.3])
    index, table, grid = likelihood_tables(sigmas, config)
    rng = np.random.default_rng(5)
    rng_var = np.random.default_rng(6)
    for k, sigma in enumerate(sigmas):
        for _ in range(300):
            mu, s = 10 ** rng.uniform(-4, np.log10(0.05)), rng.uniform(-4, 20)
            got = _pixel_term(s, mu, sigma, index[k], 0.5, 5.0, table, grid, 0.0)
            exact, slope = neg2_log_likelihood_exact_grad(s, mu, sigma, 0.5)
            assert got == pytest.approx(exact, abs=0.01 + 2e-3 * abs(exact))
            value, derivative, weight = _pixel_term_grad(s, mu, sigma, index[k], 0.5, 5.0, table, grid, 0.0)
            assert value == got and weight > 0
            assert derivative == pytest.approx(slope, rel=0.1, abs=0.05)
        for _ in range(100):  # linear rows and the Gaussian limit (with a template variance, p.e.²)
            mu, s, sys_var = rng.uniform(0.05, 30.0), rng.uniform(-4, 40), rng_var.uniform(0.0, 9.0)
            value, derivative, _ = _pixel_term_grad(s, mu, sigma, index[k], 0.5, 5.0, table, grid, sys_var)
            assert value == pytest.approx(_pixel_term(s, mu, sigma, index[k], 0.5, 5.0, table, grid, sys_var),
                                          rel=1e-12)
            h = 1e-6 * mu
            if mu > 5.0:  # analytic: compare with central differences of the value
                fd = (_pixel_term(s, mu + h, sigma, index[k], 0.5, 5.0, table, grid, sys_var)
                      - _pixel_term(s, mu - h, sigma, index[k], 0.5, 5.0, table, grid, sys_var)) / (2 * h)
                assert derivative == pytest.approx(fd, rel=1e-5, abs=1e-6)
            else:  # slope of the bilinear table vs the exact derivative
                assert derivative == pytest.approx(neg2_log_likelihood_exact_grad(s, mu, sigma, 0.5)[1],
                                                   rel=0.1, abs=0.1)
