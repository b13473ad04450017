"""Camera electronics parameters of the fast simulator: photosensors, digitisers, trigger.

One frozen `ElectronicsParameters` per camera type holds every number the camera response
(`iactpipe.simulation.camera_response`) and the telescope trigger
(`iactpipe.simulation.trigger`) need, except the photon-detection efficiency, which is
applied upstream (the input of the camera response are photoelectrons).

Sources (``shared/reference/REFERENCE.md``): LSTCam and NectarCam from section 1.4 (prod5/prod6
sim_telarray configuration, tags [P5H]/[P6H]); NSB rates of the other cameras from the
[CALH] list of section 1.4. Everything marked *assumption* in `DEFAULT_ELECTRONICS` is a
plausible round value for which no published number was available; ``docs/simulation.md``
("Camera, electronics and trigger") lists every value with its source.

Use `default_electronics` to get the defaults of a camera, optionally with overrides from
a configuration dict::

    params = default_electronics("LSTCam", {"nsb_rate_ghz": 0.4})
"""
from dataclasses import asdict, dataclass, fields, replace
from math import erf, exp, pi, sqrt

import numpy as np

from ..errors import ConfigurationError

__all__ = [
    "TRIGGER_TYPES",
    "ElectronicsParameters",
    "DEFAULT_ELECTRONICS",
    "default_electronics",
    "electronics_camera_names",
    "single_pe_moments",
]

#: Telescope trigger schemes implemented in `iactpipe.simulation.trigger`.
TRIGGER_TYPES = ("analog_sum", "majority")


def single_pe_moments(spe_sigma_rel, spe_exp_fraction, spe_exp_scale):
    """Mean and second moment of the un-normalised single-photoelectron amplitude model.

    The model is a mixture: with probability ``1 - f`` a Gaussian of mean 1 and width
    ``sigma`` truncated at 0 (redrawn when negative), with probability ``f`` an
    exponential of mean ``scale`` (the low-amplitude tail of photoelectrons that miss
    part of the dynode amplification).

    Parameters
    ----------
    spe_sigma_rel : float
        Width of the Gaussian component relative to its mean.
    spe_exp_fraction : float
        Fraction ``f`` of photoelectrons in the exponential component.
    spe_exp_scale : float
        Mean of the exponential component relative to the Gaussian mean.

    Returns
    -------
    mean, second_moment : float
        ``E[a]`` and ``E[a**2]`` of the un-normalised amplitude ``a``; the simulator
        divides every amplitude by ``mean`` so that one photoelectron gives on average
        exactly the nominal amplitude. The excess noise factor is ``second_moment / mean**2``.
    """
    s = float(spe_sigma_rel)
    if s > 0:
        # moments of N(1, s) truncated to a > 0 (standard truncated-normal formulas)
        alpha = -1.0 / s
        phi = exp(-0.5 * alpha * alpha) / sqrt(2 * pi)
        big_z = 1.0 - 0.5 * (1.0 + erf(alpha / sqrt(2.0)))
        lam = phi / big_z
        g_mean = 1.0 + s * lam
        g_var = s * s * (1.0 + alpha * lam - lam * lam)
        g_m2 = g_var + g_mean * g_mean
    else:
        g_mean, g_m2 = 1.0, 1.0
    f = float(spe_exp_fraction)
    e_mean, e_m2 = float(spe_exp_scale), 2.0 * float(spe_exp_scale) ** 2
    return (1 - f) * g_mean + f * e_mean, (1 - f) * g_m2 + f * e_m2


