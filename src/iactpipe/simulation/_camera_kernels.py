"""Numba kernels of the camera response: random numbers, pixel lookup, photoelectron
bookkeeping, NSB, pulse deposition and digitisation.

Plain arrays and scalars only; all preparation (units, shapes, dtypes) is done by
`iactpipe.simulation.camera_response`.

Random numbers
--------------
The kernels draw from a xoshiro256** generator (Blackman & Vigna 2018) whose 4-word state
is a small uint64 array created per call from the caller's ``numpy.random.Generator``
(`new_state`), so a run is reproducible from one seed and no kernel keeps global state. An
inlined generator is used instead of passing the numpy ``Generator`` into numba because
the per-draw call through the bit generator's function pointers dominated the waveform
synthesis (3-6 ns per draw on the development machine against ~1.2 ns inlined).

Normal deviates use the quantile method on a 16-bit grid with exact tails: 16 random bits
pick one of 65536 equiprobable cells of N(0, 1); a central cell returns its median
``Phi^-1((k + 0.5) / 65536)`` (float32 table `_QUANTILES`), the two outermost cells
(|z| > 4.17) return an exact draw from the normal tail (Marsaglia 1964). The sampled
distribution function differs from the normal one by less than 1/131072 everywhere, far
below anything a simulation of this size can resolve, and one 64-bit draw gives four
deviates (about 3x faster than the 256-layer ziggurat we used first; electronic noise
needs ~1.5e5 deviates per LST event).
Poisson counts use the multiplication method below a mean of 10 and Hörmann's PTRS
transformed rejection above (as numpy does).
"""
import math

import numpy as np
from numba import njit

from ..env import NUMBA_CACHE
from ._trigger_kernels import analog_sum_clipped, majority_trigger

__all__ = [
    "new_state",
    "uniform_array",
    "normal_array",
    "poisson_array",
    "lookup_pixels",
    "cell_inside_table",
    "prepare_signal_pe",
    "draw_nsb",
    "deposit_pulses",
    "trigger_signal",
    "readout_waveforms",
    "digitise",
    "TRIGGER_ANALOG_SUM",
    "TRIGGER_MAJORITY",
    "camera_event",
]


# ---------------------------------------------------------------------------------------------
# random numbers
# ---------------------------------------------------------------------------------------------

def _quantile_table(bits=16):
    """Medians of the ``2**bits`` equiprobable cells of N(0, 1), float32, and the tail edge.

    Entries 0 and ``2**bits - 1`` (the unbounded outer cells) are never returned: those
    cells are sampled exactly from the tail beyond ``edge = Phi^-1(1 - 2**-bits)``.
    """
    from scipy.special import ndtri

    n = 2 ** bits
    table = ndtri((np.arange(n) + 0.5) / n).astype(np.float32)
    return table, float(-ndtri(1.0 / n))


# read-only constants (not state): numba freezes them into the compiled kernels
_QUANTILES, _TAIL_EDGE = _quantile_table()
_QUANTILES.setflags(write=False)
_LAST_CELL = _QUANTILES.shape[0] - 1

_TO_UNIT_53 = 1.0 / 9007199254740992.0  # 2**-53
_TO_UNIT_48 = 1.0 / 281474976710656.0  # 2**-48


def new_state(rng):
    """A fresh xoshiro256** state (uint64 array of 4) drawn from a numpy Generator."""
    state = np.ascontiguousarray(rng.bit_generator.random_raw(4), dtype=np.uint64)
    if not state.any():  # the all-zero state is the one fixed point of xoshiro
        state[0] = 1
    return state


@njit(cache=NUMBA_CACHE, inline="always")
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@njit(cache=NUMBA_CACHE, inline="always")
def _next(s):
    """Next 64 random bits (xoshiro256**, Blackman & Vigna 2018); the state ``s`` is updated."""
    result, s0, s1, s2, s3 = _step(s[0], s[1], s[2], s[3])
    s[0] = s0
    s[1] = s1
    s[2] = s2
    s[3] = s3
    return result


@njit(cache=NUMBA_CACHE, inline="always")
def _step(s0, s1, s2, s3):
    """`_next` on a state held in four local variables: (64 random bits, new state words)."""
    result = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return result, s0, s1, s2, s3


@njit(cache=NUMBA_CACHE, inline="always")
def _unit(r):
    """Uniform double in [0, 1) from 64 random bits (the upper 53), as `_uniform`."""
    return float(np.int64(r >> np.uint64(11))) * _TO_UNIT_53


@njit(cache=NUMBA_CACHE, inline="always")
def _uniform(s):
    """Uniform double in [0, 1) with 53 random bits."""
    return float(np.int64(_next(s) >> np.uint64(11))) * _TO_UNIT_53


@njit(cache=NUMBA_CACHE)
def _normal_tail(s, negative):
    """Exact draw from the normal tail beyond `_TAIL_EDGE` (Marsaglia 1964)."""
    while True:
        x = -math.log(1.0 - _uniform(s)) / _TAIL_EDGE
        y = -math.log(1.0 - _uniform(s))
        if y + y > x * x:
            return -(_TAIL_EDGE + x) if negative else _TAIL_EDGE + x


@njit(cache=NUMBA_CACHE, inline="always")
def _normal_from_bits(s, k):
    """Normal deviate from a 16-bit cell index ``k`` (see the module notes)."""
    if k == 0 or k == _LAST_CELL:
        return _normal_tail(s, k == 0)
    return float(_QUANTILES[k])


@njit(cache=NUMBA_CACHE, inline="always")
def _normal(s):
    """One standard normal deviate."""
    return _normal_from_bits(s, int(_next(s) & np.uint64(0xFFFF)))


