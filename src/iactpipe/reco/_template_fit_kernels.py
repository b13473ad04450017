"""Numba kernels of the template-likelihood fit: image model, event objective, Nelder–Mead.

Layout (CSR, one chunk of events): ``event_ptr[i]:event_ptr[i+1]`` are the telescope rows
of event ``i``; ``pix_ptr[j]:pix_ptr[j+1]`` the selected pixels of telescope row ``j``.

Fit parameters ``p`` (6): ``p[0], p[1]`` source position in the nominal frame of the array
pointing (= telescope frame, parallel pointing), deg; ``p[2], p[3]`` core in the tilted
frame of the array pointing, m; ``p[4]`` log10(E/TeV); ``p[5]`` depth offset
``X_max - <X_max>(E)``, g/cm².

Image model of telescope row ``j`` (see `iactpipe.reco.templates`): impact vector
``c = core - T_j`` (tilted frame), impact distance ``r = |c|``, image axis
``u = M c / |M c|`` (fov), pixel at fov ``q``: ``x = (q - s)·u``, ``y = |(q - s) × u|``;
expected p.e. ``mu = E · A_pix · T(log10 E, r, dX, x, y)`` with ``T`` the type's template
(5-d multilinear interpolation: 8 parameter-space corners located once per telescope,
then a bilinear image lookup per corner and pixel; zero outside the image grid).
"""
import math

import numpy as np
from numba import njit

from ..env import NUMBA_CACHE
from ._interpolation_kernels import locate
from ._likelihood_kernels import (expected_neg2_log_likelihood, neg2_log_likelihood_exact,
                                  neg2_log_likelihood_gauss)

__all__ = ["event_objective", "fit_events", "model_image", "tabulate_likelihood", "N_PARAMS"]

N_PARAMS = 6
#: Quadratic penalty per unit (log10 E or g/cm² / 100) outside the template grid.
_BOUND_PENALTY = 1.0e4

STATUS_CONVERGED = 0
STATUS_MAX_EVALUATIONS = 1
STATUS_NOT_FITTED = 2
STATUS_NON_FINITE = 3


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _corners(axes, axis_ptr, strides, le, r, dx, offsets, weights):
    """Offsets and weights of the 8 parameter-space corners (log10 E, r, dX)."""
    i0, f0 = locate(axes[axis_ptr[0]:axis_ptr[1]], le)
    i1, f1 = locate(axes[axis_ptr[1]:axis_ptr[2]], r)
    i2, f2 = locate(axes[axis_ptr[2]:axis_ptr[3]], dx)
    n0 = axis_ptr[1] - axis_ptr[0]
    n1 = axis_ptr[2] - axis_ptr[1]
    n2 = axis_ptr[3] - axis_ptr[2]
    base = i0 * strides[0] + i1 * strides[1] + i2 * strides[2]
    k = 0
    for a in range(2):
        wa = f0 if a else 1.0 - f0
        if a and n0 < 2:
            wa = 0.0
        for b in range(2):
            wb = f1 if b else 1.0 - f1
            if b and n1 < 2:
                wb = 0.0
            for c in range(2):
                wc = f2 if c else 1.0 - f2
                if c and n2 < 2:
                    wc = 0.0
                offsets[k] = base + (a * strides[0] if n0 > 1 else 0) + (b * strides[1] if n1 > 1 else 0) \
                    + (c * strides[2] if n2 > 1 else 0)
                weights[k] = wa * wb * wc
                k += 1


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _image_value(table, type_offset, offsets, weights, x0, hx, nx, y0, hy, ny, sx, sy, x, y):
    """Template value at image position (x, y) (deg), 0 outside the image grid."""
    fx = (x - x0) / hx
    fy = (y - y0) / hy
    if fx < 0.0 or fy < 0.0 or fx > nx - 1 or fy > ny - 1:
        return 0.0
    ix = int(fx)
    iy = int(fy)
    if ix >= nx - 1:
        ix = nx - 2
    if iy >= ny - 1:
        iy = ny - 2
    tx = fx - ix
    ty = fy - iy
    w00 = (1.0 - tx) * (1.0 - ty)
    w01 = (1.0 - tx) * ty
    w10 = tx * (1.0 - ty)
    w11 = tx * ty
    total = 0.0
    for k in range(8):
        w = weights[k]
        if w == 0.0:
            continue
        o = type_offset + offsets[k] + ix * sx + iy * sy
        total += w * (w00 * table[o] + w01 * table[o + sy] + w10 * table[o + sx] + w11 * table[o + sx + sy])
    return total


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _telescope_geometry(p, tel_x, tel_y, m00, m01, m10, m11):
    cx = p[2] - tel_x
    cy = p[3] - tel_y
    r = math.sqrt(cx * cx + cy * cy)
    ax = m00 * cx + m01 * cy
    ay = m10 * cx + m11 * cy
    norm = math.sqrt(ax * ax + ay * ay)
    if norm > 0.0:
        return r, ax / norm, ay / norm
    return r, 1.0, 0.0


