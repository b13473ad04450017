"""Numba kernels of the template-likelihood fit: image model, event objective, Nelder–Mead.

Two minimisers: `_nelder_mead` (value only) and `_gauss_newton` (Levenberg–Marquardt /
Fisher scoring on the analytic gradient of `event_objective_grad`, ~30 pixel passes per
event instead of ~700 simplex evaluations).

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
then a bilinear image lookup per corner and pixel; zero outside the image grid). The
corner images are aligned on their x centroids before blending: the prepared tables hold
every node image on ``x' = x - s_k`` (``s_k``: the node's centroid, whole bins, stored in
``axes[axis_ptr[5]:axis_ptr[6]]``, see `iactpipe.reco.template_fit.prepare_templates`) and
a pixel is looked up at ``x' = x - s̄``, ``s̄ = Σ_k w_k s_k`` (one shift per telescope, so the
per-pixel cost is unchanged).
"""
import math

import numpy as np
from numba import njit

from ..env import NUMBA_CACHE
from ._interpolation_kernels import locate
from ._likelihood_kernels import (expected_neg2_log_likelihood, neg2_log_likelihood_exact,
                                  neg2_log_likelihood_exact_grad, neg2_log_likelihood_gauss)

__all__ = ["event_objective", "event_objective_grad", "fit_events", "model_image", "tabulate_likelihood", "N_PARAMS"]

