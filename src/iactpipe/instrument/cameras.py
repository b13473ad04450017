"""The CTAO cameras, generated from their published/physical layout parameters.

No pixel tables are shipped: every camera is built from its pixel pitch and size, its
module (drawer) layout, the orientation of its lattice and a rule for its outline. The
rules were found by analysing the real sim_telarray geometries (``calib_events.simtel.gz``,
REFERENCE.md §1) and reproduce those pixel sets exactly (see
``tests/instrument/test_camera_validation.py`` for the measured agreement).

Generic generators
------------------
`hexagonal_camera`
    Hexagonal pixels on a hexagonal lattice; the outline is given by an outline object:
    `FlowerModules` (7-pixel modules on a √7 super-lattice, pixel-centred: LSTCam,
    NectarCam), `SectorModules` (3 rhombic sectors of 12-pixel parallelogram modules,
    vertex-centred: FlashCam, DigiCam), or the simple `HexagonOutline` / `CircleOutline`.
`square_camera`
    Square pixels on square modules on a masked module grid, optionally on a curved focal
    surface (flat tiles tangent to a sphere, projected).

All geometries are returned de-rotated (``cam_rotation_deg = 0``), positions in metres, in
the camera frame as seen from the mirror, like the geometries `iactpipe.io.simtel` reads.
Pixels are numbered module by module.
"""
from dataclasses import dataclass

import numpy as np

from ..errors import InstrumentError
from . import _lattice
from .camera import CameraGeometry, PixelShape

__all__ = [
    "FlowerModules",
    "SectorModules",
    "HexagonOutline",
    "CircleOutline",
    "hexagonal_camera",
    "square_camera",
    "circular_module_mask",
    "module_mask_from_rows",
    "lstcam",
    "nectarcam",
    "flashcam",
    "chec",
    "astricam",
    "digicam",
    "sctcam",
    "CAMERA_BUILDERS",
    "build_camera_geometry",
]

# 120° − arctan(√3/5): turns the LST/NectarCam pixel lattice so that the lattice of its
# 7-pixel drawers (19.107° off the pixel lattice) lies along the camera axes
_FLOWER_LATTICE_ROTATION_DEG = 120.0 - np.rad2deg(np.arctan(np.sqrt(3.0) / 5.0))


# ---------------------------------------------------------------------------------------
# outlines of hexagonal cameras
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FlowerModules:
    """Pixel-centred camera built of 7-pixel "flower" modules.

    Module centres form a hexagonal super-lattice of pitch √7 × pixel pitch, turned by
    arctan(√3/5) = 19.107° against the pixel lattice; they fill a hexagon of
    ``module_rings`` module rings around a central module, without its 6 corner modules
    if ``drop_corners``.
    """

    module_rings: int
    drop_corners: bool = True

    def layout(self):
        """Pixel centres (pitch units, generation frame) and module index of each pixel."""
        return _lattice.flower_module_layout(self.module_rings, self.drop_corners)


@dataclass(frozen=True)
class SectorModules:
    """Vertex-centred camera of three rhombic sectors of parallelogram modules.

    Each sector holds ``modules_per_side``² modules of ``3 module_scale²`` pixels; see
    `iactpipe.instrument._lattice.sector_module_layout` for the exact cell rule.
    """

    modules_per_side: int
    module_scale: int = 2

    def layout(self):
        """Pixel centres (pitch units, generation frame) and module index of each pixel."""
        return _lattice.sector_module_layout(self.modules_per_side, self.module_scale)


@dataclass(frozen=True)
class HexagonOutline:
    """Pixel-centred hexagon of ``n_rings`` complete pixel rings (1 + 3 n (n + 1) pixels)."""

    n_rings: int

    def layout(self):
        """Pixel centres (pitch units, generation frame); every pixel is its own module."""
        q, r = _lattice.hexagon_axial(self.n_rings)
        x, y = _lattice.axial_to_xy(q, r)
        return x, y, np.arange(len(x))


@dataclass(frozen=True)
class CircleOutline:
    """Lattice points within ``radius_pitch`` pixel pitches of the centre.

    ``vertex_centred`` puts the camera centre on a vertex shared by 3 pixels instead of
    on a pixel centre.
    """

    radius_pitch: float
    vertex_centred: bool = False

    def layout(self):
        """Pixel centres (pitch units, generation frame); every pixel is its own module."""
        n = int(np.ceil(2.0 * self.radius_pitch / np.sqrt(3.0))) + 2
        q, r = _lattice.hexagon_axial(2 * n)
        x, y = _lattice.axial_to_xy(q, r)
        if self.vertex_centred:
            x, y = x + 0.5, y + 0.5 / _lattice.SQRT3
        inside = np.hypot(x, y) <= self.radius_pitch + 1e-9
        return x[inside], y[inside], np.arange(inside.sum())