@dataclass(frozen=True)
class ElectronicsParameters:
    """Electronics and trigger parameters of one camera type.

    All rates are per pixel, all amplitudes in ADC counts per sample, all times in ns.
    "pe" in trigger settings means the peak height of the shaped signal of one
    photoelectron of mean amplitude (pulses are normalised to a peak of 1).

    Attributes
    ----------
    camera_name : str
        Camera this set belongs to (``"LSTCam"``, ...).
    nsb_rate_ghz : float
        Night-sky-background photoelectron rate per pixel, pe/ns (= GHz), at nominal
        efficiency (scaled by each pixel's relative efficiency).
    spe_sigma_rel : float
        Width of the Gaussian part of the single-pe amplitude distribution relative to its mean.
    spe_exp_fraction : float
        Fraction of photoelectrons in the exponential low-amplitude part (0 = pure Gaussian).
    spe_exp_scale : float
        Mean of the exponential part relative to the Gaussian mean.
    transit_time_jitter_ns : float
        Gaussian rms of the photosensor transit time per photoelectron, ns.
    gain_spread : float
        Relative rms of the per-pixel gain (drawn once per run).
    qe_spread : float
        Relative rms of the per-pixel photon-detection efficiency (drawn once per run).
    broken_pixel_fraction : float
        Fraction of pixels with high voltage off (drawn once per run); they record pedestal
        and electronic noise only.
    pedestal_adc : float
        Nominal pedestal per sample, ADC counts (all gain channels).
    pedestal_spread_adc : float
        Pixel-to-pixel rms of the pedestal, ADC counts.
    amplitude_adc_per_pe : float
        High-gain peak amplitude of a single photoelectron of mean amplitude, ADC counts.
    hg_lg_ratio : float
        High-gain / low-gain amplitude ratio (ignored for single-gain cameras).
    noise_adc : tuple of float
        Electronic noise rms per sample and gain channel (HG, LG), ADC counts.
    adc_max : tuple of int
        Largest ADC value per gain channel (saturation); ``4095`` for 12 bits.
    trigger_offset_ns : float
        The readout window starts this long before the trigger time; a photoelectron
        arriving at the trigger time peaks ``trigger_offset_ns`` after the first sample.
    trigger_type : {"analog_sum", "majority"}
        Telescope trigger scheme (see `iactpipe.simulation.trigger`).
    trigger_threshold_pe : float
        ``analog_sum``: threshold on the clipped group sum; ``majority``: per-pixel
        discriminator threshold; in pe (peak units, after AC coupling).
    trigger_multiplicity : int
        ``majority``: pixels of one group that must be above threshold at the same time.
    trigger_clip_pe : float
        ``analog_sum``: each pixel's signal is clipped at this value before summing, pe.
    trigger_window_ns : float
        ``analog_sum``: width of the box average applied to the group sum (0 = none);
        ``majority``: width of each pixel's discriminator output (coincidence gate), ns.
    trigger_pulse_fwhm_ns : float or None
        FWHM of the trigger-path pulse shape (a log-normal pulse, as the readout pulses);
        ``None`` uses the high-gain readout reference pulse.
    trigger_search_margin_ns : float
        The trigger is evaluated from this long before the first to this long after the
        last Cherenkov photoelectron, ns (for events without Cherenkov light: around t = 0).
    trigger_oversampling : int
        Trigger time bins per readout sample (1 = trigger simulated at the sampling rate).
    dc_to_pe_error : float
        Relative rms error of the "measured" ``dc_to_pe`` coefficients (0 = perfect).
    """

    camera_name: str
    nsb_rate_ghz: float
    spe_sigma_rel: float
    spe_exp_fraction: float
    spe_exp_scale: float
    transit_time_jitter_ns: float
    gain_spread: float
    qe_spread: float
    broken_pixel_fraction: float
    pedestal_adc: float
    pedestal_spread_adc: float
    amplitude_adc_per_pe: float
    hg_lg_ratio: float
    noise_adc: tuple
    adc_max: tuple
    trigger_offset_ns: float
    trigger_type: str
    trigger_threshold_pe: float
    trigger_multiplicity: int
    trigger_clip_pe: float
    trigger_window_ns: float
    trigger_pulse_fwhm_ns: float = None
    trigger_search_margin_ns: float = 10.0
    trigger_oversampling: int = 1
    dc_to_pe_error: float = 0.0

    def __post_init__(self):
        name = self.camera_name
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("camera_name", "trigger_type"):
                if not isinstance(value, str):
                    raise ConfigurationError(f"electronics {name!r}: {f.name} must be a string, got {value!r}")
                continue
            if f.name in ("noise_adc", "adc_max"):
                value = _as_tuple(name, f.name, value, float if f.name == "noise_adc" else int)
            elif f.name == "trigger_pulse_fwhm_ns" and value is None:
                continue
            elif f.name in ("trigger_multiplicity", "trigger_oversampling"):
                value = _as_number(name, f.name, value, int)
            else:
                value = _as_number(name, f.name, value, float)
            object.__setattr__(self, f.name, value)

        def check(condition, key, text):
            if not condition:
                raise ConfigurationError(f"electronics {name!r}: {key} {text}, got {getattr(self, key)!r}")

        check(self.nsb_rate_ghz >= 0, "nsb_rate_ghz", "must be >= 0")
        check(self.spe_sigma_rel >= 0, "spe_sigma_rel", "must be >= 0")
        check(0 <= self.spe_exp_fraction < 1, "spe_exp_fraction", "must be in [0, 1)")
        check(self.spe_exp_scale > 0, "spe_exp_scale", "must be > 0")
        check(self.transit_time_jitter_ns >= 0, "transit_time_jitter_ns", "must be >= 0")
        check(0 <= self.gain_spread < 0.5, "gain_spread", "must be in [0, 0.5)")
        check(0 <= self.qe_spread < 0.5, "qe_spread", "must be in [0, 0.5)")
        check(0 <= self.broken_pixel_fraction < 1, "broken_pixel_fraction", "must be in [0, 1)")
        check(self.pedestal_adc >= 0, "pedestal_adc", "must be >= 0")
        check(self.pedestal_spread_adc >= 0, "pedestal_spread_adc", "must be >= 0")
        check(self.amplitude_adc_per_pe > 0, "amplitude_adc_per_pe", "must be > 0")
        check(self.hg_lg_ratio >= 1, "hg_lg_ratio", "must be >= 1")
        check(len(self.noise_adc) >= 1 and all(v >= 0 for v in self.noise_adc), "noise_adc",
              "must hold one value >= 0 per gain channel")
        check(len(self.adc_max) == len(self.noise_adc), "adc_max", "must have one entry per gain channel "
              f"(as noise_adc, {len(self.noise_adc)})")
        check(all(0 < v <= 65535 for v in self.adc_max), "adc_max", "must be in [1, 65535] (uint16 waveforms)")
        check(self.trigger_type in TRIGGER_TYPES, "trigger_type", f"must be one of {TRIGGER_TYPES}")
        check(self.trigger_threshold_pe > 0, "trigger_threshold_pe", "must be > 0")
        check(self.trigger_multiplicity >= 1, "trigger_multiplicity", "must be >= 1")
        check(self.trigger_clip_pe > 0, "trigger_clip_pe", "must be > 0")
        check(self.trigger_window_ns >= 0, "trigger_window_ns", "must be >= 0")
        check(self.trigger_pulse_fwhm_ns is None or self.trigger_pulse_fwhm_ns > 0, "trigger_pulse_fwhm_ns",
              "must be None or > 0")
        check(self.trigger_search_margin_ns >= 0, "trigger_search_margin_ns", "must be >= 0")
        check(1 <= self.trigger_oversampling <= 16, "trigger_oversampling", "must be in [1, 16]")
        check(0 <= self.dc_to_pe_error < 0.5, "dc_to_pe_error", "must be in [0, 0.5)")

    @property
    def n_channels(self):
        """Number of gain channels (length of `noise_adc`)."""
        return len(self.noise_adc)

    @property
    def channel_amplitude_adc_per_pe(self):
        """Single-pe peak amplitude per gain channel, ADC counts: HG, then HG / `hg_lg_ratio`."""
        return tuple(self.amplitude_adc_per_pe / (self.hg_lg_ratio if c > 0 else 1.0)
                     for c in range(self.n_channels))

    @property
    def single_pe_mean(self):
        """Mean of the un-normalised single-pe amplitude mixture (see `single_pe_moments`)."""
        return single_pe_moments(self.spe_sigma_rel, self.spe_exp_fraction, self.spe_exp_scale)[0]

    @property
    def excess_noise_factor(self):
        """``E[a²] / E[a]²`` of the single-pe amplitude distribution (1 + relative variance)."""
        mean, m2 = single_pe_moments(self.spe_sigma_rel, self.spe_exp_fraction, self.spe_exp_scale)
        return m2 / mean ** 2

    def to_dict(self):
        """All parameters as a plain dict (tuples stay tuples)."""
        return asdict(self)

    def with_overrides(self, overrides):
        """Return a copy with some parameters replaced.

        Parameters
        ----------
        overrides : mapping or None
            Parameter name -> value. ``camera_name`` cannot be overridden.

        Raises
        ------
        ConfigurationError
            On an unknown key (the message names it) or an invalid value.
        """
        if not overrides:
            return self
        if not hasattr(overrides, "items"):
            raise ConfigurationError(f"electronics overrides must be a mapping, got {type(overrides).__name__}")
        known = {f.name for f in fields(self)} - {"camera_name"}
        for key in overrides:
            if key not in known:
                raise ConfigurationError(f"unknown electronics parameter {key!r} for camera {self.camera_name!r}; "
                                         f"known parameters: {', '.join(sorted(known))}")
        return replace(self, **dict(overrides))