@njit(cache=NUMBA_CACHE)
def _fill_uniform(s, out, lo, width):
    """Fill ``out`` with ``lo + width * U[0, 1)``.

    The generator state lives in local variables inside the loop (the per-call array
    state would be re-read and re-written for every number), which makes bulk draws
    about twice as fast as calling `_uniform` repeatedly; the sequence is identical.
    """
    s0 = s[0]
    s1 = s[1]
    s2 = s[2]
    s3 = s[3]
    for i in range(out.shape[0]):
        r = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
        t = s1 << np.uint64(17)
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 45)
        out[i] = lo + width * (float(np.int64(r >> np.uint64(11))) * _TO_UNIT_53)
    s[0] = s0
    s[1] = s1
    s[2] = s2
    s[3] = s3


@njit(cache=NUMBA_CACHE)
def _fill_normal(s, out):
    """Fill ``out`` with standard normal deviates, four per 64 random bits.

    As in `_fill_uniform` the generator state is kept in local variables inside the loop
    (about 2x faster than calling `_next` on the state array for every 64 bits; the
    electronic noise of an LSTCam event needs ~1.5e5 deviates); the state array is
    written back only around the rare exact tail draws, which read and advance it.
    The sequence is identical to drawing with `_normal_from_bits` on successive `_next`.
    """
    n = out.shape[0]
    s0 = s[0]
    s1 = s[1]
    s2 = s[2]
    s3 = s[3]
    i = 0
    while i < n:
        r = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
        t = s1 << np.uint64(17)
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 45)
        for j in range(4):
            if i + j < n:
                k = int((r >> np.uint64(16 * j)) & np.uint64(0xFFFF))
                if k == 0 or k == _LAST_CELL:
                    s[0] = s0
                    s[1] = s1
                    s[2] = s2
                    s[3] = s3
                    out[i + j] = _normal_tail(s, k == 0)
                    s0 = s[0]
                    s1 = s[1]
                    s2 = s[2]
                    s3 = s[3]
                else:
                    out[i + j] = _QUANTILES[k]
        i += 4
    s[0] = s0
    s[1] = s1
    s[2] = s2
    s[3] = s3


@njit(cache=NUMBA_CACHE, inline="always")
def _poisson_local(s0, s1, s2, s3, mu):
    """Poisson deviate of mean ``mu`` (>= 0) from a state in local variables: (count, new state words).

    Multiplication method below a mean of 10, PTRS above (see the module notes). The state
    stays in registers instead of being re-read and re-written through the state array for
    every uniform (see `_fill_uniform`), which makes the per-pixel NSB counts of `draw_nsb`
    ~4 % faster than through the state array; `_poisson` is the same draw on a state array.
    """
    if mu <= 0.0:
        return 0, s0, s1, s2, s3
    if mu < 10.0:
        limit = math.exp(-mu)
        k = 0
        r, s0, s1, s2, s3 = _step(s0, s1, s2, s3)
        prod = _unit(r)
        while prod > limit:
            k += 1
            r, s0, s1, s2, s3 = _step(s0, s1, s2, s3)
            prod *= _unit(r)
        return k, s0, s1, s2, s3
    # PTRS, Hoermann (1993), "The transformed rejection method for generating Poisson random variables"
    slam = math.sqrt(mu)
    loglam = math.log(mu)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        r, s0, s1, s2, s3 = _step(s0, s1, s2, s3)
        u = _unit(r) - 0.5
        r, s0, s1, s2, s3 = _step(s0, s1, s2, s3)
        v = _unit(r)
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + mu + 0.43)
        if us >= 0.07 and v <= vr:
            return int(k), s0, s1, s2, s3
        if k < 0 or (us < 0.013 and v > us):
            continue
        if (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)
                <= -mu + k * loglam - math.lgamma(k + 1.0)):
            return int(k), s0, s1, s2, s3


@njit(cache=NUMBA_CACHE)
def _poisson(s, mu):
    """Poisson deviate of mean ``mu`` (>= 0); `_poisson_local` on the state array ``s``."""
    k, s0, s1, s2, s3 = _poisson_local(s[0], s[1], s[2], s[3], mu)
    s[0] = s0
    s[1] = s1
    s[2] = s2
    s[3] = s3
    return k


@njit(cache=NUMBA_CACHE)
def uniform_array(state, n):
    """``n`` uniform deviates in [0, 1) (for tests of the generator)."""
    out = np.empty(n)
    _fill_uniform(state, out, 0.0, 1.0)
    return out


@njit(cache=NUMBA_CACHE)
def normal_array(state, n):
    """``n`` standard normal deviates (for tests of the generator)."""
    out = np.empty(n)
    _fill_normal(state, out)
    return out


@njit(cache=NUMBA_CACHE)
def poisson_array(state, mu, n):
    """``n`` Poisson deviates of mean ``mu`` (for tests of the generator)."""
    out = np.empty(n, np.int64)
    for i in range(n):
        out[i] = _poisson(state, mu)
    return out


@njit(cache=NUMBA_CACHE, inline="always")
def _single_pe_amplitude(s, sigma, exp_fraction, exp_scale, inv_mean):
    """One single-pe amplitude from the Gaussian + exponential mixture, mean 1."""
    if exp_fraction > 0.0 and _uniform(s) < exp_fraction:
        return -math.log(1.0 - _uniform(s)) * exp_scale * inv_mean
    if sigma <= 0.0:
        return inv_mean
    while True:
        a = 1.0 + sigma * _normal(s)
        if a > 0.0:
            return a * inv_mean


