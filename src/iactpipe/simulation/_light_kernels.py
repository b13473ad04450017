"""Numba kernels of `iactpipe.simulation.light` (plain float64 arrays in and out).

The public, documented API is `iactpipe.simulation.light`; the wrappers there validate
and cast every input. Randomness comes from a SplitMix64 stream seeded by the caller's
``numpy.random.Generator`` (a one-element uint64 state array passed explicitly), so the
kernels hold no global state and results are reproducible.

Angular model of an emitter (see ``docs/simulation.md``, "Light at the telescopes"): the
photon directions around the particle direction ``u`` follow a ring of radius ``θ_c``
convolved with a 2-d Gaussian of per-axis width ``σ`` (small-angle, planar), i.e. the
angle ψ to ``u`` has a Rice distribution and the density per steradian is
``f(ψ) = exp(−(ψ−θ_c)²/2σ²) I0e(ψθ_c/σ²) / (2πσ²)``.
"""
import math

import numpy as np
from numba import njit

from ..env import NUMBA_CACHE

__all__ = [
    "bessel_i0e",
    "rice_density",
    "ring_disc_fraction",
    "photoelectron_kernel",
    "photon_density_kernel",
]

_C_M_NS = 0.299792458
_N_NODES = 24           # quadrature nodes across the mirror disc (near regime)
_RING_HALF_WIDTH = 6.0  # ring support: θ_c ± 6σ
_TWO_PI = 2.0 * math.pi


# ---------------------------------------------------------------------------- random numbers
@njit(cache=NUMBA_CACHE)
def _uniform(state):
    """Next double in (0, 1) of a SplitMix64 stream (Steele, Lea & Flood 2014)."""
    state[0] += np.uint64(0x9E3779B97F4A7C15)
    z = state[0]
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@njit(cache=NUMBA_CACHE)
def _poisson(lam, state):
    """Poisson deviate: inversion for λ < 10, PTRS transformed rejection (Hörmann 1993) above."""
    if lam <= 0.0:
        return 0
    if lam < 10.0:
        u = _uniform(state)
        p = math.exp(-lam)
        cdf = p
        k = 0
        while u > cdf and k < 1000:
            k += 1
            p *= lam / k
            cdf += p
        return k
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        u = _uniform(state) - 0.5
        v = _uniform(state)
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= vr:
            return int(k)
        if k < 0 or (us < 0.013 and v > us):
            continue
        if (math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b)
                <= -lam + k * loglam - math.lgamma(k + 1.0)):
            return int(k)


# ---------------------------------------------------------------------------- angular model
@njit(cache=NUMBA_CACHE)
def bessel_i0e(x):
    """Exponentially scaled modified Bessel function ``I0(x) e^{−x}`` for ``x ≥ 0``.

    Polynomial approximations 9.8.1 / 9.8.2 of Abramowitz & Stegun (relative error < 2e-7).
    """
    if x < 3.75:
        t = (x / 3.75) ** 2
        i0 = 1.0 + t * (3.5156229 + t * (3.0899424 + t * (1.2067492 + t * (
            0.2659732 + t * (0.0360768 + t * 0.0045813)))))
        return i0 * math.exp(-x)
    t = 3.75 / x
    poly = (0.39894228 + t * (0.01328592 + t * (0.00225319 + t * (-0.00157565 + t * (
        0.00916281 + t * (-0.02057706 + t * (0.02635537 + t * (-0.01647633 + t * 0.00392377))))))))
    return poly / math.sqrt(x)


@njit(cache=NUMBA_CACHE)
def rice_density(psi, theta_c, sigma):
    """Photon density per steradian at angle ``psi`` from the cone axis (rad), normalised to 1."""
    s2 = sigma * sigma
    d = psi - theta_c
    return math.exp(-0.5 * d * d / s2) * bessel_i0e(psi * theta_c / s2) / (_TWO_PI * s2)


@njit(cache=NUMBA_CACHE)
def _arc_half_angle(rho, psi, alpha):
    """Half-angle of the arc of a circle of radius ``rho`` (centred on the cone axis) lying
    inside a disc of radius ``alpha`` whose centre is at distance ``psi``; planar geometry."""
    if rho + psi <= alpha:
        return math.pi
    if rho >= psi + alpha or rho <= psi - alpha:
        return 0.0
    c = (rho * rho + psi * psi - alpha * alpha) / (2.0 * rho * psi)
    if c >= 1.0:
        return 0.0
    if c <= -1.0:
        return math.pi
    return math.acos(c)


