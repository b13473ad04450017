"""Numba kernels of the stereo geometry reconstruction (Hillas-plane intersection).

The kernels work on plain float64/int64/bool arrays in a CSR layout: the rows (one per
telescope event) of a chunk are sorted by array event, and ``event_ptr[i]:event_ptr[i+1]``
are the rows of event ``i``. Angles are in degrees, lengths in metres. Units are stripped
and shapes checked by the wrapper, `iactpipe.reco.geometry.hillas_intersection`.

The algorithm is ctapipe's ``HillasReconstructor`` (ctapipe 0.28,
``ctapipe/reco/hillas_reconstructor.py``), written for all events of a chunk at once:

* each usable image defines the plane spanned by its centroid direction and a second
  point ``cog + 0.1 * camera_radius * (cos psi, sin psi)`` (telescope frame), both
  turned into ground-frame unit vectors; the plane normal is their (unnormalised) cross
  product;
* the direction is the weighted mean of the cross products of all pairs of normals
  (each oriented upwards), pair weight ``w_a * w_b`` with ``w = intensity * length / width``;
* the core is the least-squares intersection, in the tilted frame of the array pointing,
  of the lines through each telescope along the image axis, whose angle ``psi'`` is
  measured in the camera frame of the array pointing (divergent pointing correction);
* ``h_max`` is the least-squares intersection of the centroid lines of sight.
"""
import math

import numpy as np
from numba import njit

from ..env import NUMBA_CACHE

__all__ = [
    "REASON_VALID",
    "REASON_TOO_FEW_TELESCOPES",
    "REASON_PARALLEL_PLANES",
    "REASON_CORE_UNDEFINED",
    "REASON_H_MAX_UNDEFINED",
    "REASON_NAMES",
    "reconstruct_events",
]

#: Reason codes of ``<algorithm>_invalid_reason`` (0 means valid).
REASON_VALID = 0
REASON_TOO_FEW_TELESCOPES = 1
REASON_PARALLEL_PLANES = 2
REASON_CORE_UNDEFINED = 3
REASON_H_MAX_UNDEFINED = 4
REASON_NAMES = {
    REASON_VALID: "valid",
    REASON_TOO_FEW_TELESCOPES: "fewer usable telescopes than min_telescopes",
    REASON_PARALLEL_PLANES: "all image planes (nearly) parallel: direction undefined",
    REASON_CORE_UNDEFINED: "all image axes parallel in the tilted frame: core undefined",
    REASON_H_MAX_UNDEFINED: "centroid lines of sight parallel: h_max undefined",
}

_DEG = math.pi / 180.0
#: |det| of the core / h_max normal equations below this (relative) value: singular
_SINGULAR = 1e-12


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _offset_to_vector(lon_deg, lat_deg, alt0_deg, az0_deg):
    """Telescope-frame offset -> ground-frame unit vector (x North, y West, z up)."""
    sin_lat, cos_lat = math.sin(lat_deg * _DEG), math.cos(lat_deg * _DEG)
    sin_lon, cos_lon = math.sin(lon_deg * _DEG), math.cos(lon_deg * _DEG)
    sin_a0, cos_a0 = math.sin(alt0_deg * _DEG), math.cos(alt0_deg * _DEG)
    sin_z0, cos_z0 = math.sin(az0_deg * _DEG), math.cos(az0_deg * _DEG)
    x = cos_lat * cos_lon
    v = cos_lat * sin_lon
    u = cos_a0 * x - sin_a0 * sin_lat
    w = sin_a0 * x + cos_a0 * sin_lat
    # (u, v) is the horizontal part in the frame rotated by az0 (azimuth grows N -> E)
    north = u * cos_z0 - v * sin_z0
    east = u * sin_z0 + v * cos_z0
    return north, -east, w


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _vector_to_offset(vx, vy, vz, alt0_deg, az0_deg):
    """Ground-frame vector -> offsets (fov_lon, fov_lat) in deg around (alt0, az0)."""
    norm = math.sqrt(vx * vx + vy * vy + vz * vz)
    vx, vy, vz = vx / norm, vy / norm, vz / norm
    sin_a0, cos_a0 = math.sin(alt0_deg * _DEG), math.cos(alt0_deg * _DEG)
    sin_z0, cos_z0 = math.sin(az0_deg * _DEG), math.cos(az0_deg * _DEG)
    east = -vy
    u = vx * cos_z0 + east * sin_z0
    v = east * cos_z0 - vx * sin_z0
    x = cos_a0 * u + sin_a0 * vz
    z = cos_a0 * vz - sin_a0 * u
    lon = math.atan2(v, x) / _DEG
    lat = math.atan2(z, math.hypot(x, v)) / _DEG
    return lon, lat


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _solve2(a00, a01, a11, b0, b1):
    """Solve the symmetric 2x2 system; NaN if (relatively) singular."""
    det = a00 * a11 - a01 * a01
    scale = a00 * a11 + a01 * a01
    if not (abs(det) > _SINGULAR * scale):
        return math.nan, math.nan
    return (a11 * b0 - a01 * b1) / det, (a00 * b1 - a01 * b0) / det