@njit(cache=NUMBA_CACHE)
def _fill_single_pe(s, out, sigma, exp_fraction, exp_scale, inv_mean):
    """Fill ``out`` with single-pe amplitudes (same model as `_single_pe_amplitude`).

    Each amplitude takes one 64-bit draw: its upper 48 bits give a uniform ``u`` that
    chooses the component (given ``u < f``, ``u / f`` is again uniform and feeds the
    exponential; 48 bits resolve it to 4e-15) and its lower 16 bits the normal deviate of
    the Gaussian component (quantile method of `_normal_from_bits`); a negative Gaussian
    draw, probability ~ Phi(-1/sigma), is redrawn with `_normal`. Using disjoint bits of
    one draw, with the generator state in local variables (see `_fill_uniform`), makes
    this about twice as fast as separate uniform and normal arrays; NSB and Cherenkov
    photoelectrons need ~3e4 amplitudes per LSTCam event.
    """
    s0 = s[0]
    s1 = s[1]
    s2 = s[2]
    s3 = s[3]
    exp_factor = exp_scale * inv_mean
    inv_fraction = 1.0 / exp_fraction if exp_fraction > 0.0 else 0.0
    for i in range(out.shape[0]):
        r = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
        t = s1 << np.uint64(17)
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 45)
        u = float(np.int64(r >> np.uint64(16))) * _TO_UNIT_48
        if u < exp_fraction:
            out[i] = -math.log(1.0 - u * inv_fraction) * exp_factor
        elif sigma <= 0.0:
            out[i] = inv_mean
        else:
            k = int(r & np.uint64(0xFFFF))
            if k == 0 or k == _LAST_CELL:
                z = 0.0
                a = 0.0  # the tail draws below need the state array
            else:
                z = float(_QUANTILES[k])
                a = 1.0 + sigma * z
            if a <= 0.0:
                s[0] = s0
                s[1] = s1
                s[2] = s2
                s[3] = s3
                if k == 0 or k == _LAST_CELL:
                    a = 1.0 + sigma * _normal_tail(s, k == 0)
                while a <= 0.0:
                    a = 1.0 + sigma * _normal(s)
                s0 = s[0]
                s1 = s[1]
                s2 = s[2]
                s3 = s[3]
            out[i] = a * inv_mean
    s[0] = s0
    s[1] = s1
    s[2] = s2
    s[3] = s3


# ---------------------------------------------------------------------------------------------
# pixel lookup
# ---------------------------------------------------------------------------------------------

@njit(cache=NUMBA_CACHE)
def _inside(dx, dy, half_width, normals):
    """Point-in-pixel test relative to the pixel centre (convex regular pixel).

    ``normals`` holds the unit normals of the pairs of parallel sides (3 for hexagons,
    2 for squares); with no normals the pixel is a circle of radius ``half_width``.
    """
    n_normals = normals.shape[0]
    if n_normals == 0:
        return dx * dx + dy * dy <= half_width * half_width
    # tiny tolerance so that points exactly on a side are not lost to rounding
    limit = half_width * (1.0 + 1e-12)
    for k in range(n_normals):
        if abs(dx * normals[k, 0] + dy * normals[k, 1]) > limit:
            return False
    return True


@njit(cache=NUMBA_CACHE)
def lookup_pixels(x, y, x0, y0, cell, table, inside, pix_x, pix_y, nb_indptr, nb_indices, half_width, normals):
    """Pixel index of camera-frame points, or -1 outside every pixel.

    The grid ``table`` (ny, nx) holds, for each square cell of side ``cell`` starting at
    (``x0``, ``y0``), the pixel whose centre is nearest to the cell centre (-1 far from
    all pixels). The nearest centre to the point itself is then found among that pixel
    and its neighbours (exact, because cells are much smaller than a pixel), and the
    point must lie inside that pixel's polygon, so module gaps and the space between
    pixels give -1. Cells flagged in ``inside`` (`cell_inside_table`) lie entirely in
    their candidate pixel, where that search would return it anyway; their points skip
    it (about half of all points for hexagonal pixels, saving ~40 % of the lookup time,
    whose nearest-centre comparisons are unpredictable branches).

    Parameters
    ----------
    x, y : ndarray of float64, shape (n,)
        Points in the camera frame, m.
    x0, y0, cell : float
        Grid origin (lower-left corner) and cell size, m.
    table : ndarray of int32, shape (ny, nx)
        Candidate pixel per cell.
    inside : ndarray of uint8, shape (ny, nx)
        1 where the whole cell lies inside its candidate pixel (`cell_inside_table`).
    pix_x, pix_y : ndarray of float64, shape (n_pixels,)
        Pixel centres, m.
    nb_indptr, nb_indices : ndarray of int32
        CSR list of the compact neighbours of each pixel.
    half_width : ndarray of float64, shape (n_pixels,)
        Inscribed radius of each pixel (half flat-to-flat / half side / radius), m.
    normals : ndarray of float64, shape (n_normals, 2)
        Side normals of the pixel polygon (0 rows for circles).

    Returns
    -------
    ndarray of int32, shape (n,)
    """
    ny, nx = table.shape
    out = np.empty(x.shape[0], np.int32)
    for i in range(x.shape[0]):
        out[i] = -1
        xi = x[i]
        yi = y[i]
        if not (np.isfinite(xi) and np.isfinite(yi)):
            continue
        fx = (xi - x0) / cell
        fy = (yi - y0) / cell
        if fx < 0 or fy < 0 or fx >= nx or fy >= ny:
            continue
        iy = int(fy)
        ix = int(fx)
        cand = table[iy, ix]
        if cand < 0:
            continue
        if inside[iy, ix]:
            out[i] = cand
            continue
        best = cand
        dx = xi - pix_x[cand]
        dy = yi - pix_y[cand]
        best_d2 = dx * dx + dy * dy
        for j in range(nb_indptr[cand], nb_indptr[cand + 1]):
            nb = nb_indices[j]
            dx = xi - pix_x[nb]
            dy = yi - pix_y[nb]
            d2 = dx * dx + dy * dy
            if d2 < best_d2:
                best_d2 = d2
                best = nb
        if _inside(xi - pix_x[best], yi - pix_y[best], half_width[best], normals):
            out[i] = best
    return out