@njit(cache=NUMBA_CACHE)
def _ring_disc_nodes(psi, alpha, theta_c, sigma, rho_nodes, weights):
    """Fill quadrature nodes/weights of the ring ∩ disc integral; return the total and the
    node spacing. ``weights[k] = Rice(ρ_k) φ(ρ_k)/π Δρ``."""
    lo = max(psi - alpha, theta_c - _RING_HALF_WIDTH * sigma, 0.0)
    hi = min(psi + alpha, theta_c + _RING_HALF_WIDTH * sigma)
    n = rho_nodes.size
    if hi <= lo:
        for k in range(n):
            weights[k] = 0.0
        return 0.0, 0.0
    step = (hi - lo) / n
    total = 0.0
    s2 = sigma * sigma
    for k in range(n):
        rho = lo + (k + 0.5) * step
        rho_nodes[k] = rho
        rice = rho / s2 * math.exp(-0.5 * (rho - theta_c) ** 2 / s2) * bessel_i0e(rho * theta_c / s2)
        w = rice * _arc_half_angle(rho, psi, alpha) / math.pi * step
        weights[k] = w
        total += w
    return total, step


@njit(cache=NUMBA_CACHE)
def ring_disc_fraction(psi, alpha, theta_c, sigma):
    """Fraction of an emitter's photons falling into a disc of angular radius ``alpha``
    centred at angle ``psi`` from the cone axis (all rad; planar small-angle geometry)."""
    rho_nodes = np.empty(_N_NODES)
    weights = np.empty(_N_NODES)
    total, _ = _ring_disc_nodes(psi, alpha, theta_c, sigma, rho_nodes, weights)
    return total


@njit(cache=NUMBA_CACHE)
def _fov_offsets(ax, ay, az, cos_alt0, sin_alt0, cos_az0, sin_az0):
    """Arrival direction (ground frame, towards the sky) -> (fov_lon, fov_lat) in rad.

    Same rotation as `iactpipe.coordinates.horizontal_to_telescope`, written on the vector:
    ``cos(alt) cos(az − az0) = x cos az0 − y sin az0``, ``cos(alt) sin(az − az0) = −y cos az0
    − x sin az0`` (y points West), then the altitude rotation by the pointing altitude.
    """
    u = ax * cos_az0 - ay * sin_az0
    v = -ay * cos_az0 - ax * sin_az0
    x = cos_alt0 * u + sin_alt0 * az
    z = cos_alt0 * az - sin_alt0 * u
    return math.atan2(v, x), math.atan2(z, math.sqrt(x * x + v * v))


@njit(cache=NUMBA_CACHE)
def _grow(buf, size):
    out = np.empty(max(2 * buf.size, size), dtype=buf.dtype)
    out[:buf.size] = buf
    return out