@njit(cache=NUMBA_CACHE, error_model="numpy")
def model_image(p, tel_x, tel_y, m, pix_lon, pix_lat, pix_area, table, type_offset, axes, axis_ptr, strides,
                out):
    """Expected p.e. of pixels of one telescope for parameters ``p`` (see module docstring).

    Parameters
    ----------
    p : ndarray of float64, shape (6,)
        Fit parameters.
    tel_x, tel_y : float
        Telescope position in the tilted frame, m.
    m : ndarray of float64, shape (2, 2)
        `iactpipe.reco.templates.tilted_to_fov_matrix`.
    pix_lon, pix_lat, pix_area : ndarray of float64, shape (n,)
        Pixel fov positions (deg) and solid angles (deg²).
    table : ndarray of float32
        Flattened stack of type templates; this type starts at ``type_offset``.
    axes, axis_ptr, strides
        Template grid (5 axes) as in `iactpipe.reco._interpolation_kernels`.
    out : ndarray of float64, shape (n,)
        Filled with the expected p.e.
    """
    offsets = np.empty(8, np.int64)
    weights = np.empty(8, np.float64)
    r, ux, uy = _telescope_geometry(p, tel_x, tel_y, m[0, 0], m[0, 1], m[1, 0], m[1, 1])
    _corners(axes, axis_ptr, strides, p[4], r, p[5], offsets, weights)
    xs = axes[axis_ptr[3]:axis_ptr[4]]
    ys = axes[axis_ptr[4]:axis_ptr[5]]
    energy = 10.0 ** p[4]
    for i in range(pix_lon.shape[0]):
        dx = pix_lon[i] - p[0]
        dy = pix_lat[i] - p[1]
        x = dx * ux + dy * uy
        y = abs(-dx * uy + dy * ux)
        out[i] = energy * pix_area[i] * _image_value(table, type_offset, offsets, weights, xs[0], xs[1] - xs[0],
                                                     xs.shape[0], ys[0], ys[1] - ys[0], ys.shape[0], strides[3],
                                                     strides[4], x, y)


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _pixel_term(s, mu, sigma_p, k, sigma_1, gaussian_above, lik_table, lik_grid, rel_sys):
    """``-2 ln P(s | mu)``: Gaussian limit above ``gaussian_above``, else the tabulated exact sum.

    In the Gaussian limit a relative template uncertainty ``rel_sys`` is added to the
    variance, ``(rel_sys mu)²`` (not in the exact sum, where it would be < 0.25 p.e.²).

    ``lik_table[k]`` holds `neg2_log_likelihood_exact` on the grid ``mu = i * lik_grid[0]``
    (``i = 0 .. n_mu - 1``, up to ``gaussian_above``), ``s = lik_grid[1] + j * lik_grid[2]``
    for the pedestal width of pixel class ``k``; it is interpolated bilinearly. Signals
    off the table, ``mu`` below the first node above 0 (where ``-2 ln P`` is close to
    ``-2 ln mu`` for large signals) and ``k < 0`` are summed exactly.
    """
    if mu > gaussian_above:
        if rel_sys > 0.0:  # template (model) uncertainty, relative: variance + (rel_sys mu)^2
            return neg2_log_likelihood_gauss(s, mu, math.sqrt(sigma_p * sigma_p + (rel_sys * mu) ** 2), sigma_1)
        return neg2_log_likelihood_gauss(s, mu, sigma_p, sigma_1)
    if k >= 0:
        fm = mu / lik_grid[0]
        fs = (s - lik_grid[1]) / lik_grid[2]
        n_mu = lik_table.shape[1]
        n_s = lik_table.shape[2]
        if fm >= 1.0 and fs >= 0.0 and fs < n_s - 1:  # first mu cell: log-singular, summed exactly
            im = int(fm)
            if im >= n_mu - 1:
                im = n_mu - 2
            js = int(fs)
            tm = fm - im
            ts = fs - js
            return ((1.0 - tm) * ((1.0 - ts) * lik_table[k, im, js] + ts * lik_table[k, im, js + 1])
                    + tm * ((1.0 - ts) * lik_table[k, im + 1, js] + ts * lik_table[k, im + 1, js + 1]))
    return neg2_log_likelihood_exact(s, mu, sigma_p, sigma_1)