@njit(cache=NUMBA_CACHE)
def cell_inside_table(x0, y0, cell, table, pix_x, pix_y, nb_indptr, nb_indices, half_width, normals):
    """Flag the lookup-grid cells that lie entirely inside their candidate pixel.

    A cell is flagged when, at each of its four corners, the candidate pixel ``c`` is
    strictly the nearest centre among ``c`` and its neighbours (relative margin 1e-9) and
    the corner is inside ``c``'s polygon shrunk by a relative 1e-6. Both regions are
    convex (an intersection of half-planes, a convex polygon), so every point of the cell
    then gets ``c`` from the full search of `lookup_pixels`, which may skip it there.

    Parameters
    ----------
    x0, y0, cell, table, pix_x, pix_y, nb_indptr, nb_indices, half_width, normals
        As in `lookup_pixels` (m, int32 tables).

    Returns
    -------
    ndarray of uint8, shape (ny, nx)
    """
    ny, nx = table.shape
    out = np.zeros((ny, nx), np.uint8)
    for iy in range(ny):
        for ix in range(nx):
            c = table[iy, ix]
            if c < 0:
                continue
            ok = True
            for corner in range(4):
                xc = x0 + (ix + (corner & 1)) * cell
                yc = y0 + (iy + (corner >> 1)) * cell
                dx = xc - pix_x[c]
                dy = yc - pix_y[c]
                d2 = dx * dx + dy * dy
                if not _inside(dx, dy, half_width[c] * (1.0 - 1e-6), normals):
                    ok = False
                    break
                for j in range(nb_indptr[c], nb_indptr[c + 1]):
                    nb = nb_indices[j]
                    ex = xc - pix_x[nb]
                    ey = yc - pix_y[nb]
                    if not d2 < (ex * ex + ey * ey) * (1.0 - 1e-9):
                        ok = False
                        break
                if not ok:
                    break
            if ok:
                out[iy, ix] = 1
    return out


# ---------------------------------------------------------------------------------------------
# photoelectrons
# ---------------------------------------------------------------------------------------------

@njit(cache=NUMBA_CACHE)
def prepare_signal_pe(pix, t, relative_efficiency, broken, jitter_ns,
                      sigma, exp_fraction, exp_scale, inv_mean, state):
    """Per-pixel efficiency, truth counting, jitter and amplitudes of Cherenkov photoelectrons.

    A photoelectron in a pixel of relative efficiency ``e`` survives with probability
    ``e`` if ``e < 1``; if ``e > 1`` it is kept and copied once more with probability
    ``e - 1`` (the mean scales exactly by ``e``; the upstream photoelectrons are at the
    nominal efficiency).

    Parameters
    ----------
    pix : ndarray of int32, shape (n,)
        Pixel of each photoelectron, -1 for light outside every pixel.
    t : ndarray of float64, shape (n,)
        Arrival times, ns.
    relative_efficiency : ndarray of float64, shape (n_pixels,)
    broken : ndarray of bool, shape (n_pixels,)
        Pixels with high voltage off: counted in the truth but produce no signal.
    jitter_ns : float
        Transit-time jitter rms, ns.
    sigma, exp_fraction, exp_scale, inv_mean : float
        Single-pe amplitude model (see `iactpipe.simulation.electronics.single_pe_moments`);
        ``inv_mean`` normalises the amplitudes to mean 1.
    state : ndarray of uint64, shape (4,)
        Generator state (`new_state`), advanced in place.

    Returns
    -------
    out_pix : ndarray of int32
    out_t : ndarray of float64
        Times including the transit-time jitter, ns.
    out_amp : ndarray of float64
        Amplitudes in units of the mean single-pe amplitude.
    true_image : ndarray of int32, shape (n_pixels,)
        Signal photoelectrons per pixel (all pixels, broken ones included).
    time_sum : ndarray of float64, shape (n_pixels,)
        Sum of the arrival times (before jitter) per pixel, ns.
    """
    n_pixels = relative_efficiency.shape[0]
    true_image = np.zeros(n_pixels, np.int32)
    time_sum = np.zeros(n_pixels, np.float64)
    n_max = 0
    for i in range(pix.shape[0]):
        if pix[i] >= 0:
            n_max += 2
    out_pix = np.empty(n_max, np.int32)
    out_t = np.empty(n_max, np.float64)
    # pass 1: efficiency and truth; one uniform per photoelectron, drawn in bulk
    u = np.empty(pix.shape[0])
    _fill_uniform(state, u, 0.0, 1.0)
    n = 0
    for i in range(pix.shape[0]):
        p = pix[i]
        if p < 0:
            continue
        eff = relative_efficiency[p]
        copies = 1
        if eff < 1.0:
            if u[i] >= eff:
                copies = 0
        elif u[i] < eff - 1.0:
            copies = 2
        for _ in range(copies):
            true_image[p] += 1
            time_sum[p] += t[i]
            if broken[p]:
                continue
            out_pix[n] = p
            out_t[n] = t[i]
            n += 1
    # pass 2: jitter and amplitudes of the surviving photoelectrons, also in bulk (the
    # per-photoelectron draws through the state array took ~3x longer)
    if jitter_ns > 0:
        jitter = np.empty(n)
        _fill_normal(state, jitter)
        for i in range(n):
            out_t[i] += jitter_ns * jitter[i]
    out_amp = np.empty(n, np.float64)
    _fill_single_pe(state, out_amp, sigma, exp_fraction, exp_scale, inv_mean)
    return out_pix[:n], out_t[:n], out_amp, true_image, time_sum


