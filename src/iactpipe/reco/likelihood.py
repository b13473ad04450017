"""Pixel likelihood of the template fit: Poisson photoelectrons convolved with Gaussian noise.

``-2 ln P(s | mu)`` of a calibrated pixel signal ``s`` (p.e.) for ``mu`` expected
photoelectrons, pedestal width ``sigma_p`` (p.e.) and single-p.e. resolution ``sigma_1``:

    P(s | mu) = Σ_n  e^{-mu} mu^n / n! · N(s; n, sqrt(sigma_p² + n sigma_1²))

evaluated exactly (log-sum-exp over ``n``) for ``mu <= gaussian_above_pe`` and by its
Gaussian limit ``N(s; mu, sqrt(sigma_p² + mu (1 + sigma_1²)))`` above (the approximation;
see `iactpipe.reco._likelihood_kernels` and ``docs/likelihood.md``).
"""
import numpy as np
from numba import njit

from ..env import NUMBA_CACHE
from ._likelihood_kernels import expected_neg2_log_likelihood, neg2_log_likelihood

__all__ = ["pixel_neg2_log_likelihood", "pixel_expected_neg2_log_likelihood", "DEFAULT_GAUSSIAN_ABOVE_PE"]

#: Default expected p.e. above which the Gaussian limit replaces the sum.
DEFAULT_GAUSSIAN_ABOVE_PE = 5.0


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _many(s, mu, sigma_p, sigma_1, gaussian_above, out):
    for i in range(s.shape[0]):
        out[i] = neg2_log_likelihood(s[i], mu[i], sigma_p[i], sigma_1[i], gaussian_above)


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _many_expected(mu, sigma_p, sigma_1, out):
    for i in range(mu.shape[0]):
        out[i] = expected_neg2_log_likelihood(mu[i], sigma_p[i], sigma_1[i])


def _arrays(*values):
    arrays = np.broadcast_arrays(*[np.asarray(v, dtype=np.float64) for v in values])
    return [np.ascontiguousarray(a.ravel()) for a in arrays], arrays[0].shape


def pixel_neg2_log_likelihood(signal_pe, expected_pe, pedestal_width_pe, spe_width,
                              gaussian_above_pe=DEFAULT_GAUSSIAN_ABOVE_PE):
    """``-2 ln P(signal | expected)`` per pixel (arrays broadcast).

    Parameters
    ----------
    signal_pe : array_like
        Calibrated pixel signals, p.e.
    expected_pe : array_like
        Expected photoelectrons (>= 0), p.e.
    pedestal_width_pe : array_like
        Pedestal (noise) width, p.e.
    spe_width : array_like
        Relative width of the single-photoelectron charge distribution.
    gaussian_above_pe : float
        Use the Gaussian limit for ``expected_pe`` above this; ``inf`` always sums exactly.

    Returns
    -------
    ndarray of float64
        ``-2 ln P``, shape of the broadcast inputs.
    """
    (s, mu, sp, s1), shape = _arrays(signal_pe, expected_pe, pedestal_width_pe, spe_width)
    out = np.empty(s.size)
    _many(s, mu, sp, s1, float(gaussian_above_pe), out)
    return out.reshape(shape)


def pixel_expected_neg2_log_likelihood(expected_pe, pedestal_width_pe, spe_width):
    """Mean of ``-2 ln P`` over signals in the Gaussian limit, ``1 + ln(2π var)`` (for the goodness of fit).

    Parameters
    ----------
    expected_pe, pedestal_width_pe, spe_width : array_like
        As `pixel_neg2_log_likelihood`.

    Returns
    -------
    ndarray of float64
    """
    (mu, sp, s1), shape = _arrays(expected_pe, pedestal_width_pe, spe_width)
    out = np.empty(mu.size)
    _many_expected(mu, sp, s1, out)
    return out.reshape(shape)
