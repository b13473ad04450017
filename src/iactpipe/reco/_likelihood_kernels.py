"""Numba kernels of the pixel likelihood: Poisson photoelectrons convolved with Gaussian noise.

A pixel's calibrated signal ``s`` (p.e.) given an expected number of photoelectrons ``mu``
has the density

    P(s | mu) = Σ_n  Poisson(n; mu) · N(s; n, σ_n),   σ_n² = σ_p² + n σ_1²

(de Naurois & Rolland 2009, Astropart. Phys. 32, 231, eq. 3; ImPACT, Parsons & Hinton
2014): ``σ_p`` is the pedestal width (night-sky background and electronic noise, p.e.)
and ``σ_1`` the relative width of the single-photoelectron charge distribution. The
kernels return ``-2 ln P``:

* for ``mu <= gaussian_above``: the sum over ``n`` evaluated as an online log-sum-exp
  (no under- or overflow), truncated where the remaining terms are negligible (see
  `neg2_log_likelihood_exact`);
* for ``mu > gaussian_above``: the Gaussian limit of the sum,
  ``N(s; mu, sqrt(σ_p² + mu (1 + σ_1²)))`` (the Poisson variance ``mu`` plus the charge
  resolution ``mu σ_1²``); its deviation from the sum falls like ``1/sqrt(mu)``
  (skewness of the Poisson term).
"""
import math

from numba import njit

from ..env import NUMBA_CACHE

__all__ = ["neg2_log_likelihood_exact", "neg2_log_likelihood_exact_grad", "neg2_log_likelihood_gauss",
           "neg2_log_likelihood", "expected_neg2_log_likelihood"]

_LOG_2PI = math.log(2.0 * math.pi)
#: Smallest pedestal width used (p.e.), keeps sigma_0 > 0 for noise-free inputs.
MIN_PEDESTAL_WIDTH = 1e-3


@njit(cache=NUMBA_CACHE, error_model="numpy")
def neg2_log_likelihood_exact(s, mu, sigma_p, sigma_1):
    """``-2 ln P(s | mu)`` by the explicit sum over photoelectron numbers.

    The terms ``t_n = ln[Poisson(n; mu) N(s; n, σ_n)]`` are accumulated as an online
    log-sum-exp (one ``exp`` and one ``log`` per term, Poisson factor updated
    recursively). ``t_n`` is log-concave in ``n``, so the sum stops once ``n`` is past both
    ``mu`` and ``s`` and ``t_n`` has fallen 35 below the largest term (the neglected tail is
    below 1e-15 of the total), at the latest at ``n = m + 8 sqrt(m) + 8 sigma_p + 10``,
    ``m = max(mu, s)``.

    Parameters
    ----------
    s : float
        Measured signal, p.e.
    mu : float
        Expected photoelectrons (>= 0; negatives are treated as 0).
    sigma_p : float
        Pedestal width, p.e.
    sigma_1 : float
        Single-p.e. charge resolution (relative width).

    Returns
    -------
    float
    """
    # the same sum as the derivative's (its extra accumulator does not change the value)
    return neg2_log_likelihood_exact_grad(s, mu, sigma_p, sigma_1)[0]


