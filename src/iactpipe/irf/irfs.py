"""Instrument response functions (pyirf arithmetic) and their GADF FITS HDUs.

`compute_irfs` returns, for one set of selected events, the effective area (true energy x
FoV offset), energy dispersion (true energy x migration x offset), PSF table (true energy x
offset x source offset; full enclosure only), RAD_MAX (point-like only; the theta cut per
reco-energy bin, constant over offset) and the background rate (reco energy x offset, and
reco energy x FoV lon x FoV lat where statistics allow). `irf_hdus` turns them into GADF HDUs
with pyirf's writers (`pyirf.io.gadf`) and our own for the 3D background (pyirf 0.13 has no
BKG_3D writer).
"""
import logging

import astropy.units as u
import numpy as np
from astropy.io import fits
from pyirf.io import gadf
from pyirf.irf import background_2d, energy_dispersion, psf_table

from .weighting import effective_area

__all__ = ["Binning", "compute_irfs", "irf_hdus", "background_3d", "create_background_3d_hdu"]

log = logging.getLogger(__name__)


class Binning:
    """All bin edges (Quantity arrays) from the ``binning`` configuration section."""

    def __init__(self, b):
        from pyirf.binning import create_bins_per_decade

        self.true_energy = create_bins_per_decade(b["true_energy_min"] * u.TeV, b["true_energy_max"] * u.TeV,
                                                  b["true_energy_per_decade"])
        self.reco_energy = create_bins_per_decade(b["reco_energy_min"] * u.TeV, b["reco_energy_max"] * u.TeV,
                                                  b["reco_energy_per_decade"])
        n_offset = max(int(round(b["fov_offset_max"] / b["fov_offset_width"])), 1)
        self.fov_offset = np.linspace(0, n_offset * b["fov_offset_width"], n_offset + 1) * u.deg
        self.migration = np.geomspace(b["migration_min"], b["migration_max"], b["migration_bins"] + 1)
        self.source_offset = np.linspace(0, b["source_offset_max"], b["source_offset_bins"] + 1) * u.deg
        self.bkg_fov = np.linspace(-b["bkg_fov_max"], b["bkg_fov_max"], b["bkg_fov_bins"] + 1) * u.deg


def background_3d(events, reco_energy_bins, fov_bins, t_obs):
    """Background rate per (reco energy, FoV lon, FoV lat), in s-1 MeV-1 sr-1.

    Columns ``reco_energy``, ``reco_fov_lon``, ``reco_fov_lat``, ``weight`` (expected events in
    ``t_obs``). Same arithmetic as `pyirf.irf.background_2d`, with the solid angle of each
    rectangular FoV bin (`pyirf.utils.rectangle_solid_angle`).
    """
    from pyirf.utils import rectangle_solid_angle

    hist, _ = np.histogramdd(
        [events["reco_energy"].to_value(u.TeV), events["reco_fov_lon"].to_value(u.deg),
         events["reco_fov_lat"].to_value(u.deg)],
        bins=[reco_energy_bins.to_value(u.TeV), fov_bins.to_value(u.deg), fov_bins.to_value(u.deg)],
        weights=np.asarray(events["weight"], dtype=float))
    d_energy = np.diff(reco_energy_bins)[:, None, None]
    solid_angle = rectangle_solid_angle(fov_bins[:-1, None], fov_bins[1:, None], fov_bins[None, :-1],
                                        fov_bins[None, 1:])[None]
    return (hist / t_obs / d_energy / solid_angle).to(u.Unit("s-1 MeV-1 sr-1"))


def create_background_3d_hdu(bkg, reco_energy_bins, fov_bins, extname="BACKGROUND", **header_cards):
    """GADF BKG_3D HDU (axes ENERGY, DETX, DETY; FOVALIGN = ALTAZ), layout as pyirf's 2D writer."""
    from astropy.table import QTable

    table = QTable()
    from pyirf.binning import split_bin_lo_hi

    table["ENERG_LO"], table["ENERG_HI"] = split_bin_lo_hi(reco_energy_bins[np.newaxis, :].to(u.TeV))
    table["DETX_LO"], table["DETX_HI"] = split_bin_lo_hi(fov_bins[np.newaxis, :].to(u.deg))
    table["DETY_LO"], table["DETY_HI"] = split_bin_lo_hi(fov_bins[np.newaxis, :].to(u.deg))
    # FITS/GADF axis order (slowest first) is (DETY, DETX, ENERGY) for numpy shape (E, X, Y) transposed
    table["BKG"] = bkg.to(u.Unit("s-1 MeV-1 sr-1")).T[np.newaxis, ...]
    header = fits.Header()
    header["HDUCLASS"] = "GADF"
    header["HDUDOC"] = "https://github.com/open-gamma-ray-astro/gamma-astro-data-formats"
    header["HDUVERS"] = "0.2"
    header["HDUCLAS1"] = "RESPONSE"
    header["HDUCLAS2"] = "BKG"
    header["HDUCLAS3"] = "FULL-ENCLOSURE"
    header["HDUCLAS4"] = "BKG_3D"
    header["FOVALIGN"] = "ALTAZ"
    for key, value in header_cards.items():
        header[key] = value
    return fits.BinTableHDU(table, header=header, name=extname)