N_PARAMS = 6
#: Quadratic penalty per unit (log10 E or g/cm² / 100) outside the template grid.
_BOUND_PENALTY = 1.0e4
#: Trust box of a Gauss–Newton step, in units of the initial simplex steps (0.1 deg,
#: 40 m, 0.2 dex, 60 g/cm² by default); see `_gauss_newton`.
_TRUST_STEPS = 2.0

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
def _node_shift(axes, axis_ptr, strides, type_offset, offsets, weights):
    """Centroid shift ``s̄ = Σ_k w_k s_k`` (deg) of the 8 corners (0 for tables without shifts)."""
    if axis_ptr.shape[0] < 7:
        return 0.0
    base = axis_ptr[5]
    s = 0.0
    for k in range(8):
        if weights[k] != 0.0:
            s += weights[k] * axes[base + (type_offset + offsets[k]) // strides[2]]
    return s


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _image_grid(axes, axis_ptr, strides):
    """Uniform image grid of the tables: ``(x0, hx, nx, y0, hy, ny, sx, sy)`` (deg, deg, nodes; strides)."""
    xs = axes[axis_ptr[3]:axis_ptr[4]]
    ys = axes[axis_ptr[4]:axis_ptr[5]]
    return xs[0], xs[1] - xs[0], xs.shape[0], ys[0], ys[1] - ys[0], ys.shape[0], strides[3], strides[4]


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
    shift = _node_shift(axes, axis_ptr, strides, type_offset, offsets, weights)
    x0, hx, nx, y0, hy, ny, sx, sy = _image_grid(axes, axis_ptr, strides)
    energy = 10.0 ** p[4]
    for i in range(pix_lon.shape[0]):
        dx = pix_lon[i] - p[0]
        dy = pix_lat[i] - p[1]
        x = dx * ux + dy * uy - shift
        y = abs(-dx * uy + dy * ux)
        out[i] = energy * pix_area[i] * _image_value(table, type_offset, offsets, weights, x0, hx, nx, y0, hy, ny,
                                                     sx, sy, x, y)


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _table_lookup(s, mu, k, lik_table, lik_grid):
    """Tabulated exact ``-2 ln P(s | mu)`` of pixel class ``k`` and its ``mu`` derivative.

    ``lik_grid = (mu_step, s0, s_step, n_mu, ln_mu_low, ln_mu_step)``. Rows ``0 .. n_mu - 1``
    of ``lik_table[k]`` hold `neg2_log_likelihood_exact` at ``mu = i * mu_step`` (up to
    ``gaussian_above``), the following rows at ``ln mu = ln_mu_low + i * ln_mu_step`` up to
    ``ln mu_step``: below the first linear node ``-2 ln P`` is close to ``-2 s ln mu`` for
    bright signals (log-singular), which is linear in ``ln mu``, and smooth for signals
    compatible with the pedestal; columns are ``s = s0 + j * s_step``. Interpolated
    bilinearly (the derivative is the slope of the interpolant along ``mu``).

    Returns
    -------
    found : bool
        False when ``s`` is off the table or ``mu < exp(ln_mu_low)`` (callers sum exactly).
    value, derivative : float
    """
    fs = (s - lik_grid[1]) / lik_grid[2]
    n_s = lik_table.shape[2]
    if not (fs >= 0.0 and fs < n_s - 1) or not mu > 0.0:
        return False, 0.0, 0.0
    js = int(fs)
    ts = fs - js
    n_mu = int(lik_grid[3])
    fm = mu / lik_grid[0]
    if fm >= 1.0:
        im = int(fm)
        if im >= n_mu - 1:
            im = n_mu - 2
        tm = fm - im
        lo = (1.0 - ts) * lik_table[k, im, js] + ts * lik_table[k, im, js + 1]
        hi = (1.0 - ts) * lik_table[k, im + 1, js] + ts * lik_table[k, im + 1, js + 1]
        return True, lo + tm * (hi - lo), (hi - lo) / lik_grid[0]
    fl = (math.log(mu) - lik_grid[4]) / lik_grid[5]
    if fl < 0.0:
        return False, 0.0, 0.0
    n_low = lik_table.shape[1] - n_mu
    il = int(fl)
    if il >= n_low - 1:
        il = n_low - 2
    tl = fl - il
    row = n_mu + il
    lo = (1.0 - ts) * lik_table[k, row, js] + ts * lik_table[k, row, js + 1]
    hi = (1.0 - ts) * lik_table[k, row + 1, js] + ts * lik_table[k, row + 1, js + 1]
    return True, lo + tl * (hi - lo), (hi - lo) / (lik_grid[5] * mu)


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _pixel_term(s, mu, sigma_p, k, sigma_1, gaussian_above, lik_table, lik_grid, sys_var):
    """``-2 ln P(s | mu)``: Gaussian limit above ``gaussian_above``, else the tabulated exact sum.

    In the Gaussian limit the template (model) variance ``sys_var`` (p.e.², fixed for the
    pixel, see `_model_variance`) is added to the variance; not in the exact sum.

    ``lik_table[k]`` holds `neg2_log_likelihood_exact` for the pedestal width of pixel
    class ``k`` (see `_table_lookup`: linear ``mu`` nodes, log-spaced nodes below the first
    one). Signals off the table, ``mu`` below the lowest log node and ``k < 0`` are summed
    exactly.
    """
    if mu > gaussian_above:
        if sys_var > 0.0:  # template (model) variance, held fixed during a minimisation
            return neg2_log_likelihood_gauss(s, mu, math.sqrt(sigma_p * sigma_p + sys_var), sigma_1)
        return neg2_log_likelihood_gauss(s, mu, sigma_p, sigma_1)
    if k >= 0:
        found, value, _ = _table_lookup(s, mu, k, lik_table, lik_grid)
        if found:
            return value
    return neg2_log_likelihood_exact(s, mu, sigma_p, sigma_1)


@njit(cache=NUMBA_CACHE, error_model="numpy")
def tabulate_likelihood(sigma_p, sigma_1, mu_step, n_mu, ln_mu_low, ln_mu_step, s0, s_step, n_s, out):
    """Fill ``out`` (shape ``(n_mu + n_low, n_s)``) with the exact ``-2 ln P`` for `_table_lookup`.

    ``out[i, j] = -2 ln P(s0 + j s_step | i mu_step)`` for ``i < n_mu``, and
    ``-2 ln P(s0 + j s_step | exp(ln_mu_low + (i - n_mu) ln_mu_step))`` for the log rows.
    """
    for i in range(out.shape[0]):
        mu = i * mu_step if i < n_mu else math.exp(ln_mu_low + (i - n_mu) * ln_mu_step)
        for j in range(n_s):
            out[i, j] = neg2_log_likelihood_exact(s0 + j * s_step, mu, sigma_p, sigma_1)


@njit(cache=NUMBA_CACHE, error_model="numpy")
def event_objective(p, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area, pix_signal,
                    pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes, axis_ptr, strides, sigma_1,
                    gaussian_above, pix_sys_var, want_gof):
    """``-2 ln L`` of one event (telescope rows ``t0:t1``) plus the bound penalty.

    ``pix_sys_var`` (p.e.², one per pixel of the chunk) is the template variance added to
    the Gaussian-limit variance (`_pixel_term`); it does not depend on ``p``
    (`_model_variance` sets it between minimisations).

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
    x0, hx, nx, y0, hy, ny, sx, sy = _image_grid(axes, axis_ptr, strides)
    energy = 10.0 ** q[4]
    total = 0.0
    expected = 0.0
    for j in range(t0, t1):
        r, ux, uy = _telescope_geometry(q, tel_x[j], tel_y[j], m[0, 0], m[0, 1], m[1, 0], m[1, 1])
        _corners(axes, axis_ptr, strides, q[4], r, q[5], offsets, weights)
        toff = tel_type_offset[j]
        shift = _node_shift(axes, axis_ptr, strides, toff, offsets, weights)
        for i in range(pix_ptr[j], pix_ptr[j + 1]):
            dx = pix_lon[i] - q[0]
            dy = pix_lat[i] - q[1]
            x = dx * ux + dy * uy - shift
            y = abs(-dx * uy + dy * ux)
            mu = energy * pix_area[i] * _image_value(table, toff, offsets, weights, x0, hx, nx, y0, hy, ny, sx, sy,
                                                     x, y)
            total += _pixel_term(pix_signal[i], mu, pix_sigma[i], pix_lik[i], sigma_1, gaussian_above, lik_table,
                                 lik_grid, pix_sys_var[i])
            if want_gof:
                sp = pix_sigma[i]
                if mu > gaussian_above:
                    sp = math.sqrt(sp * sp + pix_sys_var[i])
                expected += expected_neg2_log_likelihood(mu, sp, sigma_1)
    return total + penalty, expected


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _nelder_mead(x0, steps, max_eval, ftol, xtol, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat,
                 pix_area, pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes, axis_ptr, strides,
                 sigma_1, gaussian_above, pix_sys_var):
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
                                    gaussian_above, pix_sys_var, False)[0]
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
                              strides, sigma_1, gaussian_above, pix_sys_var,
                              False)[0]
        n_eval += 1
        if f_r < values[0]:
            for d in range(n):
                trial2[d] = centroid[d] + expand * (centroid[d] - simplex[n, d])
            f_e = event_objective(trial2, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat,
                                  pix_area, pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes,
                                  axis_ptr, strides, sigma_1,
                                  gaussian_above, pix_sys_var, False)[0]
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
                                  gaussian_above, pix_sys_var, False)[0]
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
                                                strides, sigma_1, gaussian_above, pix_sys_var, False)[0]
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
def _model_variance(p, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area, m, table, axes,
                    axis_ptr, strides, rel_sys, pix_sys_var):
    """Set the template variance ``(rel_sys mu_i)²`` of the event's pixels from the model at ``p``.

    ``p`` is clamped into the template grid in log10 E and dX (a copy). The variance is a
    fixed weight of the next minimisation, not a function of the fit parameters: the
    objective is then minimised at a zero of the quasi-likelihood score
    ``Σ (s - mu) mu' / V`` once ``p`` is the minimum itself (iterated reweighting). A
    variance ``(rel_sys mu(p))²`` inside the objective would instead add
    ``ln V`` terms whose derivative grows like ``rel_sys² mu`` and pull every ``mu`` (the
    energy first) below the signal wherever the model uncertainty exceeds the real mismatch.
    """
    q = p.copy()
    _clamp_grid(q, axes, axis_ptr)
    for j in range(t0, t1):
        a = pix_ptr[j]
        b = pix_ptr[j + 1]
        out = pix_sys_var[a:b]
        model_image(q, tel_x[j], tel_y[j], m, pix_lon[a:b], pix_lat[a:b], pix_area[a:b], table, tel_type_offset[j],
                    axes, axis_ptr, strides, out)
        for i in range(b - a):
            out[i] = (rel_sys * out[i]) ** 2


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _clamp_grid(p, axes, axis_ptr):
    p[4] = min(max(p[4], axes[axis_ptr[0]]), axes[axis_ptr[1] - 1])
    p[5] = min(max(p[5], axes[axis_ptr[2]]), axes[axis_ptr[3] - 1])


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _locate_grad(nodes, x):
    """`locate` plus ``d frac / d x`` (1/node spacing inside the grid, 0 outside: edge value)."""
    i, f = locate(nodes, x)
    n = nodes.shape[0]
    if n < 2 or not (x >= nodes[0] and x <= nodes[n - 1]):
        return i, f, 0.0
    return i, f, 1.0 / (nodes[i + 1] - nodes[i])


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _corners_grad(axes, axis_ptr, strides, le, r, dx, offsets, weights, w_le, w_r, w_dx):
    """`_corners` plus the derivatives of the 8 weights with respect to log10 E, r (1/m) and dX (cm²/g)."""
    i0, f0, g0 = _locate_grad(axes[axis_ptr[0]:axis_ptr[1]], le)
    i1, f1, g1 = _locate_grad(axes[axis_ptr[1]:axis_ptr[2]], r)
    i2, f2, g2 = _locate_grad(axes[axis_ptr[2]:axis_ptr[3]], dx)
    n0 = axis_ptr[1] - axis_ptr[0]
    n1 = axis_ptr[2] - axis_ptr[1]
    n2 = axis_ptr[3] - axis_ptr[2]
    base = i0 * strides[0] + i1 * strides[1] + i2 * strides[2]
    k = 0
    for a in range(2):
        wa = f0 if a else 1.0 - f0
        da = g0 if a else -g0
        if a and n0 < 2:
            wa = 0.0
            da = 0.0
        for b in range(2):
            wb = f1 if b else 1.0 - f1
            db = g1 if b else -g1
            if b and n1 < 2:
                wb = 0.0
                db = 0.0
            for c in range(2):
                wc = f2 if c else 1.0 - f2
                dc = g2 if c else -g2
                if c and n2 < 2:
                    wc = 0.0
                    dc = 0.0
                offsets[k] = base + (a * strides[0] if n0 > 1 else 0) + (b * strides[1] if n1 > 1 else 0) \
                    + (c * strides[2] if n2 > 1 else 0)
                weights[k] = wa * wb * wc
                w_le[k] = da * wb * wc
                w_r[k] = wa * db * wc
                w_dx[k] = wa * wb * dc
                k += 1


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _pixel_term_grad(s, mu, sigma_p, k, sigma_1, gaussian_above, lik_table, lik_grid, sys_var):
    """`_pixel_term` ``l = -2 ln P(s | mu)`` with ``dl/dmu`` and the Fisher weight ``E[d²l/dmu²]``.

    The value and derivative are those of `_pixel_term` (same Gaussian limit, same table:
    the derivative of the bilinear table is its slope along ``mu``; off the table the exact
    sum with its analytic derivative), so the gradient fit converges to the minimum of the
    same objective the simplex minimises. The weight is the Fisher information of the
    Gaussian limit, ``2/V + V'²/V²`` with ``V = σ_p² + mu (1 + σ_1²) (+ sys_var above
    gaussian_above; a constant, so V' = 1 + σ_1²)``: positive, and only the metric of the
    Gauss–Newton step, which is accepted on the true objective.
    """
    if mu < 0.0:
        mu = 0.0
    s1 = 1.0 + sigma_1 * sigma_1
    sp2 = max(sigma_p, 1e-3) ** 2
    if mu > gaussian_above:
        var = sp2 + mu * s1 + sys_var
        dvar = s1
        r = s - mu
        value = 1.8378770664093453 + math.log(var) + r * r / var  # ln(2π) + ...
        grad = dvar / var - 2.0 * r / var - r * r * dvar / (var * var)
        return value, grad, 2.0 / var + dvar * dvar / (var * var)
    var = sp2 + mu * s1
    weight = 2.0 / var + s1 * s1 / (var * var)
    if k >= 0:
        found, value, grad = _table_lookup(s, mu, k, lik_table, lik_grid)
        if found:
            return value, grad, weight
    value, grad = neg2_log_likelihood_exact_grad(s, mu, sigma_p, sigma_1)
    return value, grad, weight


@njit(cache=NUMBA_CACHE, error_model="numpy")
def event_objective_grad(p, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area, pix_signal,
                         pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes, axis_ptr, strides, sigma_1,
                         gaussian_above, pix_sys_var, grad, fisher):
    """``-2 ln L`` of one event with its analytic gradient and Fisher matrix (one pass over the pixels).

    ``p`` must lie inside the template grid in log10 E and dX (no penalty here; the
    gradient fit clamps). The model Jacobian ``d mu / d p`` is the exact derivative of
    the multilinear template interpolation (piecewise linear in every template axis, so
    its derivative is piecewise constant; taken from the same 32 table reads as the value)
    and of the geometry (impact distance ``r = |c|``, axis ``u = M c / |M c|``,
    ``x = (q - s)·u``, ``y = |(q - s) × u|``); chained with `_pixel_term_grad`.

    Parameters
    ----------
    p : ndarray of float64, shape (6,)
        Parameters (see module docstring).
    grad : ndarray of float64, shape (6,)
        Filled with ``d(-2 ln L)/dp``.
    fisher : ndarray of float64, shape (6, 6)
        Filled with ``Σ_i w_i J_i J_iᵀ`` (``w_i``: Fisher weight of `_pixel_term_grad`,
        ``J_i = d mu_i / dp``), the expected Hessian of ``-2 ln L``.
    Other parameters
        As `event_objective`.

    Returns
    -------
    float
        ``-2 ln L``.
    """
    offsets = np.empty(8, np.int64)
    weights = np.empty(8, np.float64)
    w_le = np.empty(8, np.float64)
    w_r = np.empty(8, np.float64)
    w_dx = np.empty(8, np.float64)
    jac = np.empty(6, np.float64)
    x0, hx, nx, y0, hy, ny, sx, sy = _image_grid(axes, axis_ptr, strides)
    energy = 10.0 ** p[4]
    ln10 = math.log(10.0)
    for a in range(6):
        grad[a] = 0.0
        for b in range(6):
            fisher[a, b] = 0.0
    total = 0.0
    m00 = m[0, 0]
    m01 = m[0, 1]
    m10 = m[1, 0]
    m11 = m[1, 1]
    for j in range(t0, t1):
        cx = p[2] - tel_x[j]
        cy = p[3] - tel_y[j]
        r = math.sqrt(cx * cx + cy * cy)
        ax = m00 * cx + m01 * cy
        ay = m10 * cx + m11 * cy
        norm = math.sqrt(ax * ax + ay * ay)
        # dr/dc and du/dc = (I - u uᵀ) M / |M c| (zero at the degenerate c = 0)
        drx = cx / r if r > 0.0 else 0.0
        dry = cy / r if r > 0.0 else 0.0
        if norm > 0.0:
            ux = ax / norm
            uy = ay / norm
            p00 = (1.0 - ux * ux) / norm
            p01 = -ux * uy / norm
            p11 = (1.0 - uy * uy) / norm
            d00 = p00 * m00 + p01 * m10
            d01 = p00 * m01 + p01 * m11
            d10 = p01 * m00 + p11 * m10
            d11 = p01 * m01 + p11 * m11
        else:
            ux = 1.0
            uy = 0.0
            d00 = d01 = d10 = d11 = 0.0
        _corners_grad(axes, axis_ptr, strides, p[4], r, p[5], offsets, weights, w_le, w_r, w_dx)
        toff = tel_type_offset[j]
        # centroid alignment: x' = x - s̄(log10 E, r, dX), so the parameter derivatives get
        # -dmu/dx' * ds̄/dθ with ds̄/dθ = Σ_k (dw_k/dθ) s_k
        shift = 0.0
        s_le = 0.0
        s_r = 0.0
        s_dx = 0.0
        if axis_ptr.shape[0] >= 7:
            for k in range(8):
                sk = axes[axis_ptr[5] + (toff + offsets[k]) // strides[2]]
                shift += weights[k] * sk
                s_le += w_le[k] * sk
                s_r += w_r[k] * sk
                s_dx += w_dx[k] * sk
        for i in range(pix_ptr[j], pix_ptr[j + 1]):
            ex = pix_lon[i] - p[0]
            ey = pix_lat[i] - p[1]
            x = ex * ux + ey * uy - shift
            y_signed = -ex * uy + ey * ux
            y = abs(y_signed)
            fx = (x - x0) / hx
            fy = (y - y0) / hy
            t_val = 0.0
            if fx >= 0.0 and fy >= 0.0 and fx <= nx - 1 and fy <= ny - 1:
                ix = int(fx)
                iy = int(fy)
                if ix >= nx - 1:
                    ix = nx - 2
                if iy >= ny - 1:
                    iy = ny - 2
                tx = fx - ix
                ty = fy - iy
                t_x = 0.0
                t_y = 0.0
                t_le = 0.0
                t_r = 0.0
                t_dx = 0.0
                for k in range(8):
                    o = toff + offsets[k] + ix * sx + iy * sy
                    # float64 before the differences (float32 differences lose ~1e-7 relative)
                    v00 = np.float64(table[o])
                    v01 = np.float64(table[o + sy])
                    v10 = np.float64(table[o + sx])
                    v11 = np.float64(table[o + sx + sy])
                    lo = v00 + ty * (v01 - v00)
                    hi = v10 + ty * (v11 - v10)
                    bil = lo + tx * (hi - lo)
                    t_val += weights[k] * bil
                    t_x += weights[k] * (hi - lo)
                    t_y += weights[k] * ((1.0 - tx) * (v01 - v00) + tx * (v11 - v10))
                    t_le += w_le[k] * bil
                    t_r += w_r[k] * bil
                    t_dx += w_dx[k] * bil
                scale = energy * pix_area[i]
                mu = scale * t_val
                gx = scale * t_x / hx  # d mu / d x
                gy = scale * t_y / hy  # d mu / d y
                if y_signed < 0.0:
                    gy = -gy
                jac[0] = -gx * ux + gy * uy
                jac[1] = -gx * uy - gy * ux
                # x = e·u, y_signed = e × u: dx/du = (ex, ey), dy_signed/du = (ey, -ex)
                dxu0 = ex * d00 + ey * d10
                dxu1 = ex * d01 + ey * d11
                dyu0 = ey * d00 - ex * d10
                dyu1 = ey * d01 - ex * d11
                g_r = scale * t_r - gx * s_r
                jac[2] = g_r * drx + gx * dxu0 + gy * dyu0
                jac[3] = g_r * dry + gx * dxu1 + gy * dyu1
                jac[4] = mu * ln10 + scale * t_le - gx * s_le
                jac[5] = scale * t_dx - gx * s_dx
            else:
                mu = 0.0
                for a in range(6):
                    jac[a] = 0.0
            value, dl, w = _pixel_term_grad(pix_signal[i], mu, pix_sigma[i], pix_lik[i], sigma_1, gaussian_above,
                                            lik_table, lik_grid, pix_sys_var[i])
            total += value
            if mu > 0.0:
                for a in range(6):
                    ja = jac[a]
                    grad[a] += dl * ja
                    wa = w * ja
                    for b in range(a, 6):
                        fisher[a, b] += wa * jac[b]
    for a in range(6):
        for b in range(a):
            fisher[a, b] = fisher[b, a]
    return total


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _gauss_newton(x0, steps, max_step_factor, max_iter, ftol, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr,
                  pix_lon, pix_lat, pix_area, pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes,
                  axis_ptr, strides, sigma_1, gaussian_above, pix_sys_var):
    """Levenberg–Marquardt with analytic gradients (Fisher scoring) of `event_objective_grad`.

    Each trial point costs one pass over the pixels (value, gradient and Fisher matrix
    together, so an accepted trial already holds the next step's derivatives). The step
    solves ``(F + λ diag F) δ = -g``; kept if ``-2 ln L`` decreases (λ /= 3), else λ *= 4.
    Steps are shortened to at most ``max_step_factor * steps`` per parameter (trust box),
    energy and depth are clamped into the template grid (a bound whose gradient points
    outwards holds its parameter for the step). Converged when two accepted steps in a row
    lower the objective by less than ``ftol`` each, or no step at any λ < 1e6 lowers it.
    Returns ``(x, value, passes, converged)``.
    """
    n = 6
    x = x0.copy()
    _clamp_grid(x, axes, axis_ptr)
    grad = np.empty(n)
    fisher = np.empty((n, n))
    grad_t = np.empty(n)
    fisher_t = np.empty((n, n))
    f = event_objective_grad(x, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area,
                             pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes, axis_ptr, strides,
                             sigma_1, gaussian_above, pix_sys_var, grad, fisher)
    n_eval = 1
    if not np.isfinite(f):
        return x, f, n_eval, False
    lam = 1e-3
    converged = False
    n_small = 0
    patience = 2
    trial = np.empty(n)
    lhs = np.empty((n, n))
    rhs = np.empty(n)
    while n_eval < max_iter:
        for a in range(n):
            for b in range(n):
                lhs[a, b] = fisher[a, b]
            lhs[a, a] += lam * (fisher[a, a] if fisher[a, a] > 0.0 else 1.0) + 1e-12
            rhs[a] = -grad[a]
        # energy / depth at a grid edge with the gradient pointing outwards: held fixed
        # for this step (active bound), else clamping the step would stall the fit there
        for a in range(4, 6):
            lo = axes[axis_ptr[0 if a == 4 else 2]]
            hi = axes[axis_ptr[1 if a == 4 else 3] - 1]
            if (x[a] <= lo and grad[a] > 0.0) or (x[a] >= hi and grad[a] < 0.0):
                for b in range(n):
                    lhs[a, b] = 0.0
                    lhs[b, a] = 0.0
                lhs[a, a] = 1.0
                rhs[a] = 0.0
        delta = np.linalg.solve(lhs, rhs)  # 6x6, positive definite (damped Fisher matrix)
        # trust box: far from the minimum (bright images, a seed 0.1 deg off) the quadratic
        # model of -2 ln L is poor and a full step can jump into another local minimum;
        # the step is shortened (direction kept) to at most max_step_factor x ``steps``
        shrink = 1.0
        for d in range(n):
            limit = max_step_factor * steps[d]
            if abs(delta[d]) * shrink > limit:
                shrink = limit / abs(delta[d])
        ok = True
        for d in range(n):
            if not np.isfinite(delta[d]):
                ok = False
            trial[d] = x[d] + shrink * delta[d]
        if not ok:
            lam *= 4.0
            if lam > 1e6:
                break
            continue
        _clamp_grid(trial, axes, axis_ptr)
        f_new = event_objective_grad(trial, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat,
                                     pix_area, pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes,
                                     axis_ptr, strides, sigma_1, gaussian_above, pix_sys_var, grad_t, fisher_t)
        n_eval += 1
        if f_new < f:
            decrease = f - f_new
            for d in range(n):
                x[d] = trial[d]
                grad[d] = grad_t[d]
                for b in range(n):
                    fisher[d, b] = fisher_t[d, b]
            f = f_new
            lam = max(lam / 3.0, 1e-7)
            if decrease < ftol:
                n_small += 1
                if n_small >= patience:
                    converged = True
                    break
            else:
                n_small = 0
        else:
            lam *= 4.0
            if lam > 1e6:
                converged = True  # no downhill step at any damping: at a (local) minimum
                break
    return x, f, n_eval, converged


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _minimise(x0, use_lm, depth_shift, n_restarts, steps, max_eval, ftol, xtol, t0, t1, tel_x, tel_y,
              tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area, pix_signal, pix_sigma, pix_lik, lik_table,
              lik_grid, m, table, axes, axis_ptr, strides, sigma_1, gaussian_above, pix_sys_var):
    """One minimisation of `event_objective` from ``x0`` (template variance fixed).

    With ``use_lm``: `_gauss_newton`, then (``depth_shift`` > 0) two more runs from the
    minimum with dX shifted by ∓ ``depth_shift``, then ``n_restarts`` Nelder–Mead polishing
    runs (simplex ``steps / 4``); else ``n_restarts + 1`` Nelder–Mead runs (see
    `fit_events`). Returns ``(x, value, evaluations, converged)``.
    """
    step = steps.copy()
    converged = False
    best_f = np.inf
    evaluations = 0
    if use_lm:
        x, f, ne, converged = _gauss_newton(x0, steps, _TRUST_STEPS, max_eval, ftol, t0, t1, tel_x, tel_y,
                                            tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area, pix_signal,
                                            pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes, axis_ptr,
                                            strides, sigma_1, gaussian_above, pix_sys_var)
        evaluations += ne
        best_f = f
        x0 = x
        if depth_shift > 0.0:
            # energy, depth and impact distance are nearly degenerate for bright images and
            # the multilinear model has kinks at every template node: two more starts from
            # the minimum with the depth shifted down / up find a lower -2 ln L in ~10 % of
            # the events (they start close to the minimum: ~15 passes each)
            for sgn in (-1.0, 1.0):
                x1 = x0.copy()
                x1[5] += sgn * depth_shift
                x2, f2, ne2, conv2 = _gauss_newton(x1, steps, _TRUST_STEPS, max_eval, ftol, t0, t1, tel_x, tel_y,
                                                   tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area,
                                                   pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, m, table,
                                                   axes, axis_ptr, strides, sigma_1, gaussian_above, pix_sys_var)
                evaluations += ne2
                if f2 < best_f:
                    best_f = f2
                    x0 = x2
                    converged = conv2
        for d in range(6):  # polish around the LM minimum with a smaller simplex
            step[d] *= 0.25
    for attempt in range(n_restarts + 1 if not use_lm else n_restarts):
        x, f, ne, converged = _nelder_mead(x0, step, max_eval, ftol, xtol, t0, t1, tel_x, tel_y, tel_type_offset,
                                           pix_ptr, pix_lon, pix_lat, pix_area, pix_signal, pix_sigma,
                                           pix_lik, lik_table, lik_grid, m, table,
                                           axes, axis_ptr, strides, sigma_1, gaussian_above, pix_sys_var)
        evaluations += ne
        improved = best_f - f
        if f <= best_f:
            best_f = f
            x0 = x
        if improved < ftol:  # a fresh simplex at the best point found nothing better
            break
    return x0, best_f, evaluations, converged


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _reweighted(x0, f, converged, n_updates, rel_sys, use_lm, n_restarts, steps, max_eval, ftol, xtol, t0, t1, tel_x,
                tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area, pix_signal, pix_sigma, pix_lik, lik_table,
                lik_grid, m, table, axes, axis_ptr, strides, sigma_1, gaussian_above, pix_sys_var):
    """``n_updates`` times: template variance from the model at ``x0`` (`_model_variance`), then `_minimise` from there.

    No depth starts (the minimum is already found; only the weights change). Returns
    ``(x, value, evaluations, converged)``; unchanged input for ``n_updates = 0``.
    """
    evaluations = 0
    for _ in range(n_updates):
        _model_variance(x0, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area, m, table,
                        axes, axis_ptr, strides, rel_sys, pix_sys_var)
        x0, f, ne, converged = _minimise(x0, use_lm, 0.0, n_restarts, steps, max_eval, ftol, xtol, t0, t1, tel_x,
                                         tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area, pix_signal,
                                         pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes, axis_ptr, strides,
                                         sigma_1, gaussian_above, pix_sys_var)
        evaluations += ne + 1
    return x0, f, evaluations, converged


@njit(cache=NUMBA_CACHE, error_model="numpy")
def fit_events(seeds, scan_energy, event_ptr, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area,
               pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, event_m, table, axes, axis_ptr, strides,
               sigma_1, gaussian_above, rel_sys, variance_updates, steps,
               max_eval, ftol, xtol, n_restarts, use_lm, depth_shift, refit_gof, result, value, gof, n_eval, status,
               n_pix):
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
        Relative template uncertainty: the model variance ``(rel_sys mu)²`` is added in the
        Gaussian limit (`_pixel_term`) as a fixed per-pixel weight — from the signal,
        ``(rel_sys max(s, 0))²``, for the first minimisation, then ``variance_updates``
        times from the model at the minimum found (`_model_variance`), each followed by a
        minimisation from there (iterated reweighting: the result solves the
        quasi-likelihood score equation, no pull of ``mu`` below the signal).
    variance_updates : int
        Number of reweighting passes (0: the signal-based variance only).
    steps : ndarray of float64, shape (6,)
        Initial simplex steps.
    max_eval : int
        Objective evaluations per Nelder–Mead run, or passes (value + gradient) per
        `_gauss_newton` run.
    ftol, xtol : float
        Convergence tolerances (objective units; fraction of ``steps``).
    use_lm : bool
        Minimise with `_gauss_newton` (Levenberg–Marquardt with analytic gradients) first;
        then ``n_restarts`` Nelder–Mead runs (simplex steps ``steps / 4``) polish the result
        (0: none).
    depth_shift : float
        With ``use_lm`` and > 0: two more `_gauss_newton` runs start from the minimum with
        dX shifted by ``-depth_shift`` and ``+depth_shift`` (g/cm²); the lowest ``-2 ln L``
        is kept.
    refit_gof : float
        If the goodness of fit exceeds this (> 0), two more runs of the same minimiser start
        from the seed geometry with the energy 0.4 dex below and above the result; the
        best is kept.
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
    pix_sys_var = np.zeros(pix_ptr[-1])  # template variance per pixel, p.e.² (set per event)
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
        # template variance of the first minimisation from the signal (independent of the seed)
        for q in range(pix_ptr[t0], pix_ptr[t1]):
            pix_sys_var[q] = (rel_sys * max(pix_signal[q], 0.0)) ** 2
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
                                    gaussian_above, pix_sys_var, False)[0]
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
        x0, f, ne, converged = _minimise(x0, use_lm, depth_shift, n_restarts, steps, max_eval, ftol, xtol, t0, t1,
                                         tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area,
                                         pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes,
                                         axis_ptr, strides, sigma_1, gaussian_above, pix_sys_var)
        evaluations += ne
        if rel_sys > 0.0:
            x0, f, ne, converged = _reweighted(x0, f, converged, variance_updates, rel_sys, use_lm, n_restarts, steps,
                                               max_eval, ftol, xtol, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr,
                                               pix_lon, pix_lat, pix_area, pix_signal, pix_sigma, pix_lik, lik_table,
                                               lik_grid, m, table, axes, axis_ptr, strides, sigma_1, gaussian_above,
                                               pix_sys_var)
            evaluations += ne
        f, expected = event_objective(x0, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area,
                                      pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes,
                                      axis_ptr, strides, sigma_1, gaussian_above, pix_sys_var, True)
        evaluations += 1
        if refit_gof > 0.0 and (f - expected) / math.sqrt(2.0 * n_pix[i]) > refit_gof:
            # poor fit: restart from the seed geometry with the energy 0.4 dex below / above
            # (same template variance, so the objective values compare)
            refitted = False
            for sign in (-1.0, 1.0):
                x1 = seeds[i].copy()
                x1[4] = x0[4] + 0.4 * sign
                x1[5] = 0.0
                x1[4] = min(max(x1[4], axes[axis_ptr[0]]), axes[axis_ptr[1] - 1])
                # one run of the minimiser (no depth starts, no polishing)
                x, f1, ne, conv1 = _minimise(x1, use_lm, 0.0, 0, steps, max_eval, ftol, xtol, t0, t1, tel_x, tel_y,
                                             tel_type_offset, pix_ptr, pix_lon, pix_lat, pix_area, pix_signal,
                                             pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes, axis_ptr,
                                             strides, sigma_1, gaussian_above, pix_sys_var)
                evaluations += ne
                if f1 < f:
                    x0 = x
                    f = f1
                    converged = conv1
                    refitted = True
            if refitted and rel_sys > 0.0:
                x0, f, ne, converged = _reweighted(x0, f, converged, variance_updates, rel_sys, use_lm, n_restarts,
                                                   steps, max_eval, ftol, xtol, t0, t1, tel_x, tel_y, tel_type_offset,
                                                   pix_ptr, pix_lon, pix_lat, pix_area, pix_signal, pix_sigma, pix_lik,
                                                   lik_table, lik_grid, m, table, axes, axis_ptr, strides, sigma_1,
                                                   gaussian_above, pix_sys_var)
                evaluations += ne
            f, expected = event_objective(x0, t0, t1, tel_x, tel_y, tel_type_offset, pix_ptr, pix_lon, pix_lat,
                                          pix_area, pix_signal, pix_sigma, pix_lik, lik_table, lik_grid, m, table, axes,
                                          axis_ptr, strides, sigma_1, gaussian_above, pix_sys_var, True)
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
