"""Numba kernel computing all DL1 image parameters for a batch of cleaned images.

One pass per event gathers the selected pixels; everything else works on those.
Output columns (float64 unless in the integer block) are indexed by the constants below.
"""
import numpy as np
from numba import njit

from ..env import NUMBA_CACHE
from ._cleaning_kernels import flood_fill

FLOAT_FIELDS = (
    "hillas_intensity", "hillas_fov_lon", "hillas_fov_lat", "hillas_r", "hillas_phi",
    "hillas_length", "hillas_length_uncertainty", "hillas_width", "hillas_width_uncertainty",
    "hillas_psi", "hillas_psi_uncertainty", "hillas_transverse_cog_uncertainty",
    "hillas_skewness", "hillas_kurtosis",
    "timing_slope", "timing_intercept", "timing_deviation",
    "leakage_pixels_width_1", "leakage_pixels_width_2",
    "leakage_intensity_width_1", "leakage_intensity_width_2",
    "concentration_cog", "concentration_core", "concentration_pixel",
    "intensity_max", "intensity_min", "intensity_mean", "intensity_std",
    "intensity_skewness", "intensity_kurtosis",
    "peak_time_max", "peak_time_min", "peak_time_mean", "peak_time_std",
    "peak_time_skewness", "peak_time_kurtosis",
)
INT_FIELDS = (
    "morphology_n_pixels", "morphology_n_islands", "morphology_n_small_islands",
    "morphology_n_medium_islands", "morphology_n_large_islands",
)
N_FLOAT = len(FLOAT_FIELDS)
N_INT = len(INT_FIELDS)

(H_INT, H_LON, H_LAT, H_R, H_PHI, H_LEN, H_LEN_U, H_WID, H_WID_U, H_PSI, H_PSI_U, H_TCOG_U,
 H_SKEW, H_KURT, T_SLOPE, T_INTER, T_DEV, L_P1, L_P2, L_I1, L_I2, C_COG, C_CORE, C_PIX,
 I_MAX, I_MIN, I_MEAN, I_STD, I_SKEW, I_KURT, P_MAX, P_MIN, P_MEAN, P_STD, P_SKEW, P_KURT) = range(N_FLOAT)

HILLAS_ATOL = np.finfo(np.float64).eps
REGRESSION_EPS = 2.0 * np.finfo(np.float64).eps
LTS_RELATIVE_SAMPLE_SIZE = 0.85
LTS_MAX_ITERATIONS = 20
LTS_CONVERGENCE = 1e-12


@njit(cache=NUMBA_CACHE)
def _describe(values, n, out, offset):
    """max, min, mean, std (ddof=0), skewness, excess kurtosis of values[:n]."""
    vmax = values[0]
    vmin = values[0]
    s = 0.0
    for i in range(n):
        v = values[i]
        s += v
        if v > vmax:
            vmax = v
        if v < vmin:
            vmin = v
    mean = s / n
    s2 = 0.0
    for i in range(n):
        d = values[i] - mean
        s2 += d * d
    std = np.sqrt(s2 / n)
    s3 = 0.0
    s4 = 0.0
    if std > 0.0:
        for i in range(n):
            z = (values[i] - mean) / std
            z2 = z * z
            s3 += z2 * z
            s4 += z2 * z2
        skew = s3 / n
        kurt = s4 / n - 3.0
    else:
        skew = np.nan
        kurt = np.nan
    out[offset] = vmax
    out[offset + 1] = vmin
    out[offset + 2] = mean
    out[offset + 3] = std
    out[offset + 4] = skew
    out[offset + 5] = kurt


@njit(cache=NUMBA_CACHE)
def _fit_subset(x, y, idx, m):
    """Least-squares line through points idx[:m]; (nan, nan) if degenerate."""
    sx = 0.0
    sy = 0.0
    sxx = 0.0
    sxy = 0.0
    for k in range(m):
        i = idx[k]
        sx += x[i]
        sy += y[i]
        sxx += x[i] * x[i]
        sxy += x[i] * y[i]
    det = sxx * m - sx * sx
    if det < REGRESSION_EPS:
        return np.nan, np.nan
    return (m * sxy - sx * sy) / det, (sxx * sy - sx * sxy) / det