@njit(cache=NUMBA_CACHE, error_model="numpy")
def tabulate_likelihood(sigma_p, sigma_1, mu_step, n_mu, s0, s_step, n_s, out):
    """Fill ``out[i, j]`` with ``-2 ln P(s0 + j s_step | i mu_step)`` (exact sum), for `_pixel_term`."""
    for i in range(n_mu):
        for j in range(n_s):
            out[i, j] = neg2_log_likelihood_exact(s0 + j * s_step, i * mu_step, sigma_p, sigma_1)


@njit(cache=NUMBA_CACHE, error_model="numpy")
def event_objective(p, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area, pix_signal,
                    pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes, axis_ptr, strides, sigma_1,
                    gaussian_above, rel_sys, want_gof):
    """``-2 ln L`` of one event (telescope rows ``t0:t1``) plus the bound penalty.

    Returns
    -------
    value : float
        Objective (``-2 ln L`` summed over pixels, plus a quadratic penalty when
        log10 E or dX lie outside the template grid; those are clamped for the model).
    expected : float
        Sum over pixels of the expected ``-2 ln L`` (Gaussian limit) if ``want_gof``,
        else 0.
    """
    q = p.copy()
    penalty = 0.0
    lo = axes[axis_ptr[0]]
    hi = axes[axis_ptr[1] - 1]
    if q[4] < lo:
        penalty += _BOUND_PENALTY * (lo - q[4]) ** 2
        q[4] = lo
    elif q[4] > hi:
        penalty += _BOUND_PENALTY * (q[4] - hi) ** 2
        q[4] = hi
    lo = axes[axis_ptr[2]]
    hi = axes[axis_ptr[3] - 1]
    if q[5] < lo:
        penalty += _BOUND_PENALTY * ((lo - q[5]) / 100.0) ** 2
        q[5] = lo
    elif q[5] > hi:
        penalty += _BOUND_PENALTY * ((q[5] - hi) / 100.0) ** 2
        q[5] = hi
    offsets = np.empty(8, np.int64)
    weights = np.empty(8, np.float64)
    xs = axes[axis_ptr[3]:axis_ptr[4]]
    ys = axes[axis_ptr[4]:axis_ptr[5]]
    x0 = xs[0]
    hx = xs[1] - xs[0]
    nx = xs.shape[0]
    y0 = ys[0]
    hy = ys[1] - ys[0]
    ny = ys.shape[0]
    sx = strides[3]
    sy = strides[4]
    energy = 10.0 ** q[4]
    total = 0.0
    expected = 0.0
    for j in range(t0, t1):
        r, ux, uy = _telescope_geometry(q, tel_x[j], tel_y[j], m[0, 0], m[0, 1], m[1, 0], m[1, 1])
        _corners(axes, axis_ptr, strides, q[4], r, q[5], offsets, weights)
        toff = tel_type_offset[j]
        for i in range(pix_ptr[j], pix_ptr[j + 1]):
            dx = pix_lon[i] - q[0]
            dy = pix_lat[i] - q[1]
            x = dx * ux + dy * uy
            y = abs(-dx * uy + dy * ux)
            mu = energy * pix_area[i] * _image_value(table, toff, offsets, weights, x0, hx, nx, y0, hy, ny, sx, sy,
                                                     x, y)
            total += _pixel_term(pix_signal[i], mu, pix_sigma[i], pix_lik[i], sigma_1, gaussian_above, lik_table,
                                 lik_grid, rel_sys)
            if want_gof:
                sp = pix_sigma[i]
                if mu > gaussian_above and rel_sys > 0.0:
                    sp = math.sqrt(sp * sp + (rel_sys * mu) ** 2)
                expected += expected_neg2_log_likelihood(mu, sp, sigma_1)
    return total + penalty, expected


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _nelder_mead(x0, steps, max_eval, ftol, xtol, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat,
                 pix_area, pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes, axis_ptr, strides,
                 sigma_1, gaussian_above, rel_sys):
    """Nelder–Mead simplex minimisation of `event_objective`.

    Dimension-adaptive coefficients of Gao & Han (2012, Comput. Optim. Appl. 51, 259):
    reflection 1, expansion ``1 + 2/n``, contraction ``0.75 - 1/(2n)``, shrink ``1 - 1/n``.

    Stops when the spread of the simplex values is below ``ftol`` and every vertex is
    within ``xtol`` (in units of ``steps``) of the best one, or after ``max_eval``
    evaluations. Returns ``(best x, best value, evaluations, converged)``.
    """
    n = x0.shape[0]
    expand = 1.0 + 2.0 / n
    contract = 0.75 - 0.5 / n
    shrink = 1.0 - 1.0 / n
    simplex = np.empty((n + 1, n))
    values = np.empty(n + 1)
    for k in range(n + 1):
        simplex[k] = x0
        if k > 0:
            simplex[k, k - 1] += steps[k - 1]
        values[k] = event_objective(simplex[k], t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat,
                                    pix_area, pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes,
                                    axis_ptr, strides, sigma_1,
                                    gaussian_above, rel_sys, False)[0]
    n_eval = n + 1
    converged = False
    centroid = np.empty(n)
    trial = np.empty(n)
    trial2 = np.empty(n)
    while n_eval < max_eval:
        order = np.argsort(values)
        simplex = simplex[order]
        values = values[order]
        if values[n] - values[0] < ftol:
            small = True
            for k in range(1, n + 1):
                for d in range(n):
                    if abs(simplex[k, d] - simplex[0, d]) > xtol * steps[d]:
                        small = False
            if small:
                converged = True
                break
        for d in range(n):
            centroid[d] = 0.0
            for k in range(n):
                centroid[d] += simplex[k, d]
            centroid[d] /= n
        for d in range(n):
            trial[d] = centroid[d] + (centroid[d] - simplex[n, d])
        f_r = event_objective(trial, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area,
                              pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes, axis_ptr,
                              strides, sigma_1, gaussian_above, rel_sys,
                              False)[0]
        n_eval += 1
        if f_r < values[0]:
            for d in range(n):
                trial2[d] = centroid[d] + expand * (centroid[d] - simplex[n, d])
            f_e = event_objective(trial2, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat,
                                  pix_area, pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes,
                                  axis_ptr, strides, sigma_1,
                                  gaussian_above, rel_sys, False)[0]
            n_eval += 1
            if f_e < f_r:
                simplex[n] = trial2
                values[n] = f_e
            else:
                simplex[n] = trial
                values[n] = f_r
        elif f_r < values[n - 1]:
            simplex[n] = trial
            values[n] = f_r
        else:
            if f_r < values[n]:  # outside contraction
                for d in range(n):
                    trial2[d] = centroid[d] + contract * (trial[d] - centroid[d])
            else:  # inside contraction
                for d in range(n):
                    trial2[d] = centroid[d] + contract * (simplex[n, d] - centroid[d])
            f_c = event_objective(trial2, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat,
                                  pix_area, pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes,
                                  axis_ptr, strides, sigma_1,
                                  gaussian_above, rel_sys, False)[0]
            n_eval += 1
            if f_c < min(f_r, values[n]):
                simplex[n] = trial2
                values[n] = f_c
            else:  # shrink towards the best vertex
                for k in range(1, n + 1):
                    for d in range(n):
                        simplex[k, d] = simplex[0, d] + shrink * (simplex[k, d] - simplex[0, d])
                    values[k] = event_objective(simplex[k], t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon,
                                                pix_lat, pix_area, pix_signal, pix_sigma, pix_lik, lik_table,
                                                lik_grid, m, table, axes, axis_ptr,
                                                strides, sigma_1, gaussian_above, rel_sys, False)[0]
                n_eval += n
    best = 0
    for k in range(1, n + 1):
        if values[k] < values[best]:
            best = k
    return simplex[best].copy(), values[best], n_eval, converged