# ---------------------------------------------------------------------------- main kernel
@njit(cache=NUMBA_CACHE)
def photoelectron_kernel(ex, ey, ez, ux, uy, uz, n_photons, theta_c, sigma, t_emit, length,
                         tau_vertical, refractivity, tx, ty, tz, area, efficiency, max_fov_rad,
                         pointing, cos_alt0, sin_alt0, cos_az0, sin_az0, state):
    """Photoelectrons of all (emitter, telescope) pairs (all arrays float64 unless noted).

    Parameters
    ----------
    ex, ey, ez, ux, uy, uz, n_photons, theta_c, sigma, t_emit, length : (K,)
        Emitters (core already subtracted from the telescope positions instead).
    tau_vertical, refractivity : (K,)
        Vertical optical depth and path-mean ``n − 1`` from each emitter to the ground.
    tx, ty, tz, area, efficiency, max_fov_rad : (T,)
        Telescope positions relative to the core (m), mirror areas (m²), photon ->
        photoelectron efficiencies, field-of-view radii (rad).
    pointing : (3,)
        Unit optical axis (towards the sky), common to all telescopes.
    cos_alt0, sin_alt0, cos_az0, sin_az0 : float
        Pointing angles.
    state : (1,) uint64
        SplitMix64 state (advanced in place).

    Returns
    -------
    indptr : (T + 1,) int64
    fov_lon, fov_lat : (N,) rad
    t_ns : (N,)
    expected : (T,) expected photons on each mirror (before efficiency)
    """
    n_em = ex.size
    n_tel = tx.size
    px, py, pz = pointing[0], pointing[1], pointing[2]
    # mirror-plane basis (perpendicular to the optical axis)
    if abs(pz) < 0.9:
        # cross(p, z_hat) = (py, -px, 0)
        m1x, m1y, m1z = py, -px, 0.0
    else:
        # cross(p, x_hat) = (0, pz, -py)
        m1x, m1y, m1z = 0.0, pz, -py
    norm = math.sqrt(m1x * m1x + m1y * m1y + m1z * m1z)
    m1x, m1y, m1z = m1x / norm, m1y / norm, m1z / norm
    m2x = py * m1z - pz * m1y
    m2y = pz * m1x - px * m1z
    m2z = px * m1y - py * m1x

    capacity = 4096
    lon_buf = np.empty(capacity)
    lat_buf = np.empty(capacity)
    t_buf = np.empty(capacity)
    n_out = 0
    indptr = np.zeros(n_tel + 1, dtype=np.int64)
    expected = np.zeros(n_tel)
    rho_nodes = np.empty(_N_NODES)
    weights = np.empty(_N_NODES)

    for j in range(n_tel):
        radius = math.sqrt(area[j] / math.pi)
        fov = max_fov_rad[j]
        cos_fov = math.cos(fov)
        for i in range(n_em):
            wx = tx[j] - ex[i]
            wy = ty[j] - ey[i]
            wz = tz[j] - ez[i]
            d = math.sqrt(wx * wx + wy * wy + wz * wz)
            if d <= 0.0:
                continue
            # cosine between the arrival direction (-w) and the optical axis; the emitter
            # must lie in front of the mirror
            cos_chi = -(wx * px + wy * py + wz * pz) / d
            if cos_chi <= 0.0:
                continue
            alpha = radius * math.sqrt(cos_chi) / d
            if alpha > 0.5:
                alpha = 0.5   # planar geometry breaks down; only for emitters at < 2 mirror radii
            chi = math.acos(min(cos_chi, 1.0))
            if chi > fov + alpha:
                continue
            dot = (ux[i] * wx + uy[i] * wy + uz[i] * wz) / d
            cx = (uy[i] * wz - uz[i] * wy) / d
            cy = (uz[i] * wx - ux[i] * wz) / d
            cz = (ux[i] * wy - uy[i] * wx) / d
            sin_psi = math.sqrt(cx * cx + cy * cy + cz * cz)
            psi = math.atan2(sin_psi, dot)
            tc = theta_c[i]
            sg = sigma[i]
            if psi - alpha > tc + _RING_HALF_WIDTH * sg or psi + alpha < tc - _RING_HALF_WIDTH * sg:
                continue
            # transmission along the path: vertical optical depth times airmass d/Δz
            dz = ez[i] - tz[j]
            tau = tau_vertical[i] * d / dz if dz > 1e-3 * d else 0.0
            transmission = math.exp(-tau)
            near = alpha > sg
            if near:
                frac, step = _ring_disc_nodes(psi, alpha, tc, sg, rho_nodes, weights)
            else:
                s_eff = math.sqrt(sg * sg + 0.25 * alpha * alpha)
                frac = rice_density(psi, tc, s_eff) * math.pi * alpha * alpha
                step = 0.0
            if frac <= 0.0:
                continue
            mean = n_photons[i] * transmission * frac
            expected[j] += mean
            k = _poisson(mean * efficiency[j], state)
            if k == 0:
                continue
            e1x = e1y = e1z = e2x = e2y = e2z = 0.0
            if near:
                # basis around u: e1 towards the telescope direction, e2 = u x e1
                if sin_psi > 1e-12:
                    e1x = (wx / d - dot * ux[i]) / sin_psi
                    e1y = (wy / d - dot * uy[i]) / sin_psi
                    e1z = (wz / d - dot * uz[i]) / sin_psi
                else:
                    if abs(uz[i]) < 0.9:
                        e1x, e1y, e1z = uy[i], -ux[i], 0.0
                    else:
                        e1x, e1y, e1z = 0.0, uz[i], -uy[i]
                    nrm = math.sqrt(e1x * e1x + e1y * e1y + e1z * e1z)
                    e1x, e1y, e1z = e1x / nrm, e1y / nrm, e1z / nrm
                e2x = uy[i] * e1z - uz[i] * e1y
                e2y = uz[i] * e1x - ux[i] * e1z
                e2z = ux[i] * e1y - uy[i] * e1x
            for _ in range(k):
                # emission point spread along the track segment
                f = _uniform(state) - 0.5
                sx = ex[i] + f * length[i] * ux[i]
                sy = ey[i] + f * length[i] * uy[i]
                sz = ez[i] + f * length[i] * uz[i]
                t0 = t_emit[i] + f * length[i] / _C_M_NS
                if near:
                    # ρ from the node weights, azimuth uniform within the arc inside the disc
                    target = _uniform(state) * frac
                    acc = 0.0
                    kk = 0
                    for kk in range(_N_NODES):
                        acc += weights[kk]
                        if acc >= target:
                            break
                    rho = rho_nodes[kk] + (_uniform(state) - 0.5) * step
                    half = _arc_half_angle(rho_nodes[kk], psi, alpha)
                    az = (2.0 * _uniform(state) - 1.0) * half
                    sr, cr = math.sin(rho), math.cos(rho)
                    ca, sa = math.cos(az), math.sin(az)
                    vx = cr * ux[i] + sr * (ca * e1x + sa * e2x)
                    vy = cr * uy[i] + sr * (ca * e1y + sa * e2y)
                    vz = cr * uz[i] + sr * (ca * e1z + sa * e2z)
                    vdotp = vx * px + vy * py + vz * pz
                    if vdotp >= 0.0:
                        continue
                    path = ((tx[j] - sx) * px + (ty[j] - sy) * py + (tz[j] - sz) * pz) / vdotp
                    if path <= 0.0:
                        continue
                    ax, ay, az_ = -vx, -vy, -vz
                else:
                    # hit point uniform on the mirror disc; photon from the emission point to it
                    r = radius * math.sqrt(_uniform(state))
                    phi = _TWO_PI * _uniform(state)
                    hx = tx[j] + r * (math.cos(phi) * m1x + math.sin(phi) * m2x)
                    hy = ty[j] + r * (math.cos(phi) * m1y + math.sin(phi) * m2y)
                    hz = tz[j] + r * (math.cos(phi) * m1z + math.sin(phi) * m2z)
                    ax, ay, az_ = sx - hx, sy - hy, sz - hz
                    path = math.sqrt(ax * ax + ay * ay + az_ * az_)
                    ax, ay, az_ = ax / path, ay / path, az_ / path
                if ax * px + ay * py + az_ * pz < cos_fov:
                    continue
                lon, lat = _fov_offsets(ax, ay, az_, cos_alt0, sin_alt0, cos_az0, sin_az0)
                if n_out >= lon_buf.size:
                    lon_buf = _grow(lon_buf, n_out + 1)
                    lat_buf = _grow(lat_buf, n_out + 1)
                    t_buf = _grow(t_buf, n_out + 1)
                lon_buf[n_out] = lon
                lat_buf[n_out] = lat
                t_buf[n_out] = t0 + path * (1.0 + refractivity[i]) / _C_M_NS
                n_out += 1
        indptr[j + 1] = n_out
    return indptr, lon_buf[:n_out].copy(), lat_buf[:n_out].copy(), t_buf[:n_out].copy(), expected