@njit(cache=NUMBA_CACHE)
def _kth_smallest(a, n, k):
    """k-th smallest (0-based) of a[:n]; reorders a (quickselect)."""
    lo = 0
    hi = n - 1
    while lo < hi:
        pivot = a[(lo + hi) // 2]
        i = lo
        j = hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                tmp = a[i]
                a[i] = a[j]
                a[j] = tmp
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break
    return a[k]


@njit(cache=NUMBA_CACHE)
def _c_steps(x, y, n, size, slope, intercept, res2, scratch, order):
    """Least-trimmed-squares concentration steps from a starting line.

    Each step refits the ``size`` points with the smallest squared residuals.
    Returns slope, intercept and the trimmed residual sum of squares (nan if degenerate).
    """
    if np.isnan(slope):
        return np.nan, np.nan, np.nan
    error = np.nan
    for _ in range(LTS_MAX_ITERATIONS):
        for i in range(n):
            r = y[i] - (x[i] * slope + intercept)
            res2[i] = r * r
            scratch[i] = r * r
        threshold = _kth_smallest(scratch, n, size - 1)
        m = 0
        for i in range(n):
            if res2[i] < threshold:
                order[m] = i
                m += 1
        for i in range(n):
            if m >= size:
                break
            if res2[i] == threshold:
                order[m] = i
                m += 1
        slope, intercept = _fit_subset(x, y, order, size)
        if np.isnan(slope):
            return np.nan, np.nan, np.nan
        last_error = error
        error = 0.0
        for k in range(size):
            i = order[k]
            r = y[i] - (x[i] * slope + intercept)
            error += r * r
        if abs(last_error - error) < LTS_CONVERGENCE:
            break
    return slope, intercept, error


@njit(cache=NUMBA_CACHE)
def _xorshift(state):
    state ^= (state << np.uint64(13))
    state ^= (state >> np.uint64(7))
    state ^= (state << np.uint64(17))
    return state


@njit(cache=NUMBA_CACHE)
def lts_fit(x, y, n, res2, scratch, order, pair, n_random_starts):
    """Least-trimmed-squares line fit keeping 85 % of the points (ctapipe's LTS definition).

    Concentration steps start from the full least-squares line, from point pairs spread
    along x and from ``n_random_starts`` pseudo-random pairs from a local fixed-seed
    xorshift stream (numba's global generator is left untouched), so the result is
    reproducible and independent of event order. The start with the lowest
    trimmed error wins.
    """
    if n < 2:
        return np.nan, np.nan
    size = np.int64(LTS_RELATIVE_SAMPLE_SIZE * n)
    if size < 2:
        return np.nan, np.nan
    best_slope = np.nan
    best_intercept = np.nan
    best_error = np.inf
    for k in range(n):
        order[k] = k
    s0, i0 = _fit_subset(x, y, order, n)
    slope, intercept, error = _c_steps(x, y, n, size, s0, i0, res2, scratch, order)
    if error < best_error:
        best_error = error
        best_slope = slope
        best_intercept = intercept
    xs = np.argsort(x[:n])
    state = np.uint64(0x9E3779B97F4A7C15)  # local xorshift stream: same draws for every event
    for start in range(4 + n_random_starts):
        if start < 4:
            a = (start * n) // 8
            b = n - 1 - a
            if a >= b:
                continue
            pair[0] = xs[a]
            pair[1] = xs[b]
        else:
            state = _xorshift(state)
            pair[0] = np.int64(state % np.uint64(n))
            state = _xorshift(state)
            pair[1] = np.int64(state % np.uint64(n - 1))
            if pair[1] >= pair[0]:
                pair[1] += 1
        s0, i0 = _fit_subset(x, y, pair, 2)
        slope, intercept, error = _c_steps(x, y, n, size, s0, i0, res2, scratch, order)
        if error < best_error:
            best_error = error
            best_slope = slope
            best_intercept = intercept
    return best_slope, best_intercept


@njit(cache=NUMBA_CACHE)
def _label_selected(sel, n, indptr, indices, labels, stack):
    """Island labelling restricted to the selected pixels ``sel[:n]`` (ascending).

    ``labels`` must be 0 on entry for all pixels; selected pixels get 1..n_islands.
    """
    for k in range(n):
        labels[sel[k]] = -1
    n_islands = 0
    for k in range(n):
        i = sel[k]
        if labels[i] == -1:
            n_islands += 1
            flood_fill(i, n_islands, labels, indptr, indices, stack)
    return n_islands


@njit(cache=NUMBA_CACHE)
def parameters_kernel(lon, lat, area, pixel_width, indptr, indices, border1, border2,
                      images, peak_times, masks, min_pixels, n_random_starts, out_f, out_i, valid):
    n_events, n_pix = images.shape
    sel = np.empty(n_pix, np.int64)
    w = np.empty(n_pix, np.float64)
    x = np.empty(n_pix, np.float64)
    y = np.empty(n_pix, np.float64)
    t = np.empty(n_pix, np.float64)
    longi = np.empty(n_pix, np.float64)
    trans = np.empty(n_pix, np.float64)
    tx = np.empty(n_pix, np.float64)
    ty = np.empty(n_pix, np.float64)
    res2 = np.empty(n_pix, np.float64)
    scratch = np.empty(n_pix, np.float64)
    order = np.empty(n_pix, np.int64)
    pair = np.empty(2, np.int64)
    labels = np.zeros(n_pix, np.int32)
    stack = np.empty(n_pix + 1, np.int64)
    island_size = np.zeros(n_pix + 1, np.int64)
    half_pi = 0.5 * np.pi
    for ev in range(n_events):
        row = out_f[ev]
        img = images[ev]
        msk = masks[ev]
        n = 0
        size = 0.0
        for i in range(n_pix):
            if msk[i]:
                sel[n] = i
                w[n] = img[i]
                x[n] = lon[i]
                y[n] = lat[i]
                t[n] = peak_times[ev, i]
                size += w[n]
                n += 1
        if n < min_pixels or n == 0 or not size > 0.0:
            valid[ev] = False
            for k in range(row.shape[0]):
                row[k] = np.nan
            for k in range(out_i.shape[1]):
                out_i[ev, k] = -1
            continue
        valid[ev] = True

        # ---- Hillas moments
        sx = 0.0
        sy = 0.0
        for k in range(n):
            sx += w[k] * x[k]
            sy += w[k] * y[k]
        cog_x = sx / size
        cog_y = sy / size
        sxx = 0.0
        syy = 0.0
        sxy = 0.0
        for k in range(n):
            dx = x[k] - cog_x
            dy = y[k] - cog_y
            sxx += w[k] * dx * dx
            syy += w[k] * dy * dy
            sxy += w[k] * dx * dy
        cxx = sxx / size
        cyy = syy / size
        cxy = sxy / size
        half_trace = 0.5 * (cxx + cyy)
        disc = np.sqrt(0.25 * (cxx - cyy) ** 2 + cxy * cxy)
        lam_major = half_trace + disc
        lam_minor = half_trace - disc
        if abs(lam_major) <= HILLAS_ATOL:
            lam_major = 0.0
        if abs(lam_minor) <= HILLAS_ATOL:
            lam_minor = 0.0
        length = np.sqrt(lam_major)
        width = np.sqrt(lam_minor)

        psi = np.nan
        psi_unc = np.nan
        tcog_unc = np.nan
        skew = np.nan
        kurt = np.nan
        if length != 0.0:
            psi = 0.5 * np.arctan2(2.0 * cxy, cxx - cyy)
            if psi <= -half_pi:
                psi += np.pi
            cos_psi = np.cos(psi)
            sin_psi = np.sin(psi)
            m3 = 0.0
            m4 = 0.0
            a00 = 0.0
            a01 = 0.0
            a11 = 0.0
            b0 = 0.0
            b1 = 0.0
            for k in range(n):
                dx = x[k] - cog_x
                dy = y[k] - cog_y
                lo = dx * cos_psi + dy * sin_psi
                tr = -dx * sin_psi + dy * cos_psi
                longi[k] = lo
                trans[k] = tr
                lo2 = lo * lo
                m3 += w[k] * lo2 * lo
                m4 += w[k] * lo2 * lo2
                wa = w[k] / area[sel[k]]
                a00 += wa * lo2
                a01 += wa * lo
                a11 += wa
                b0 += wa * lo * tr
                b1 += wa * tr
            skew = (m3 / size) / length**3
            kurt = (m4 / size) / length**4
            det = a00 * a11 - a01 * a01
            inv00 = a11 / det
            inv01 = -a01 / det
            inv11 = a00 / det
            p0 = inv00 * b0 + inv01 * b1
            tan_term = np.tan(width / length * half_pi)
            psi_unc = np.sqrt(inv00 + p0 * p0) * (1.0 + tan_term * tan_term)
            sin_p0 = np.sin(p0)
            tcog_unc = np.sqrt(inv11 * (1.0 + sin_p0 * sin_p0))

        cos_2psi = np.cos(2.0 * psi)
        ca = 0.5 * (1.0 + cos_2psi)
        cb = 0.5 * (1.0 - cos_2psi)
        cc = np.sin(2.0 * psi)
        su_len = 0.0
        su_wid = 0.0
        for k in range(n):
            dx = x[k] - cog_x
            dy = y[k] - cog_y
            aa = (dx * dx - cxx) / size
            bb = (dy * dy - cyy) / size
            cc_ = (dx * dy - cxy) / size
            v1 = ca * aa + cb * bb + cc * cc_
            v2 = cb * aa + ca * bb - cc * cc_
            su_len += v1 * v1 * w[k]
            su_wid += v2 * v2 * w[k]
        len_unc = np.sqrt(su_len) / (2.0 * length) if length != 0.0 else np.nan
        wid_unc = np.sqrt(su_wid) / (2.0 * width) if width != 0.0 else np.nan

        row[H_INT] = size
        row[H_LON] = cog_x
        row[H_LAT] = cog_y
        row[H_R] = np.sqrt(cog_x * cog_x + cog_y * cog_y)
        row[H_PHI] = np.rad2deg(np.arctan2(cog_y, cog_x))
        row[H_LEN] = length
        row[H_LEN_U] = len_unc
        row[H_WID] = width
        row[H_WID_U] = wid_unc
        row[H_PSI] = np.rad2deg(psi)
        row[H_PSI_U] = np.rad2deg(psi_unc)
        row[H_TCOG_U] = tcog_unc
        row[H_SKEW] = skew
        row[H_KURT] = kurt

        # ---- timing: robust line fit of peak time vs. longitudinal coordinate
        if length != 0.0:
            m = 0
            for k in range(n):
                if np.isfinite(t[k]) and np.isfinite(longi[k]):
                    tx[m] = longi[k]
                    ty[m] = t[k]
                    m += 1
            slope, intercept = lts_fit(tx, ty, m, res2, scratch, order, pair, n_random_starts)
            dev = 0.0
            for k in range(n):
                r = longi[k] * slope + intercept - t[k]
                dev += r * r
            row[T_SLOPE] = slope
            row[T_INTER] = intercept
            row[T_DEV] = np.sqrt(dev / n)
        else:
            row[T_SLOPE] = np.nan
            row[T_INTER] = np.nan
            row[T_DEV] = np.nan

        # ---- leakage
        n1 = 0
        n2 = 0
        i1 = 0.0
        i2 = 0.0
        for k in range(n):
            p = sel[k]
            if border1[p]:
                n1 += 1
                i1 += w[k]
            if border2[p]:
                n2 += 1
                i2 += w[k]
        row[L_P1] = n1 / n
        row[L_P2] = n2 / n
        row[L_I1] = i1 / size
        row[L_I2] = i2 / size

        # ---- concentration
        c_cog = 0.0
        c_core = 0.0
        wmax = w[0]
        for k in range(n):
            dx = x[k] - cog_x
            dy = y[k] - cog_y
            pw = pixel_width[sel[k]]
            if dx * dx + dy * dy < pw * pw:
                c_cog += w[k]
            if w[k] > wmax:
                wmax = w[k]
        if width != 0.0:
            for k in range(n):
                if longi[k] ** 2 / length**2 + trans[k] ** 2 / width**2 <= 1.0:
                    c_core += w[k]
            row[C_CORE] = c_core / size
        else:
            row[C_CORE] = 0.0
        row[C_COG] = c_cog / size
        row[C_PIX] = wmax / size

        # ---- statistics
        _describe(w, n, row, I_MAX)
        _describe(t, n, row, P_MAX)

        # ---- morphology (labels is all-zero between events; only selected pixels touched)
        n_isl = _label_selected(sel, n, indptr, indices, labels, stack)
        for k in range(n_isl + 1):
            island_size[k] = 0
        for k in range(n):
            island_size[labels[sel[k]]] += 1
            labels[sel[k]] = 0
        n_small = 0
        n_large = 0
        for k in range(1, n_isl + 1):
            if island_size[k] <= 2:
                n_small += 1
            elif island_size[k] > 50:
                n_large += 1
        out_i[ev, 0] = n
        out_i[ev, 1] = n_isl
        out_i[ev, 2] = n_small
        out_i[ev, 3] = n_isl - n_small - n_large
        out_i[ev, 4] = n_large