@njit(cache=NUMBA_CACHE, error_model="numpy")
def intensity_energy(p, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area, pix_signal, m,
                     table, axes, axis_ptr, strides):
    """log10(E/TeV) at which the template prediction of the selected pixels has the observed total charge.

    Geometry ``p[0:4]`` and depth ``p[5]`` fixed; three fixed-point steps
    ``log10 E += log10(Σ s / Σ mu(E))`` from 1 TeV, clamped to the grid. Robust to
    geometry errors (only totals enter). Returns NaN if nothing is predicted or observed.
    """
    q = p.copy()
    lo = axes[axis_ptr[0]]
    hi = axes[axis_ptr[1] - 1]
    q[4] = min(max(0.0, lo), hi)
    observed = 0.0
    for i in range(pix_ptr[t0], pix_ptr[t1]):
        observed += pix_signal[i]
    if not observed > 0.0:
        return np.nan
    for _ in range(3):
        predicted = 0.0
        for j in range(t0, t1):
            n = pix_ptr[j + 1] - pix_ptr[j]
            out = np.empty(n)
            model_image(q, tel_x[j], tel_y[j], m, pix_lon[pix_ptr[j]:pix_ptr[j + 1]],
                        pix_lat[pix_ptr[j]:pix_ptr[j + 1]], pix_area[pix_ptr[j]:pix_ptr[j + 1]], table,
                        tel_type_offset[j], axes, axis_ptr, strides, out)
            predicted += out.sum()
        if not predicted > 0.0:
            return np.nan
        q[4] = min(max(q[4] + math.log10(observed / predicted), lo), hi)
    return q[4]


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _event_model(p, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area, m, table, axes,
                 axis_ptr, strides, out):
    """Expected p.e. of every selected pixel of an event (``out`` indexed from ``pix_ptr[t0]``)."""
    base = pix_ptr[t0]
    for j in range(t0, t1):
        a = pix_ptr[j]
        b = pix_ptr[j + 1]
        model_image(p, tel_x[j], tel_y[j], m, pix_lon[a:b], pix_lat[a:b], pix_area[a:b], table, tel_type_offset[j],
                    axes, axis_ptr, strides, out[a - base:b - base])


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _clamp_grid(p, axes, axis_ptr):
    p[4] = min(max(p[4], axes[axis_ptr[0]]), axes[axis_ptr[1] - 1])
    p[5] = min(max(p[5], axes[axis_ptr[2]]), axes[axis_ptr[3] - 1])


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _levenberg_marquardt(x0, steps, max_iter, ftol, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat,
                         pix_area, pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes, axis_ptr,
                         strides, sigma_1, gaussian_above, rel_sys):
    """Levenberg–Marquardt / Fisher-scoring minimisation of `event_objective`.

    Each iteration: the Jacobian ``J = dmu/dp`` by forward differences (steps ``steps/20``),
    the gradient and expected Hessian (Fisher information) of ``-2 ln L`` in the Gaussian
    limit, ``g_i = -2 (s_i - mu_i)/V_i + V_i' (1/V_i - (s_i - mu_i)²/V_i²)``,
    ``h_i = 2/V_i + V_i'²/V_i²`` with ``V = σ_p² + mu (1 + σ_1²) + (rel_sys mu)²``; the step
    solves ``(H + λ diag H) δ = -G``; it is kept if the true objective (exact likelihood)
    decreases (λ /= 3), else λ *= 4. Stops when an accepted step lowers the objective by
    less than ``ftol``, after ``max_iter`` iterations or when λ exceeds 1e6. Energy and
    depth are kept inside the template grid. Returns ``(x, value, evaluations, converged)``.
    """
    n = 6
    n_pix = pix_ptr[t1] - pix_ptr[t0]
    base = pix_ptr[t0]
    x = x0.copy()
    _clamp_grid(x, axes, axis_ptr)
    mu0 = np.empty(n_pix)
    mu1 = np.empty(n_pix)
    jac = np.empty((n, n_pix))
    f = event_objective(x, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area, pix_signal,
                        pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes, axis_ptr, strides, sigma_1,
                        gaussian_above, rel_sys, False)[0]
    n_eval = 1
    lam = 1e-3
    converged = False
    s1 = 1.0 + sigma_1 * sigma_1
    trial = np.empty(n)
    for _ in range(max_iter):
        _event_model(x, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area, m, table, axes,
                     axis_ptr, strides, mu0)
        for k in range(n):
            h = steps[k] / 20.0
            if k == 4 and x[4] + h > axes[axis_ptr[1] - 1]:
                h = -h
            if k == 5 and x[5] + h > axes[axis_ptr[3] - 1]:
                h = -h
            for d in range(n):
                trial[d] = x[d]
            trial[k] += h
            _event_model(trial, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area, m, table,
                         axes, axis_ptr, strides, mu1)
            for i in range(n_pix):
                jac[k, i] = (mu1[i] - mu0[i]) / h
        n_eval += n + 1
        grad = np.zeros(n)
        hess = np.zeros((n, n))
        for i in range(n_pix):
            mu = mu0[i] if mu0[i] > 0.0 else 0.0
            sp = pix_sigma[base + i]
            v = sp * sp + mu * s1 + (rel_sys * mu) ** 2
            dv = s1 + 2.0 * rel_sys * rel_sys * mu
            r = pix_signal[base + i] - mu
            g = -2.0 * r / v + dv * (1.0 / v - r * r / (v * v))
            w = 2.0 / v + dv * dv / (v * v)
            for a in range(n):
                ja = jac[a, i]
                if ja == 0.0:
                    continue
                grad[a] += g * ja
                wa = w * ja
                for b in range(a, n):
                    hess[a, b] += wa * jac[b, i]
        for a in range(n):
            for b in range(a):
                hess[a, b] = hess[b, a]
        accepted = False
        while lam < 1e6:
            lhs = hess.copy()
            for a in range(n):
                lhs[a, a] += lam * (hess[a, a] if hess[a, a] > 0.0 else 1.0) + 1e-12
            ok = True
            delta = np.linalg.solve(lhs, -grad)  # 6x6, positive definite (damped Fisher matrix)
            for d in range(n):
                if not np.isfinite(delta[d]):
                    ok = False
            if not ok:
                lam *= 4.0
                continue
            for d in range(n):
                trial[d] = x[d] + delta[d]
            _clamp_grid(trial, axes, axis_ptr)
            f_new = event_objective(trial, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area,
                                    pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes, axis_ptr,
                                    strides, sigma_1, gaussian_above, rel_sys, False)[0]
            n_eval += 1
            if f_new < f:
                decrease = f - f_new
                for d in range(n):
                    x[d] = trial[d]
                f = f_new
                lam = max(lam / 3.0, 1e-7)
                accepted = True
                if decrease < ftol:
                    converged = True
                break
            lam *= 4.0
        if not accepted:
            converged = True  # no downhill step at any damping: at a (local) minimum
            break
        if converged:
            break
    return x, f, n_eval, converged