@njit(cache=NUMBA_CACHE)
def draw_nsb(rate_ghz, t_lo, t_hi, sigma, exp_fraction, exp_scale, inv_mean, state):
    """Night-sky-background photoelectrons: Poisson number per pixel, uniform times.

    Parameters
    ----------
    rate_ghz : ndarray of float64, shape (n_pixels,)
        Photoelectron rate of each pixel, pe/ns (0 for broken pixels).
    t_lo, t_hi : float
        Time interval, ns (nothing drawn if ``t_hi <= t_lo``).
    sigma, exp_fraction, exp_scale, inv_mean : float
        Single-pe amplitude model.
    state : ndarray of uint64, shape (4,)
        Generator state, advanced in place.

    Returns
    -------
    pix : ndarray of int32
    t : ndarray of float64
    amp : ndarray of float64
        Sorted by pixel.
    """
    n_pixels = rate_ghz.shape[0]
    length = t_hi - t_lo
    counts = np.zeros(n_pixels, np.int64)
    total = 0
    if length > 0:
        # one Poisson draw per pixel with the generator state in local variables
        # (`_poisson_local`: the same counts as `_poisson`, ~4 % faster `draw_nsb`)
        s0 = state[0]
        s1 = state[1]
        s2 = state[2]
        s3 = state[3]
        for p in range(n_pixels):
            k, s0, s1, s2, s3 = _poisson_local(s0, s1, s2, s3, rate_ghz[p] * length)
            counts[p] = k
            total += k
        state[0] = s0
        state[1] = s1
        state[2] = s2
        state[3] = s3
    pix = np.empty(total, np.int32)
    n = 0
    for p in range(n_pixels):
        for _ in range(counts[p]):
            pix[n] = p
            n += 1
    t = np.empty(total, np.float64)
    _fill_uniform(state, t, t_lo, length)
    amp = np.empty(total, np.float64)
    _fill_single_pe(state, amp, sigma, exp_fraction, exp_scale, inv_mean)
    return pix, t, amp


# ---------------------------------------------------------------------------------------------
# pulse shaping
# ---------------------------------------------------------------------------------------------

@njit(cache=NUMBA_CACHE)
def deposit_pulses(pix, t, amp, t0, bin_ns, tables, first_offset, buf):
    """Add the shaped pulses of photoelectrons to padded per-pixel traces.

    The pulse is peak-aligned: a photoelectron at time ``t`` has its maximum at ``t``.
    Trace bin ``k`` is the signal at time ``t0 + k * bin_ns`` and is stored at
    ``buf[:, :, pad + k]`` with ``pad = n_taps``, so that every pulse that touches the
    trace fits into the buffer and the inner loop has no edge cases. With
    ``u = (t - t0) / bin_ns`` and the table starting ``first_offset`` bins before the
    peak, the first touched bin is ``k0 = ceil(u + first_offset)``; the sub-bin phase
    ``k0 - u - first_offset`` in [0, 1) selects the table row (pre-tabulated at the phase
    centres, see `iactpipe.simulation.camera_response.tabulate_pulse`).

    Parameters
    ----------
    pix : ndarray of int32, shape (n,)
    t : ndarray of float64, shape (n,)
        Times, ns.
    amp : ndarray of float64, shape (n,)
        Amplitudes (pulse peak units).
    t0 : float
        Time of trace bin 0, ns.
    bin_ns : float
        Bin width, ns.
    tables : ndarray of float32, shape (n_tables, n_phases, n_taps)
        Pulse values at ``first_offset + (phase + 0.5) / n_phases + tap`` bins from the
        peak, one table per pulse shape, all with the same ``first_offset``.
    first_offset : float
        Start of the tables relative to the peak, bins (negative).
    buf : ndarray of float32, shape (n_tables, n_pixels, n_bins + 2 * n_taps)
        Padded traces, modified in place.
    """
    n_tables, n_phases, n_taps = tables.shape
    width = buf.shape[2]
    inv_bin = 1.0 / bin_ns
    for i in range(pix.shape[0]):
        start = (t[i] - t0) * inv_bin + first_offset
        k0f = math.ceil(start)
        k0 = int(k0f) + n_taps
        if k0 < 0 or k0 + n_taps > width:  # the pulse misses the trace entirely
            continue
        phase = int((k0f - start) * n_phases)
        if phase >= n_phases:
            phase = n_phases - 1
        a = np.float32(amp[i])
        p = pix[i]
        # full-length rows with a fixed trip count let LLVM vectorise the update
        # (measured 2.5x faster than looping over the non-zero taps only); float32 tables
        # and amplitude keep the multiply-add in single precision, so no per-tap
        # double -> float conversion blocks the vectorisation
        for j in range(n_tables):
            for m in range(n_taps):
                buf[j, p, k0 + m] += a * tables[j, phase, m]