def _as_number(camera, key, value, kind):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(f"electronics {camera!r}: {key} must be a number, got {value!r}")
    if kind is int:
        if not float(value).is_integer():
            raise ConfigurationError(f"electronics {camera!r}: {key} must be an integer, got {value!r}")
        return int(value)
    value = float(value)
    if value != value:
        raise ConfigurationError(f"electronics {camera!r}: {key} must not be NaN")
    return value


def _as_tuple(camera, key, value, kind):
    if isinstance(value, (int, float, np.generic)) and not isinstance(value, bool):
        value = (value,)
    try:
        items = tuple(value)
    except TypeError:
        raise ConfigurationError(f"electronics {camera!r}: {key} must be a list of numbers, got {value!r}") from None
    return tuple(_as_number(camera, key, v, kind) for v in items)


# ---------------------------------------------------------------------------------------------
# defaults per camera
# ---------------------------------------------------------------------------------------------

# Single-pe amplitude models. PMTs: Gaussian sigma 0.3 plus 10 % exponential low-amplitude
# tail of mean 0.25 -> total rms / mean = 0.40, excess noise factor 1.16 (the brief's
# "0.3-0.4 of the mean"). SiPMs: narrow peaks, sigma 0.1, no tail (optical cross-talk is not
# modelled).
_PMT_SPE = dict(spe_sigma_rel=0.30, spe_exp_fraction=0.10, spe_exp_scale=0.25)
_SIPM_SPE = dict(spe_sigma_rel=0.10, spe_exp_fraction=0.0, spe_exp_scale=0.25)