@njit(cache=NUMBA_CACHE, error_model="numpy")
def _solve3_z(s, c):
    """z component of the solution of the symmetric 3x3 system ``s @ x = c`` (Cramer); NaN if singular."""
    det = (s[0, 0] * (s[1, 1] * s[2, 2] - s[1, 2] * s[2, 1])
           - s[0, 1] * (s[1, 0] * s[2, 2] - s[1, 2] * s[2, 0])
           + s[0, 2] * (s[1, 0] * s[2, 1] - s[1, 1] * s[2, 0]))
    scale = abs(s[0, 0] * s[1, 1] * s[2, 2])
    if not (abs(det) > _SINGULAR * scale):
        return math.nan
    det_z = (s[0, 0] * (s[1, 1] * c[2] - c[1] * s[2, 1])
             - s[0, 1] * (s[1, 0] * c[2] - c[1] * s[2, 0])
             + c[0] * (s[1, 0] * s[2, 1] - s[1, 1] * s[2, 0]))
    return det_z / det


@njit(cache=NUMBA_CACHE, error_model="numpy")
def reconstruct_events(event_ptr, tel_index, use, fov_lon, fov_lat, psi, intensity, length, width,
                       tel_alt, tel_az, array_alt, array_az, tel_positions, cam_radius_deg,
                       reference_height, min_telescopes, min_sin_plane,
                       out_float, out_reason, out_multiplicity, out_mask, row_out):
    """Reconstruct direction, core and h_max of every event of a chunk.

    Parameters
    ----------
    event_ptr : int64 array, shape (n_events + 1,)
        Rows of event ``i`` are ``event_ptr[i]:event_ptr[i + 1]``.
    tel_index : int64 array, shape (n_rows,)
        Index of each row's telescope in the subarray arrays.
    use : bool array, shape (n_rows,)
        Row passes the quality selection (its Hillas parameters are finite, width > 0).
    fov_lon, fov_lat, psi : float64 arrays, shape (n_rows,)
        Hillas centroid (telescope frame) and major-axis angle, deg.
    intensity, length, width : float64 arrays, shape (n_rows,)
        Hillas intensity (p.e.), length and width (deg); they form the weights.
    tel_alt, tel_az : float64 arrays, shape (n_rows,)
        Pointing of each row's telescope, deg.
    array_alt, array_az : float64 arrays, shape (n_events,)
        Array pointing of each event (defines the tilted frame), deg.
    tel_positions : float64 array, shape (n_tels, 3)
        Ground-frame telescope positions, m.
    cam_radius_deg : float64 array, shape (n_tels,)
        Camera radius of each telescope, deg (ctapipe's ``guess_radius``).
    reference_height : float
        Height of the ground frame origin above sea level, m.
    min_telescopes : int
        Usable telescopes an event needs (>= 2).
    min_sin_plane : float
        Sine of the smallest largest-pair angle between image planes.
    out_float : float64 array, shape (n_events, 9), filled
        alt, az (deg), direction uncertainty (deg), core_x, core_y, core_tilted_x,
        core_tilted_y, h_max (m), average intensity (p.e.).
    out_reason : uint8 array, shape (n_events,), filled
    out_multiplicity : int16 array, shape (n_events,), filled
    out_mask : bool array, shape (n_events, n_tels), filled
        Telescopes used.
    row_out : float64 array, shape (n_rows, 3), filled
        Impact distance (m), disp and miss (deg) of every row.
    """
    n_events = len(event_ptr) - 1
    n_rows = len(tel_index)
    # per-row plane normals and centroid vectors (only used rows)
    normal = np.empty((n_rows, 3))
    cog = np.empty((n_rows, 3))
    weight = np.empty(n_rows)
    for r in range(n_rows):
        if not use[r]:
            continue
        cx, cy, cz = _offset_to_vector(fov_lon[r], fov_lat[r], tel_alt[r], tel_az[r])
        step = 0.1 * cam_radius_deg[tel_index[r]]
        p_lon = fov_lon[r] + step * math.cos(psi[r] * _DEG)
        p_lat = fov_lat[r] + step * math.sin(psi[r] * _DEG)
        px, py, pz = _offset_to_vector(p_lon, p_lat, tel_alt[r], tel_az[r])
        cog[r, 0], cog[r, 1], cog[r, 2] = cx, cy, cz
        normal[r, 0] = cy * pz - cz * py
        normal[r, 1] = cz * px - cx * pz
        normal[r, 2] = cx * py - cy * px
        weight[r] = intensity[r] * length[r] / width[r]

    s3 = np.empty((3, 3))
    c3 = np.empty(3)
    for e in range(n_events):
        start, stop = event_ptr[e], event_ptr[e + 1]
        for k in range(out_float.shape[1]):
            out_float[e, k] = math.nan
        out_mask[e, :] = False
        m = 0
        sum_intensity = 0.0
        for r in range(start, stop):
            row_out[r, 0] = math.nan
            row_out[r, 1] = math.nan
            row_out[r, 2] = math.nan
            if use[r]:
                m += 1
                sum_intensity += intensity[r]
                out_mask[e, tel_index[r]] = True
        out_multiplicity[e] = m
        if m > 0:
            out_float[e, 8] = sum_intensity / m
        if m < min_telescopes or m < 2:
            out_reason[e] = REASON_TOO_FEW_TELESCOPES
            continue

        # --- direction: weighted mean of the pairwise plane intersections
        dx = dy = dz = 0.0
        max_sin = 0.0
        for a in range(start, stop):
            if not use[a]:
                continue
            na = math.sqrt(normal[a, 0] ** 2 + normal[a, 1] ** 2 + normal[a, 2] ** 2)
            for b in range(a + 1, stop):
                if not use[b]:
                    continue
                x = normal[a, 1] * normal[b, 2] - normal[a, 2] * normal[b, 1]
                y = normal[a, 2] * normal[b, 0] - normal[a, 0] * normal[b, 2]
                z = normal[a, 0] * normal[b, 1] - normal[a, 1] * normal[b, 0]
                if z < 0:
                    x, y, z = -x, -y, -z
                w = weight[a] * weight[b]
                dx += w * x
                dy += w * y
                dz += w * z
                nb = math.sqrt(normal[b, 0] ** 2 + normal[b, 1] ** 2 + normal[b, 2] ** 2)
                sin_ab = math.sqrt(x * x + y * y + z * z) / (na * nb)
                if sin_ab > max_sin:
                    max_sin = sin_ab
        norm = math.sqrt(dx * dx + dy * dy + dz * dz)
        if not (max_sin > min_sin_plane and norm > 0.0 and max_sin > 1e-12):
            out_reason[e] = REASON_PARALLEL_PLANES
            continue
        dx, dy, dz = dx / norm, dy / norm, dz / norm
        # uncertainty: mean angle between the result and the pair intersections
        sum_angle = 0.0
        n_angle = 0
        for a in range(start, stop):
            if not use[a]:
                continue
            for b in range(a + 1, stop):
                if not use[b]:
                    continue
                x = normal[a, 1] * normal[b, 2] - normal[a, 2] * normal[b, 1]
                y = normal[a, 2] * normal[b, 0] - normal[a, 0] * normal[b, 2]
                z = normal[a, 0] * normal[b, 1] - normal[a, 1] * normal[b, 0]
                if z < 0:
                    x, y, z = -x, -y, -z
                cn = math.sqrt(x * x + y * y + z * z)
                if cn > 0.0:
                    cos_angle = min(1.0, max(-1.0, (x * dx + y * dy + z * dz) / cn))
                    sum_angle += math.acos(cos_angle)
                    n_angle += 1
        alt = math.atan2(dz, math.hypot(dx, dy)) / _DEG
        az = math.atan2(-dy, dx) / _DEG
        if az < 0.0:
            az += 360.0
        if az >= 360.0:
            az -= 360.0

        # --- core: intersection of the image axes in the tilted frame of the array pointing
        p_alt, p_az = array_alt[e], array_az[e]
        sin_alt, cos_alt = math.sin(p_alt * _DEG), math.cos(p_alt * _DEG)
        sin_az, cos_az = math.sin(p_az * _DEG), math.cos(p_az * _DEG)
        a00 = a01 = a11 = b0 = b1 = 0.0
        for r in range(start, stop):
            if not use[r]:
                continue
            # centroid and second point in the camera frame of the array pointing:
            # x ~ fov_lat, y ~ fov_lon (linear mapping, the focal length cancels)
            c_lon, c_lat = _vector_to_offset(cog[r, 0], cog[r, 1], cog[r, 2], p_alt, p_az)
            step = 0.1 * cam_radius_deg[tel_index[r]]
            q_lon = fov_lon[r] + step * math.cos(psi[r] * _DEG)
            q_lat = fov_lat[r] + step * math.sin(psi[r] * _DEG)
            qx, qy, qz = _offset_to_vector(q_lon, q_lat, tel_alt[r], tel_az[r])
            p2_lon, p2_lat = _vector_to_offset(qx, qy, qz, p_alt, p_az)
            psi_c = math.atan((c_lon - p2_lon) / (c_lat - p2_lat))
            ux, uy = math.cos(psi_c), math.sin(psi_c)
            t = tel_index[r]
            gx, gy, gz = tel_positions[t, 0], tel_positions[t, 1], tel_positions[t, 2]
            xt = sin_alt * cos_az * gx - sin_alt * sin_az * gy - cos_alt * gz
            yt = sin_az * gx + cos_az * gy
            # sum of (u u^T - I) and (u u^T - I) p over the xy block
            m00, m01, m11 = ux * ux - 1.0, ux * uy, uy * uy - 1.0
            a00 += m00
            a01 += m01
            a11 += m11
            b0 += m00 * xt + m01 * yt
            b1 += m01 * xt + m11 * yt
        core_xt, core_yt = _solve2(a00, a01, a11, b0, b1)
        if not (math.isfinite(core_xt) and math.isfinite(core_yt)):
            out_reason[e] = REASON_CORE_UNDEFINED
            continue
        stretched = core_xt / sin_alt
        core_x = cos_az * stretched + sin_az * core_yt
        core_y = cos_az * core_yt - sin_az * stretched

        # --- h_max: intersection of the centroid lines of sight
        for i in range(3):
            c3[i] = 0.0
            for j in range(3):
                s3[i, j] = 0.0
        for r in range(start, stop):
            if not use[r]:
                continue
            t = tel_index[r]
            for i in range(3):
                for j in range(3):
                    mij = cog[r, i] * cog[r, j] - (1.0 if i == j else 0.0)
                    s3[i, j] += mij
                    c3[i] += mij * tel_positions[t, j]
        h_rel = _solve3_z(s3, c3)
        if not math.isfinite(h_rel):
            out_reason[e] = REASON_H_MAX_UNDEFINED
            continue

        out_reason[e] = REASON_VALID
        out_float[e, 0] = alt
        out_float[e, 1] = az
        out_float[e, 2] = (sum_angle / n_angle) / _DEG if n_angle > 0 else math.nan
        out_float[e, 3] = core_x
        out_float[e, 4] = core_y
        out_float[e, 5] = core_xt
        out_float[e, 6] = core_yt
        out_float[e, 7] = h_rel + reference_height

        # --- per-telescope quantities of every row of the event
        for r in range(start, stop):
            t = tel_index[r]
            px = tel_positions[t, 0] - core_x
            py = tel_positions[t, 1] - core_y
            pz = tel_positions[t, 2]
            cx = py * dz - pz * dy
            cy = pz * dx - px * dz
            cz = px * dy - py * dx
            row_out[r, 0] = math.sqrt(cx * cx + cy * cy + cz * cz)
            if math.isfinite(fov_lon[r]) and math.isfinite(fov_lat[r]) and math.isfinite(psi[r]):
                s_lon, s_lat = _vector_to_offset(dx, dy, dz, tel_alt[r], tel_az[r])
                d_lon, d_lat = s_lon - fov_lon[r], s_lat - fov_lat[r]
                cos_p, sin_p = math.cos(psi[r] * _DEG), math.sin(psi[r] * _DEG)
                row_out[r, 1] = d_lon * cos_p + d_lat * sin_p
                row_out[r, 2] = abs(-d_lon * sin_p + d_lat * cos_p)