def hexagonal_camera(name, pitch_m, outline, pixel_width_m=None, lattice_rotation_deg=0.0, mirror=False):
    """Generate a camera of hexagonal pixels.

    The lattice is built in a frame where neighbouring pixels lie along 0°, 60° and 120°
    (pointy-top hexagons), optionally mirrored (y → −y), then turned by
    ``lattice_rotation_deg``, which therefore is also the pixel rotation.

    Parameters
    ----------
    name : str
        Camera name.
    pitch_m : float
        Distance between neighbouring pixel centres, m.
    outline : FlowerModules, SectorModules, HexagonOutline or CircleOutline
        Which lattice points are pixels.
    pixel_width_m : float, optional
        Flat-to-flat size of the light-sensitive hexagon, m (default: ``pitch_m``).
        Pixel area is (√3/2) × width².
    lattice_rotation_deg : float
        Rotation of the lattice (and pixel rotation), deg; 30 gives flat-top hexagons.
    mirror : bool
        Mirror the layout (y → −y) before rotating; matters only for chiral outlines.

    Returns
    -------
    CameraGeometry
    """
    if not pitch_m > 0:
        raise InstrumentError(f"camera {name!r}: pitch must be positive")
    width = pitch_m if pixel_width_m is None else float(pixel_width_m)
    x, y, _ = outline.layout()
    if mirror:
        y = -y
    x, y = _lattice.rotate_xy(x, y, lattice_rotation_deg)
    area = 0.5 * np.sqrt(3.0) * width ** 2
    return CameraGeometry(
        name=name,
        pix_x=pitch_m * x,
        pix_y=pitch_m * y,
        pix_area=np.full(len(x), area),
        pix_type=PixelShape.HEXAGON,
        pix_rotation_deg=lattice_rotation_deg,
    )


# ---------------------------------------------------------------------------------------
# square-pixel cameras
# ---------------------------------------------------------------------------------------

def circular_module_mask(n_modules_across, radius_modules):
    """Square module grid keeping the modules whose centres lie within a circle.

    Parameters
    ----------
    n_modules_across : int
        The grid is ``n × n`` modules, centred on the camera.
    radius_modules : float
        Circle radius, in module pitches.

    Returns
    -------
    ndarray of bool, shape (n, n)
        ``mask[row, column]``, row 0 at the bottom.
    """
    return _lattice.circular_module_mask(n_modules_across, radius_modules)


def module_mask_from_rows(row_counts):
    """Module-grid mask from the number of modules per row, each row centred.

    Parameters
    ----------
    row_counts : sequence of int
        Modules in each row, bottom to top, e.g. ``(3, 5, 7, 7, 7, 5, 3)``.

    Returns
    -------
    ndarray of bool, shape (n_rows, max(row_counts))
    """
    row_counts = [int(c) for c in row_counts]
    width = max(row_counts)
    if any((width - c) % 2 for c in row_counts):
        raise InstrumentError("module rows must all have the parity of the widest row to be centred")
    mask = np.zeros((len(row_counts), width), dtype=bool)
    for row, count in enumerate(row_counts):
        start = (width - count) // 2
        mask[row, start:start + count] = True
    return mask


def square_camera(name, pixel_pitch_m, module_grid_mask, module_size=8, module_pitch_m=None,
                  module_gap_m=None, pixel_width_m=None, focal_surface_radius_m=None):
    """Generate a camera of square pixels grouped in square modules.

    Parameters
    ----------
    name : str
        Camera name.
    pixel_pitch_m : float
        Pixel pitch inside a module, m (on the module tile for a curved camera).
    module_grid_mask : ndarray of bool, shape (n_rows, n_cols)
        Grid positions holding a module, row 0 at the bottom (see `circular_module_mask`,
        `module_mask_from_rows`).
    module_size : int
        Pixels along a module side (modules are ``module_size²`` pixels).
    module_pitch_m : float, optional
        Distance between neighbouring module centres in the camera plane, m.
    module_gap_m : float, optional
        Alternative to ``module_pitch_m``: extra space between modules, m, i.e.
        ``module_pitch = module_size * pixel_pitch + module_gap``. Give exactly one.
    pixel_width_m : float, optional
        Side of the light-sensitive square, m (default ``pixel_pitch_m``); area = width².
    focal_surface_radius_m : float, optional
        Radius of curvature of a curved focal surface, m. Modules are then flat tiles
        tangent to it and the returned positions are their projection onto the camera
        plane (pixel pitch shrinks away from the centre).

    Returns
    -------
    CameraGeometry
    """
    if (module_pitch_m is None) == (module_gap_m is None):
        raise InstrumentError(f"camera {name!r}: give exactly one of module_pitch_m and module_gap_m")
    if module_pitch_m is None:
        module_pitch_m = module_size * pixel_pitch_m + module_gap_m
    if module_pitch_m < module_size * pixel_pitch_m * (1 - 1e-9) and focal_surface_radius_m is None:
        raise InstrumentError(f"camera {name!r}: modules overlap (module pitch < module size x pixel pitch)")
    width = pixel_pitch_m if pixel_width_m is None else float(pixel_width_m)
    x, y, _ = _lattice.square_module_layout(module_grid_mask, int(module_size), float(pixel_pitch_m),
                                            float(module_pitch_m), focal_surface_radius_m)
    return CameraGeometry(
        name=name,
        pix_x=x,
        pix_y=y,
        pix_area=np.full(len(x), width ** 2),
        pix_type=PixelShape.SQUARE,
        pix_rotation_deg=0.0,
    )