@njit(cache=NUMBA_CACHE, error_model="numpy")
def neg2_log_likelihood_exact_grad(s, mu, sigma_p, sigma_1):
    """``-2 ln P(s | mu)`` and its derivative with respect to ``mu``, by the explicit sum.

    Same sum and truncation as `neg2_log_likelihood_exact`; a second accumulator holds
    ``Σ n t_n``, because ``d ln P / d mu = <n> / mu - 1`` with ``<n>`` the mean
    photoelectron number of the terms (``d Poisson(n; mu) / d mu = (n / mu - 1) Poisson``).
    Used by the gradient fit for pixels off the likelihood table.

    Parameters
    ----------
    s, mu, sigma_p, sigma_1
        As `neg2_log_likelihood_exact` (p.e., p.e., p.e., relative).

    Returns
    -------
    value : float
        ``-2 ln P``.
    derivative : float
        ``d(-2 ln P)/d mu``, 1/p.e. (``2`` at ``mu <= 0``: the one-sided limit when the
        signal is compatible with the pedestal is ``2 - 2 N(s; 1, σ_1') / N(s; 0, σ_p)``;
        ``2`` is used, these pixels have no model gradient anyway).
    """
    if sigma_p < MIN_PEDESTAL_WIDTH:
        sigma_p = MIN_PEDESTAL_WIDTH
    s2p = sigma_p * sigma_p
    if not mu > 0.0:
        return _LOG_2PI + math.log(s2p) + s * s / s2p, 2.0
    s21 = sigma_1 * sigma_1
    log_mu = math.log(mu)
    n_past = mu if mu > s else s
    n_cap = int(n_past + 8.0 * math.sqrt(n_past) + 8.0 * sigma_p + 10.0)
    best = -math.inf
    total = 0.0
    total_n = 0.0  # Σ n exp(t_n - best)
    log_poisson = 0.0
    for n in range(n_cap + 1):
        if n > 0:
            log_poisson += log_mu - math.log(n)
        var = s2p + n * s21
        d = s - n
        term = log_poisson - 0.5 * (d * d / var + math.log(var))
        if term > best:
            scale = math.exp(best - term)
            total = total * scale + 1.0
            total_n = total_n * scale + n
            best = term
        else:
            e = math.exp(term - best)
            total += e
            total_n += n * e
            if n > n_past and term < best - 35.0:
                break
    return -2.0 * (best + math.log(total) - mu) + _LOG_2PI, -2.0 * (total_n / total / mu - 1.0)


@njit(cache=NUMBA_CACHE, error_model="numpy")
def neg2_log_likelihood_gauss(s, mu, sigma_p, sigma_1):
    """``-2 ln`` of the Gaussian limit ``N(s; mu, sqrt(sigma_p² + mu (1 + sigma_1²)))``.

    Parameters and return as `neg2_log_likelihood_exact`.
    """
    if sigma_p < MIN_PEDESTAL_WIDTH:
        sigma_p = MIN_PEDESTAL_WIDTH
    if mu < 0.0:
        mu = 0.0
    var = sigma_p * sigma_p + mu * (1.0 + sigma_1 * sigma_1)
    d = s - mu
    return _LOG_2PI + math.log(var) + d * d / var


@njit(cache=NUMBA_CACHE, error_model="numpy")
def neg2_log_likelihood(s, mu, sigma_p, sigma_1, gaussian_above):
    """``-2 ln P(s | mu)``: exact sum for ``mu <= gaussian_above``, Gaussian limit above.

    Parameters
    ----------
    s, mu, sigma_p, sigma_1
        As `neg2_log_likelihood_exact`.
    gaussian_above : float
        Expected p.e. above which the Gaussian limit is used.

    Returns
    -------
    float
    """
    if mu > gaussian_above:
        return neg2_log_likelihood_gauss(s, mu, sigma_p, sigma_1)
    return neg2_log_likelihood_exact(s, mu, sigma_p, sigma_1)


@njit(cache=NUMBA_CACHE, error_model="numpy")
def expected_neg2_log_likelihood(mu, sigma_p, sigma_1):
    """Expectation of ``-2 ln P`` over ``s`` in the Gaussian limit: ``1 + ln(2π var)``.

    Used for the goodness of fit (observed minus expected, per pixel).

    Parameters
    ----------
    mu, sigma_p, sigma_1
        As `neg2_log_likelihood_exact`.

    Returns
    -------
    float
    """
    if sigma_p < MIN_PEDESTAL_WIDTH:
        sigma_p = MIN_PEDESTAL_WIDTH
    if mu < 0.0:
        mu = 0.0
    var = sigma_p * sigma_p + mu * (1.0 + sigma_1 * sigma_1)
    return 1.0 + _LOG_2PI + math.log(var)