def _defaults():
    common = dict(broken_pixel_fraction=0.0, dc_to_pe_error=0.0)
    # LST analog-sum threshold: 40 pe puts the peak of the 4-LST stereo trigger rate for an
    # E^-2.5 spectrum at ~23 GeV (18 pe gave 9.8 GeV, 45 pe 26 GeV; REFERENCE 3.6: LST-1
    # analysis threshold ~30 GeV), measured with simulation.validation.trigger_threshold.
    lst = ElectronicsParameters(
        camera_name="LSTCam", nsb_rate_ghz=0.24, **_PMT_SPE, transit_time_jitter_ns=0.7,
        gain_spread=0.0187, qe_spread=0.03, pedestal_adc=400.0, pedestal_spread_adc=4.0,
        amplitude_adc_per_pe=25.0, hg_lg_ratio=19.5, noise_adc=(6.7, 5.7), adc_max=(4095, 4095),
        trigger_offset_ns=15.0, trigger_type="analog_sum", trigger_threshold_pe=40.0,
        trigger_multiplicity=1, trigger_clip_pe=15.0, trigger_window_ns=0.0,
        trigger_search_margin_ns=5.0, **common)
    nectar = ElectronicsParameters(
        camera_name="NectarCam", nsb_rate_ghz=0.21, **_PMT_SPE, transit_time_jitter_ns=0.7,
        gain_spread=0.02, qe_spread=0.035, pedestal_adc=250.0, pedestal_spread_adc=2.5,
        amplitude_adc_per_pe=19.56, hg_lg_ratio=14.0, noise_adc=(3.6, 3.6), adc_max=(4095, 4095),
        trigger_offset_ns=24.0, trigger_type="majority", trigger_threshold_pe=4.75,
        trigger_multiplicity=3, trigger_clip_pe=1.0e6, trigger_window_ns=5.0,
        trigger_search_margin_ns=5.0, **common)
    flash = ElectronicsParameters(
        camera_name="FlashCam", nsb_rate_ghz=0.276, **_PMT_SPE, transit_time_jitter_ns=0.7,
        gain_spread=0.02, qe_spread=0.03, pedestal_adc=400.0, pedestal_spread_adc=4.0,
        amplitude_adc_per_pe=8.0, hg_lg_ratio=1.0, noise_adc=(2.0,), adc_max=(4095,),
        trigger_offset_ns=40.0, trigger_type="analog_sum", trigger_threshold_pe=36.0,
        trigger_multiplicity=1, trigger_clip_pe=30.0, trigger_window_ns=0.0,
        trigger_search_margin_ns=25.0, **common)
    chec = ElectronicsParameters(
        camera_name="CHEC", nsb_rate_ghz=0.014, **_SIPM_SPE, transit_time_jitter_ns=0.2,
        gain_spread=0.02, qe_spread=0.03, pedestal_adc=200.0, pedestal_spread_adc=2.0,
        amplitude_adc_per_pe=8.0, hg_lg_ratio=1.0, noise_adc=(1.5,), adc_max=(4095,),
        trigger_offset_ns=38.0, trigger_type="majority", trigger_threshold_pe=3.0,
        trigger_multiplicity=3, trigger_clip_pe=1.0e6, trigger_window_ns=8.0,
        trigger_search_margin_ns=12.0, **common)
    astri = ElectronicsParameters(
        camera_name="ASTRICam", nsb_rate_ghz=0.055, **_SIPM_SPE, transit_time_jitter_ns=0.2,
        gain_spread=0.02, qe_spread=0.03, pedestal_adc=500.0, pedestal_spread_adc=3.0,
        amplitude_adc_per_pe=20.0, hg_lg_ratio=20.0, noise_adc=(4.0, 2.0), adc_max=(16383, 16383),
        trigger_offset_ns=0.0, trigger_type="majority", trigger_threshold_pe=5.0,
        trigger_multiplicity=3, trigger_clip_pe=1.0e6, trigger_window_ns=15.0,
        trigger_pulse_fwhm_ns=15.0, trigger_search_margin_ns=25.0, **common)
    digicam = ElectronicsParameters(
        camera_name="DigiCam", nsb_rate_ghz=0.041, **_SIPM_SPE, transit_time_jitter_ns=0.2,
        gain_spread=0.02, qe_spread=0.03, pedestal_adc=250.0, pedestal_spread_adc=2.0,
        amplitude_adc_per_pe=6.0, hg_lg_ratio=1.0, noise_adc=(1.2,), adc_max=(4095,),
        trigger_offset_ns=80.0, trigger_type="majority", trigger_threshold_pe=4.0,
        trigger_multiplicity=3, trigger_clip_pe=1.0e6, trigger_window_ns=8.0,
        trigger_search_margin_ns=20.0, **common)
    sct = ElectronicsParameters(
        camera_name="SCTCam", nsb_rate_ghz=0.052, **_SIPM_SPE, transit_time_jitter_ns=0.2,
        gain_spread=0.02, qe_spread=0.03, pedestal_adc=200.0, pedestal_spread_adc=2.0,
        amplitude_adc_per_pe=8.0, hg_lg_ratio=1.0, noise_adc=(1.5,), adc_max=(4095,),
        trigger_offset_ns=25.0, trigger_type="majority", trigger_threshold_pe=3.5,
        trigger_multiplicity=3, trigger_clip_pe=1.0e6, trigger_window_ns=5.0,
        trigger_search_margin_ns=6.0, **common)
    return {p.camera_name: p for p in (lst, nectar, flash, chec, astri, digicam, sct)}


#: Default `ElectronicsParameters` of the built-in cameras, by camera name.
DEFAULT_ELECTRONICS = _defaults()


def electronics_camera_names():
    """Camera names that have default electronics parameters."""
    return tuple(DEFAULT_ELECTRONICS)


def default_electronics(camera_name, overrides=None):
    """Default electronics of a built-in camera, optionally with overrides.

    Parameters
    ----------
    camera_name : str
        Camera name (``"LSTCam"``) or telescope type name (``"LST_LST_LSTCam"``, the part
        after the last underscore is used).
    overrides : mapping or None
        Parameter name -> value, validated (see `ElectronicsParameters.with_overrides`).

    Returns
    -------
    ElectronicsParameters

    Raises
    ------
    ConfigurationError
        Unknown camera, unknown override key or invalid value.
    """
    key = str(camera_name)
    if key not in DEFAULT_ELECTRONICS and "_" in key:
        key = key.rsplit("_", 1)[1]
    try:
        params = DEFAULT_ELECTRONICS[key]
    except KeyError:
        raise ConfigurationError(f"no default electronics for camera {camera_name!r}; known cameras: "
                                 f"{', '.join(DEFAULT_ELECTRONICS)}") from None
    return params.with_overrides(overrides)