def _checked(geometry, n_pixels):
    """Guard a builder against silent changes: the published pixel count must come out."""
    if geometry.n_pixels != n_pixels:
        raise InstrumentError(f"camera {geometry.name!r}: generated {geometry.n_pixels} pixels, "
                              f"expected {n_pixels}")
    return geometry


# ---------------------------------------------------------------------------------------
# the CTAO cameras
# ---------------------------------------------------------------------------------------

def lstcam():
    """LSTCam (Large-Sized Telescope camera), 1855 hexagonal PMT pixels.

    Published numbers (REFERENCE.md §1.1, §1.2): pixel pitch 50 mm, light-guide hexagon
    49 mm flat-to-flat; 265 drawers ("modules") of 7 pixels.

    Rule: each drawer is a 7-pixel flower (a pixel and its 6 neighbours); drawer centres
    form the √7 × 50 mm super-lattice, turned by arctan(√3/5) = 19.107° against the pixel
    lattice, and fill a hexagon of 9 drawer rings (271 drawers) minus its 6 corners =
    265 drawers. The drawer lattice is aligned with the camera axes (0° mod 60°), so the
    pixel lattice and pixel rotation are 120° − 19.107° = 100.893° (the value ctapipe
    reports for the prod3/prod4 files; prod6 files give the equivalent 40.893°).
    """
    return _checked(hexagonal_camera("LSTCam", 0.050, FlowerModules(module_rings=9, drop_corners=True),
                                     pixel_width_m=0.049,
                                     lattice_rotation_deg=_FLOWER_LATTICE_ROTATION_DEG), 1855)


def nectarcam():
    """NectarCam (MST camera with NECTAr readout), 1855 hexagonal PMT pixels.

    Published numbers (REFERENCE.md §1.1, §1.2): same focal-plane layout as LSTCam —
    pixel pitch 50 mm, 49 mm flat-to-flat, 265 modules of 7 pixels.

    Rule: as `lstcam` — 7-pixel flower modules on the √7 super-lattice (19.107° off the
    pixel lattice), a 9-ring module hexagon without its 6 corners, drawer lattice along
    the camera axes, pixel rotation 100.893°.
    """
    return _checked(hexagonal_camera("NectarCam", 0.050, FlowerModules(module_rings=9, drop_corners=True),
                                     pixel_width_m=0.049,
                                     lattice_rotation_deg=_FLOWER_LATTICE_ROTATION_DEG), 1855)


def flashcam():
    """FlashCam (MST camera with fully digital readout), 1764 hexagonal PMT pixels.

    Published numbers (REFERENCE.md §1.1, §1.2): pixel pitch 50 mm, 49 mm flat-to-flat,
    147 modules of 12 pixels, flat-top pixels (pixel rotation 30°), camera centre on a
    vertex shared by 3 pixels.

    Rule: 147 = 3 × 7²: three rhombic sectors (turned by 0°, 120°, 240°) of 7 × 7
    parallelogram modules; a module cell is spanned by two vectors of 2√3 × 50 mm at 30°
    and 150° (in the pointy-top generation frame) and holds 12 pixels. The sectors form
    a regular hexagon of apothem 21 pitches; the half-open cell rule decides which
    boundary pixels belong to the camera. The lattice is then turned by 30°.
    """
    return _checked(hexagonal_camera("FlashCam", 0.050, SectorModules(modules_per_side=7, module_scale=2),
                                     pixel_width_m=0.049, lattice_rotation_deg=30.0), 1764)