@njit(cache=NUMBA_CACHE)
def photon_density_kernel(ex, ey, ez, ux, uy, uz, n_photons, theta_c, sigma, tau_vertical,
                          qx, qy):
    """Expected photon density (per m² of horizontal ground) at points ``(qx, qy, 0)``.

    Point-mirror limit of the main kernel: ``Σ N T f(ψ) |cos ζ| / d²`` with ``ζ`` the zenith
    angle of the photon path.
    """
    out = np.zeros(qx.size)
    for p in range(qx.size):
        acc = 0.0
        for i in range(ex.size):
            if ez[i] <= 0.0:
                continue
            wx = qx[p] - ex[i]
            wy = qy[p] - ey[i]
            wz = -ez[i]
            d = math.sqrt(wx * wx + wy * wy + wz * wz)
            dot = (ux[i] * wx + uy[i] * wy + uz[i] * wz) / d
            cx = (uy[i] * wz - uz[i] * wy) / d
            cy = (uz[i] * wx - ux[i] * wz) / d
            cz = (ux[i] * wy - uy[i] * wx) / d
            psi = math.atan2(math.sqrt(cx * cx + cy * cy + cz * cz), dot)
            if psi > theta_c[i] + _RING_HALF_WIDTH * sigma[i]:
                continue
            cos_zeta = ez[i] / d
            transmission = math.exp(-tau_vertical[i] / cos_zeta)
            acc += n_photons[i] * transmission * rice_density(psi, theta_c[i], sigma[i]) * cos_zeta / (d * d)
        out[p] = acc
    return out