@njit(cache=NUMBA_CACHE)
def trigger_signal(sig_pix, sig_t, sig_amp, nsb_rate, nsb_lo, nsb_hi, sigma, exp_fraction, exp_scale, inv_mean,
                   grid_start, bin_ns, n_bins, table, first_offset, pulse_sum, gain, clip, camera_sum, state):
    """AC-coupled shaped signal of all pixels on the trigger grid, with its NSB.

    Draws the NSB of ``[nsb_lo, nsb_hi)`` (`draw_nsb`), shapes signal and NSB
    photoelectrons with the trigger pulse (`deposit_pulses`), subtracts the mean NSB
    level ``nsb_rate * bin_ns * pulse_sum`` (AC coupling) and scales by the pixel gain.
    The clipping of the analog-sum trigger and its per-pixel maxima are done in the same
    pass (`iactpipe.simulation._trigger_kernels.analog_sum_clipped`), instead of a second
    pass over a copy of the (n_pixels, n_bins) signal.

    Parameters
    ----------
    sig_pix, sig_t, sig_amp, nsb_rate, nsb_lo, nsb_hi, sigma, exp_fraction, exp_scale, inv_mean
        Cherenkov photoelectrons, NSB rates (pe/ns) and interval (ns), single-pe model
        (see `camera_event`).
    grid_start, bin_ns, n_bins, table, first_offset, pulse_sum, gain, state
        Trigger grid (ns), tabulated trigger pulse, relative gains and generator state.
    clip : float
        Clip the returned signal at this level, pe (``inf``: no clipping).
    camera_sum : bool
        Also return the camera sum of the unclipped signal per bin (forced readout).

    Returns
    -------
    signal : ndarray of float64, shape (n_pixels, n_bins)
        Trigger signal clipped at ``clip``, single-pe peak units.
    pix_max : ndarray of float64, shape (n_pixels,)
        Maximum of each pixel's (clipped) signal.
    bin_sum : ndarray of float64, shape (n_bins,) or (0,)
        Sum over the pixels of the unclipped signal per bin if ``camera_sum``.
    nsb_pix, nsb_t, nsb_amp : ndarray
        The NSB photoelectrons drawn (reused for the readout window).
    """
    n_pixels = nsb_rate.shape[0]
    pad = table.shape[2]
    nsb_pix, nsb_t, nsb_amp = draw_nsb(nsb_rate, nsb_lo, nsb_hi, sigma, exp_fraction, exp_scale, inv_mean, state)
    buf = np.zeros((1, n_pixels, n_bins + 2 * pad), np.float32)
    deposit_pulses(sig_pix, sig_t, sig_amp, grid_start, bin_ns, table, first_offset, buf)
    deposit_pulses(nsb_pix, nsb_t, nsb_amp, grid_start, bin_ns, table, first_offset, buf)
    signal = np.empty((n_pixels, n_bins))
    pix_max = np.empty(n_pixels)
    bin_sum = np.zeros(n_bins if camera_sum else 0)
    for p in range(n_pixels):
        base = nsb_rate[p] * bin_ns * pulse_sum
        g = gain[p]
        m = -np.inf
        for k in range(n_bins):
            v = (buf[0, p, pad + k] - base) * g
            if camera_sum:
                bin_sum[k] += v
            if v > clip:
                v = clip
            signal[p, k] = v
            if v > m:
                m = v
        pix_max[p] = m
    return signal, pix_max, bin_sum, nsb_pix, nsb_t, nsb_amp


@njit(cache=NUMBA_CACHE)
def readout_waveforms(sig_pix, sig_t, sig_amp, nsb_pix, nsb_t, nsb_amp, nsb_rate, extra_lo, extra_hi,
                      sigma, exp_fraction, exp_scale, inv_mean, window_start, sample_ns, n_samples,
                      tables, first_offset, channel_table, scale, pedestal, noise, adc_max, state):
    """Synthesise the digitised waveforms of one readout window.

    Deposits the signal and the stored NSB photoelectrons, draws and deposits fresh NSB in
    the intervals ``[extra_lo[j], extra_hi[j])`` (the parts of the readout-relevant time
    range not covered by the stored NSB), then digitises (`digitise`).

    Returns
    -------
    ndarray of uint16, shape (n_channels, n_pixels, n_samples)
    """
    n_pixels = nsb_rate.shape[0]
    pad = tables.shape[2]
    # float32 traces halve the memory traffic of zeroing and reading the padded buffer (~7 %
    # faster per LSTCam event); their rounding (1e-7 relative) is far below one ADC count
    buf = np.zeros((tables.shape[0], n_pixels, n_samples + 2 * pad), np.float32)
    deposit_pulses(sig_pix, sig_t, sig_amp, window_start, sample_ns, tables, first_offset, buf)
    deposit_pulses(nsb_pix, nsb_t, nsb_amp, window_start, sample_ns, tables, first_offset, buf)
    for j in range(extra_lo.shape[0]):
        if extra_hi[j] > extra_lo[j]:
            e_pix, e_t, e_amp = draw_nsb(nsb_rate, extra_lo[j], extra_hi[j], sigma, exp_fraction, exp_scale,
                                         inv_mean, state)
            deposit_pulses(e_pix, e_t, e_amp, window_start, sample_ns, tables, first_offset, buf)
    return digitise(buf, pad, channel_table, scale, pedestal, noise, adc_max, state)


@njit(cache=NUMBA_CACHE)
def digitise(buf, pad, channel_table, scale, pedestal, noise, adc_max, state):
    """Turn shaped photoelectron traces into ADC samples.

    ``adc = round(pedestal + scale * trace + noise * N(0, 1))`` clipped to
    ``[0, adc_max]``, per gain channel, pixel and sample.

    Parameters
    ----------
    buf : ndarray of float32, shape (n_tables, n_pixels, n_samples + 2 * pad)
        Padded traces in single-pe peak units, one per distinct pulse shape.
    pad : int
        Padding on each side of the traces.
    channel_table : ndarray of int64, shape (n_channels,)
        Which trace each gain channel uses.
    scale : ndarray of float64, shape (n_channels, n_pixels)
        ADC counts per unit trace (single-pe amplitude x relative gain).
    pedestal : ndarray of float64, shape (n_channels, n_pixels)
        Pedestal per sample, ADC counts.
    noise : ndarray of float64, shape (n_channels, n_pixels)
        Electronic noise rms per sample, ADC counts.
    adc_max : ndarray of float64, shape (n_channels,)
        Saturation value.
    state : ndarray of uint64, shape (4,)
        Generator state, advanced in place.

    Returns
    -------
    ndarray of uint16, shape (n_channels, n_pixels, n_samples)
    """
    n_channels = channel_table.shape[0]
    n_pixels = buf.shape[1]
    n_samples = buf.shape[2] - 2 * pad
    out = np.empty((n_channels, n_pixels, n_samples), np.uint16)
    # the noise is drawn one trace at a time into a buffer that stays in L1 cache, instead
    # of one (n_pixels * n_samples) array per channel streamed through memory; the sample
    # arithmetic runs in float32 (as the traces), ~20 % faster: its rounding error (< 3e-4
    # ADC counts below the 4095 saturation) is far below the integer rounding of the ADC
    g = np.empty(n_samples, np.float32)
    zero = np.float32(0.0)
    for c in range(n_channels):
        table = channel_table[c]
        top = np.float32(adc_max[c] + 0.5)
        for p in range(n_pixels):
            _fill_normal(state, g)
            s = np.float32(scale[c, p])
            ped = np.float32(pedestal[c, p] + 0.5)  # + 0.5 and truncation below: round to nearest
            sig = np.float32(noise[c, p])
            trace = buf[table, p, pad:pad + n_samples]
            o = out[c, p]
            for k in range(n_samples):
                # clamp first, then truncate: exact rounding for the non-negative range
                v = min(max(ped + s * trace[k] + sig * g[k], zero), top)
                o[k] = np.uint16(np.int32(v))
    return out