def compute_irfs(gammas, gamma_productions, background, binning, t_obs, point_like, rad_max=None,
                 bkg_3d_min_events=200):
    """IRF arrays (dict of Quantity / ndarray) for events that passed the cuts.

    Parameters
    ----------
    gammas : QTable
        Selected gamma events (cuts already applied, including theta for point-like).
    gamma_productions : list of Production
        Productions of those gammas (for the thrown counts).
    background : QTable or None
        Selected background events with ``weight`` (expected in ``t_obs``).
    binning : Binning
    t_obs : Quantity[time]
    point_like : bool
    rad_max : Quantity, optional
        Theta cut per reco-energy bin (point-like only).
    bkg_3d_min_events : int
        Raw background events needed for the 3D background (else 2D only).
    """
    irfs = {}
    irfs["aeff"] = effective_area(gammas, gamma_productions, binning.true_energy, binning.fov_offset)
    irfs["edisp"] = energy_dispersion(gammas, binning.true_energy, binning.fov_offset, binning.migration)
    if not point_like:
        irfs["psf"] = psf_table(gammas, binning.true_energy, binning.source_offset, binning.fov_offset)
    elif rad_max is not None:
        irfs["rad_max"] = np.repeat(u.Quantity(rad_max, u.deg)[:, np.newaxis], len(binning.fov_offset) - 1, axis=1)
    if background is not None and len(background):
        irfs["bkg_2d"] = background_2d(background, binning.reco_energy, binning.fov_offset, t_obs)
        if len(background) >= bkg_3d_min_events:
            irfs["bkg_3d"] = background_3d(background, binning.reco_energy, binning.bkg_fov, t_obs)
        else:
            log.info("background: %d events < %d, 3D background not made", len(background), bkg_3d_min_events)
    return irfs


def irf_hdus(irfs, binning, point_like, **header_cards):
    """GADF HDUs (list, PRIMARY first) for the output of `compute_irfs`.

    HDU names: EFFECTIVE AREA, ENERGY DISPERSION, PSF (full enclosure), RAD_MAX (point-like),
    BACKGROUND (BKG_3D if present, else BKG_2D).
    """
    primary = fits.PrimaryHDU()
    primary.header["CREATOR"] = "iactpipe"
    primary.header["HDUCLASS"] = "GADF"
    hdus = [primary]
    hdus.append(gadf.create_aeff2d_hdu(irfs["aeff"], binning.true_energy, binning.fov_offset,
                                       point_like=point_like, extname="EFFECTIVE AREA", **header_cards))
    hdus.append(gadf.create_energy_dispersion_hdu(irfs["edisp"], binning.true_energy, binning.migration,
                                                  binning.fov_offset, point_like=point_like,
                                                  extname="ENERGY DISPERSION", **header_cards))
    if "psf" in irfs:
        hdus.append(gadf.create_psf_table_hdu(irfs["psf"], binning.true_energy, binning.source_offset,
                                              binning.fov_offset, extname="PSF", **header_cards))
    if "rad_max" in irfs:
        hdus.append(gadf.create_rad_max_hdu(irfs["rad_max"], binning.reco_energy, binning.fov_offset,
                                            point_like=True, extname="RAD_MAX", **header_cards))
    if "bkg_3d" in irfs:
        hdus.append(create_background_3d_hdu(irfs["bkg_3d"], binning.reco_energy, binning.bkg_fov,
                                             extname="BACKGROUND", **header_cards))
    elif "bkg_2d" in irfs:
        hdus.append(gadf.create_background_2d_hdu(irfs["bkg_2d"], binning.reco_energy, binning.fov_offset,
                                                  extname="BACKGROUND", **header_cards))
    for hdu in hdus[1:]:
        hdu.header["HDUCLAS3"] = "POINT-LIKE" if point_like else "FULL-ENCLOSURE"
        if hdu.header.get("HDUCLAS2") == "BKG":
            hdu.header["HDUCLAS3"] = "FULL-ENCLOSURE"
    return hdus