def digicam():
    """DigiCam (SST-1M camera), 1296 hexagonal SiPM pixels.

    Published numbers (REFERENCE.md §1.1, §1.2): pixel pitch 23.6 mm, 23.2 mm
    flat-to-flat, flat-top pixels (30°), camera centre on a vertex shared by 3 pixels;
    1296 = 108 modules × 12 pixels.

    Rule: the FlashCam construction at a smaller scale — 108 = 3 × 6²: three rhombic
    sectors of 6 × 6 twelve-pixel parallelogram modules forming a hexagon of apothem 18
    pitches — but mirror-imaged (the file's vertex-centred lattice and boundary pixels are
    the mirror image of FlashCam's), then turned by 30°.
    """
    return _checked(hexagonal_camera("DigiCam", 0.0236, SectorModules(modules_per_side=6, module_scale=2),
                                     pixel_width_m=0.0232, lattice_rotation_deg=30.0, mirror=True), 1296)


def chec():
    """CHEC (Compact High-Energy Camera, SST), 2048 square SiPM pixels.

    Published numbers (REFERENCE.md §1.1, §1.3): 32 modules of 8 × 8 pixels of
    6.125 mm (pitch = size), module pitch 54.28 mm (11.40 mm between pixel centres across
    a module boundary), modules on a 6 × 6 grid without its 4 corners.

    Rule: square module grid, keeping the modules whose centres lie within 3.25 module
    pitches of the camera centre (that is the 6 × 6 grid minus its corners; the corner
    modules are at 3.54). The focal surface is curved, but the file's projected pixel
    positions have a uniform pitch, so the camera is generated flat.
    """
    mask = circular_module_mask(6, 3.25)
    return _checked(square_camera("CHEC", 0.006125, mask, module_size=8, module_pitch_m=0.05428), 2048)


def astricam():
    """ASTRICam (ASTRI SST camera), 2368 square SiPM pixels on a curved focal surface.

    Published numbers (REFERENCE.md §1.1, §1.3): 37 modules of 8 × 8 pixels on a 7 × 7
    grid (rows 3-5-7-7-7-5-3), module pitch 58.8 mm in the camera plane, pixel size
    6.975 mm, curved focal surface with a pixel sag of 22.6 mm at the edge
    (r = 217.9 mm), i.e. a radius of curvature R = (r² + s²) / 2s = 1060 mm.

    Rule: modules whose centres lie within 3.4 module pitches of the centre (gives the
    3-5-7-7-7-5-3 rows); each module is a flat tile of pixel pitch 7.175 mm (the pitch
    measured in the central, untilted module column, REFERENCE.md §1.1 "7.07–7.18 mm"),
    tangent to the 1060 mm sphere and projected onto the camera plane: the projected
    pitch falls to 7.175 × cos(arcsin(176.4 / 1060)) = 7.075 mm in the outer modules.
    """
    mask = circular_module_mask(7, 3.4)
    return _checked(square_camera("ASTRICam", 0.007175, mask, module_size=8, module_pitch_m=0.0588,
                                  pixel_width_m=0.006975, focal_surface_radius_m=1.060), 2368)


def sctcam():
    """SCTCam (Schwarzschild-Couder Telescope camera), 11328 square SiPM pixels.

    Published numbers (REFERENCE.md §1.1, §1.3): 177 modules of 8 × 8 pixels, pixel pitch
    6.687 mm, pixel size 6.5 mm, module pitch 54.0 mm, on a 15 × 15 grid with rows
    5-9-11-13-13-15-15-15-15-15-13-13-11-9-5.

    Rule: modules whose centres lie within 7.5 module pitches of the centre (reproduces
    those rows: kept modules reach 7.28, dropped ones start at 7.62). Flat layout (the
    file's projected positions have a uniform pitch).
    """
    mask = circular_module_mask(15, 7.5)
    return _checked(square_camera("SCTCam", 0.006687, mask, module_size=8, module_pitch_m=0.054,
                                  pixel_width_m=0.0065), 11328)


#: Builders of the known cameras, keyed by camera name.
CAMERA_BUILDERS = {
    "LSTCam": lstcam,
    "NectarCam": nectarcam,
    "FlashCam": flashcam,
    "CHEC": chec,
    "ASTRICam": astricam,
    "DigiCam": digicam,
    "SCTCam": sctcam,
}


def build_camera_geometry(name):
    """Generate the geometry of a known camera by name.

    Parameters
    ----------
    name : str
        One of the keys of `CAMERA_BUILDERS` (case-insensitive, so ``"LSTcam"`` as written
        in prod6 metadata works too).

    Returns
    -------
    CameraGeometry

    Raises
    ------
    InstrumentError
        For an unknown camera name; the message lists the known ones.
    """
    builders = {key.lower(): builder for key, builder in CAMERA_BUILDERS.items()}
    builder = builders.get(str(name).lower())
    if builder is None:
        raise InstrumentError(f"unknown camera {name!r}; known cameras: {', '.join(CAMERA_BUILDERS)}")
    return builder()