@njit(cache=NUMBA_CACHE, error_model="numpy")
def fit_events(seeds, scan_energy, event_ptr, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area,
               pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, event_m, table, axes, axis_ptr, strides,
               sigma_1, gaussian_above, rel_sys, steps,
               max_eval, ftol, xtol, n_restarts, use_lm, refit_gof, result, value, gof, n_eval, status, n_pix):
    """Fit every event of a chunk.

    Parameters
    ----------
    seeds : ndarray of float64, shape (n_events, 6)
        Start parameters; rows with a non-finite geometry (``seeds[:, :4]``) are not fitted.
    scan_energy : ndarray of bool, shape (n_events,)
        Replace the energy seed by the intensity estimate (`intensity_energy`, geometry
        fixed, dX = 0; if that fails, by the best log10 E node of the grid) before the
        fit (no usable energy seed).
    event_ptr, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area, pix_signal, pix_sigma
        CSR event data (see module docstring); ``tel_type_offset`` is the start of each
        row's type table in ``table``; ``pix_sigma`` the pedestal width, p.e.
    pix_lik, lik_table, lik_grid
        Pixel class (index into ``lik_table``, -1: exact sum) and the tabulated
        likelihood (see `_pixel_term`, `tabulate_likelihood`).
    event_m : ndarray of float64, shape (n_events, 2, 2)
        Tilted → fov matrix of each event's array pointing.
    table, axes, axis_ptr, strides
        Templates (flattened stack, 5 axes).
    sigma_1, gaussian_above : float
        Likelihood settings (`iactpipe.reco._likelihood_kernels`).
    rel_sys : float
        Relative template uncertainty added in the Gaussian limit (`_pixel_term`).
    steps : ndarray of float64, shape (6,)
        Initial simplex steps.
    max_eval : int
        Objective evaluations per Nelder–Mead run.
    ftol, xtol : float
        Convergence tolerances (objective units; fraction of ``steps``).
    use_lm : bool
        Minimise with `_levenberg_marquardt` first; then ``n_restarts`` Nelder–Mead runs
        (simplex steps ``steps / 4``) polish the result (0: none).
    refit_gof : float
        If the goodness of fit exceeds this (> 0), two more Nelder–Mead runs start from the
        seed geometry with the energy 0.4 dex below and above the result; the best is kept.
    n_restarts : int
        Extra Nelder–Mead runs, each from a fresh simplex (initial ``steps``) at the best
        point so far (against premature collapse of the simplex); they stop as soon as one
        brings no improvement above ``ftol``.
    result, value, gof, n_eval, status, n_pix : ndarray
        Outputs per event: parameters (n_events, 6), ``-2 ln L`` at the minimum, goodness of
        fit ``(−2lnL − E[−2lnL]) / sqrt(2 n_pix)``, objective evaluations, status
        (0 converged, 1 evaluation limit, 2 not fitted, 3 non-finite result), pixels used.
    """
    n_events = seeds.shape[0]
    n_e = axis_ptr[1] - axis_ptr[0]
    for i in range(n_events):
        t0 = event_ptr[i]
        t1 = event_ptr[i + 1]
        n_pix[i] = pix_ptr[t1] - pix_ptr[t0]
        x0 = seeds[i].copy()
        ok = t1 > t0 and n_pix[i] > 0
        for d in range(4):
            if not np.isfinite(x0[d]):
                ok = False
        if not ok:
            status[i] = STATUS_NOT_FITTED
            value[i] = np.nan
            gof[i] = np.nan
            n_eval[i] = 0
            for d in range(6):
                result[i, d] = np.nan
            continue
        m = event_m[i]
        evaluations = 0
        if not np.isfinite(x0[5]):
            x0[5] = 0.0
        if scan_energy[i] or not np.isfinite(x0[4]):
            x0[5] = 0.0
            le = intensity_energy(x0, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area,
                                  pix_signal, m, table, axes, axis_ptr, strides)
            evaluations += 3
            if np.isfinite(le):
                x0[4] = le
        if not np.isfinite(x0[4]):  # no intensity estimate either: best energy node
            best = np.inf
            best_le = axes[axis_ptr[0]]
            x0[5] = 0.0
            for k in range(n_e):
                x0[4] = axes[axis_ptr[0] + k]
                f = event_objective(x0, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area,
                                    pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes, axis_ptr,
                                    strides, sigma_1,
                                    gaussian_above, rel_sys, False)[0]
                evaluations += 1
                if f < best:
                    best = f
                    best_le = axes[axis_ptr[0] + k]
            x0[4] = best_le
        if not np.isfinite(x0[5]):
            x0[5] = 0.0
        # start inside the template grid (the penalty only guards the fit's excursions)
        x0[4] = min(max(x0[4], axes[axis_ptr[0]]), axes[axis_ptr[1] - 1])
        x0[5] = min(max(x0[5], axes[axis_ptr[2]]), axes[axis_ptr[3] - 1])
        step = steps.copy()
        converged = False
        best_f = np.inf
        if use_lm:
            x, f, ne, converged = _levenberg_marquardt(x0, step, 30, ftol, t0, t1, tel_x, tel_y, tel_type_offset,
                                                       pix_ptr, pix_lon, pix_lat, pix_area, pix_signal, pix_sigma,
                                                       pix_lik, lik_table, lik_grid, m, table, axes, axis_ptr, strides,
                                                       sigma_1, gaussian_above, rel_sys)
            evaluations += ne
            best_f = f
            x0 = x
            for d in range(6):  # polish around the LM minimum with a smaller simplex
                step[d] *= 0.25
        for attempt in range(n_restarts + 1 if not use_lm else n_restarts):
            x, f, ne, converged = _nelder_mead(x0, step, max_eval, ftol, xtol, t0, t1, tel_x, tel_y, tel_type_offset,
                                               pix_ptr, pix_lon, pix_lat, pix_area, pix_signal, pix_sigma,
                                               pix_lik, lik_table, lik_grid, m, table,
                                               axes, axis_ptr, strides, sigma_1, gaussian_above, rel_sys)
            evaluations += ne
            improved = best_f - f
            if f <= best_f:
                best_f = f
                x0 = x
            if improved < ftol:  # a fresh simplex at the best point found nothing better
                break
        f, expected = event_objective(x0, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area,
                                      pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes,
                                      axis_ptr, strides, sigma_1,
                                      gaussian_above, rel_sys, True)
        evaluations += 1
        if refit_gof > 0.0 and (f - expected) / math.sqrt(2.0 * n_pix[i]) > refit_gof:
            # poor fit: restart from the seed geometry with the energy 0.4 dex below / above
            for sign in (-1.0, 1.0):
                x1 = seeds[i].copy()
                x1[4] = x0[4] + 0.4 * sign
                x1[5] = 0.0
                x1[4] = min(max(x1[4], axes[axis_ptr[0]]), axes[axis_ptr[1] - 1])
                x, f1, ne, conv1 = _nelder_mead(x1, steps, max_eval, ftol, xtol, t0, t1, tel_x, tel_y,
                                                tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area, pix_signal,
                                                pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes, axis_ptr,
                                                strides, sigma_1, gaussian_above, rel_sys)
                evaluations += ne
                if f1 < f:
                    x0 = x
                    f = f1
                    converged = conv1
            f, expected = event_objective(x0, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat,
                                          pix_area, pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes,
                                          axis_ptr, strides, sigma_1, gaussian_above, rel_sys, True)
            evaluations += 1
        n_eval[i] = evaluations
        value[i] = f
        gof[i] = (f - expected) / math.sqrt(2.0 * n_pix[i])
        finite = np.isfinite(f)
        for d in range(6):
            result[i, d] = x0[d]
            finite = finite and np.isfinite(x0[d])
        if not finite:
            status[i] = STATUS_NON_FINITE
        elif converged:
            status[i] = STATUS_CONVERGED
        else:
            status[i] = STATUS_MAX_EVALUATIONS
