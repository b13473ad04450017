"""Science check of a DL3 production: gammapy 1D spectral fit of the simulated Crab observation.

    python benchmarks/dl3_spectral_check.py [results/dl3]

Prints the fitted power-law index and flux at 1 TeV against the injected Crab (HEGRA):
index 2.62, 2.83e-11 TeV-1 cm-2 s-1 (issue target: index within +-0.15, flux within +-25 %).
"""
import sys

from iactpipe.irf.spectral_check import spectral_fit

INJECTED_INDEX, INJECTED_AMPLITUDE = 2.62, 2.83e-11


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    folder = argv[0] if argv else "results/dl3"
    fit = spectral_fit(folder)
    print(f"{folder}: fit {'ok' if fit['success'] else 'FAILED'}, {fit['n_on']} ON counts")
    print(f"index {fit['index']:.3f} +- {fit['index_error']:.3f} (injected {INJECTED_INDEX}; "
          f"difference {fit['index'] - INJECTED_INDEX:+.3f})")
    ratio = fit["amplitude_tev_cm2_s"] / INJECTED_AMPLITUDE - 1
    print(f"flux at 1 TeV {fit['amplitude_tev_cm2_s']:.3g} +- {fit['amplitude_error_tev_cm2_s']:.2g} TeV-1 cm-2 s-1 "
          f"(injected {INJECTED_AMPLITUDE:.3g}; {100 * ratio:+.1f} %)")
    return 0 if fit["success"] else 1


if __name__ == "__main__":
    sys.exit(main())