# ---------------------------------------------------------------------------------------------
# one telescope event
# ---------------------------------------------------------------------------------------------

#: ``trigger_type`` codes of `camera_event`.
TRIGGER_ANALOG_SUM = 0
TRIGGER_MAJORITY = 1


@njit(cache=NUMBA_CACHE)
def camera_event(lon_deg, lat_deg, t, psf_sigma_deg, focal_length_m,
                 grid_x0, grid_y0, grid_cell, grid_table, grid_inside, pix_x, pix_y, nb_indptr, nb_indices,
                 half_width, normals, relative_efficiency, broken, relative_gain, jitter_ns, nsb_rate_ghz,
                 sigma, exp_fraction, exp_scale, inv_mean,
                 trigger_table, trigger_first_offset, trigger_support_taps, trigger_pulse_sum, trigger_bin_ns,
                 search_margin_ns, trigger_type, threshold, clip, multiplicity, window_bins,
                 grp_indptr, grp_indices, trigger_offset_ns, force_readout, fixed_window, window_start_ns,
                 readout_tables, readout_first_offset, readout_support_taps, sample_ns, n_samples, channel_table,
                 amplitude, pedestal, noise, adc_max, state):
    """Trigger and waveforms of one telescope event: the whole camera simulation in one call.

    Runs the steps of `iactpipe.simulation.camera_response.simulate_camera_event` (which
    documents them and prepares the arguments) without returning to Python in between:
    PSF smearing and projection to the camera (``x = f * fov_lat``, ``y = f * fov_lon``,
    angles in rad), `lookup_pixels`, `prepare_signal_pe`, `trigger_signal`, the
    discriminator (`iactpipe.simulation._trigger_kernels`), the readout window and
    `readout_waveforms`. One call per event replaces ~20 numpy operations and five kernel
    dispatches, about 10 % of the time of an LSTCam event.

    Parameters
    ----------
    lon_deg, lat_deg, t : ndarray of float64, shape (n_pe,)
        Photoelectron directions (telescope frame, deg) and arrival times (ns).
    psf_sigma_deg, focal_length_m : float
        Optical PSF (Gaussian sigma per axis, deg; 0 = none) and focal length (m).
    grid_x0, grid_y0, grid_cell, grid_table, grid_inside, pix_x, pix_y, nb_indptr, nb_indices, half_width, normals
        Pixel lookup data (see `lookup_pixels`).
    relative_efficiency, relative_gain : ndarray of float64, shape (n_pixels,)
        Per-pixel calibration (`CameraCalibration`).
    broken : ndarray of bool, shape (n_pixels,)
    jitter_ns : float
        Transit-time jitter rms, ns.
    nsb_rate_ghz : float
        Nominal NSB photoelectron rate, pe/ns (scaled per pixel by the efficiency, 0 if broken).
    sigma, exp_fraction, exp_scale, inv_mean : float
        Single-pe amplitude model.
    trigger_table, trigger_first_offset, trigger_support_taps, trigger_pulse_sum, trigger_bin_ns
        Tabulated trigger pulse (`CameraModel`).
    search_margin_ns : float
        Trigger grid margin around the signal, ns.
    trigger_type : int
        `TRIGGER_ANALOG_SUM` or `TRIGGER_MAJORITY`.
    threshold, clip : float
        Discriminator threshold and per-pixel clipping level (analog sum), pe.
    multiplicity, window_bins : int
        Majority multiplicity; box-average / gate length in trigger bins.
    grp_indptr, grp_indices : ndarray of int32
        Trigger groups (CSR).
    trigger_offset_ns : float
        Time from sample 0 to the trigger time, ns.
    force_readout, fixed_window : bool
        Read out without a trigger (window around the maximum of the camera-summed signal);
        use ``window_start_ns`` as the time of sample 0.
    window_start_ns : float
        See ``fixed_window``, ns.
    readout_tables, readout_first_offset, readout_support_taps, sample_ns, n_samples, channel_table
        Tabulated readout pulses and sampling (`CameraModel`).
    amplitude : ndarray of float64, shape (n_channels,)
        ADC counts per single-pe peak at unit gain, per channel.
    pedestal, noise : ndarray of float64, shape (n_channels, n_pixels)
        Pedestal and electronic noise rms per sample, ADC counts.
    adc_max : ndarray of float64, shape (n_channels,)
        Saturation value.
    state : ndarray of uint64, shape (4,)
        Generator state, advanced in place.

    Returns
    -------
    waveform : ndarray of uint16, shape (n_channels, n_pixels, n_samples)
        Empty (all dimensions 0) if not read out.
    read_out : bool
    true_image : ndarray of int32, shape (n_pixels,)
    true_time : ndarray of float64, shape (n_pixels,)
        Mean arrival time before jitter, ns; NaN where ``true_image`` is 0.
    triggered : bool
    trigger_time : float
        ns; NaN if not triggered.
    window_start : float
        Time of sample 0, ns; NaN if not read out.
    statistic : float
        See `iactpipe.simulation.trigger.TriggerResult.statistic`.
    """
    n_pixels = pix_x.shape[0]
    n_pe = t.shape[0]

    # 1. optics and pixel lookup
    x = np.empty(n_pe)
    y = np.empty(n_pe)
    to_m = math.pi / 180.0 * focal_length_m
    if psf_sigma_deg > 0.0 and n_pe > 0:
        smear = np.empty(2 * n_pe)
        _fill_normal(state, smear)
        for i in range(n_pe):
            x[i] = (lat_deg[i] + psf_sigma_deg * smear[2 * i + 1]) * to_m
            y[i] = (lon_deg[i] + psf_sigma_deg * smear[2 * i]) * to_m
    else:
        for i in range(n_pe):
            x[i] = lat_deg[i] * to_m
            y[i] = lon_deg[i] * to_m
    pix = lookup_pixels(x, y, grid_x0, grid_y0, grid_cell, grid_table, grid_inside, pix_x, pix_y, nb_indptr,
                        nb_indices, half_width, normals)

    # 2. Cherenkov photoelectrons
    sig_pix, sig_t, sig_amp, true_image, time_sum = prepare_signal_pe(
        pix, t, relative_efficiency, broken, jitter_ns, sigma, exp_fraction, exp_scale, inv_mean, state)
    true_time = np.empty(n_pixels)
    for p in range(n_pixels):
        true_time[p] = time_sum[p] / true_image[p] if true_image[p] > 0 else np.nan

    # 3. trigger on the shaped signal + NSB around the Cherenkov light
    t_first = 0.0
    t_last = 0.0
    if sig_t.shape[0] > 0:
        t_first = sig_t.min()
        t_last = sig_t.max()
    grid_start = t_first - search_margin_ns
    n_bins = int(math.ceil((t_last - t_first + 2.0 * search_margin_ns) / trigger_bin_ns)) + 1
    grid_end = grid_start + (n_bins - 1) * trigger_bin_ns
    # times of the photoelectrons whose tabulated pulse support reaches the grid bins
    nsb_lo = grid_start - (trigger_first_offset + trigger_support_taps) * trigger_bin_ns
    nsb_hi = grid_end - trigger_first_offset * trigger_bin_ns
    nsb_rate = np.empty(n_pixels)
    for p in range(n_pixels):
        nsb_rate[p] = 0.0 if broken[p] else nsb_rate_ghz * relative_efficiency[p]
    # the analog sum works on the clipped signal, clipped in the same pass; the majority
    # trigger on the unclipped one
    signal, pix_max, bin_sum, nsb_pix, nsb_t, nsb_amp = trigger_signal(
        sig_pix, sig_t, sig_amp, nsb_rate, nsb_lo, nsb_hi, sigma, exp_fraction, exp_scale, inv_mean,
        grid_start, trigger_bin_ns, n_bins, trigger_table, trigger_first_offset, trigger_pulse_sum,
        relative_gain, clip if trigger_type == TRIGGER_ANALOG_SUM else np.inf, force_readout, state)
    if trigger_type == TRIGGER_ANALOG_SUM:
        crossing, statistic = analog_sum_clipped(signal, pix_max, threshold, window_bins, grp_indptr, grp_indices)
    else:
        first_bin, count = majority_trigger(signal, threshold, multiplicity, window_bins, grp_indptr, grp_indices)
        crossing = float(first_bin)
        statistic = float(count)
    triggered = crossing >= 0.0
    trigger_time = grid_start + crossing * trigger_bin_ns if triggered else np.nan

    # 4. readout window
    if fixed_window:
        w0 = window_start_ns
    elif triggered:
        w0 = trigger_time - trigger_offset_ns
    elif force_readout:
        # maximum of the camera-summed (unclipped) signal, summed by `trigger_signal`
        best = 0
        best_sum = -np.inf
        for k in range(n_bins):
            if bin_sum[k] > best_sum:
                best_sum = bin_sum[k]
                best = k
        w0 = grid_start + best * trigger_bin_ns - trigger_offset_ns
    else:
        return (np.empty((0, 0, 0), np.uint16), False, true_image, true_time, False, np.nan, np.nan,
                statistic)

    ro_lo = w0 - (readout_first_offset + readout_support_taps) * sample_ns
    ro_hi = w0 + (n_samples - 1) * sample_ns - readout_first_offset * sample_ns
    # NSB already drawn for the trigger is reused where the intervals overlap; the rest of
    # the readout interval gets independent NSB (disjoint intervals of a Poisson process)
    extra_lo = np.empty(2)
    extra_hi = np.empty(2)
    extra_lo[0] = ro_lo
    extra_hi[0] = min(ro_hi, nsb_lo)
    extra_lo[1] = max(ro_lo, nsb_hi)
    extra_hi[1] = ro_hi
    n_channels = amplitude.shape[0]
    scale = np.empty((n_channels, n_pixels))
    for c in range(n_channels):
        for p in range(n_pixels):
            scale[c, p] = amplitude[c] * relative_gain[p]
    waveform = readout_waveforms(
        sig_pix, sig_t, sig_amp, nsb_pix, nsb_t, nsb_amp, nsb_rate, extra_lo, extra_hi, sigma, exp_fraction,
        exp_scale, inv_mean, w0, sample_ns, n_samples, readout_tables, readout_first_offset, channel_table, scale,
        pedestal, noise, adc_max, state)
    return waveform, True, true_image, true_time, triggered, trigger_time, w0, statistic
