"""``iactpipe irf``: DL2 simulations -> cuts, IRFs (GADF), sensitivity, performance tables."""
from ._common import command_parser, run_command, run_main

__all__ = ["main", "build_parser"]


def build_parser():
    parser = command_parser(
        "irf",
        "Weight simulated DL2 events (gammas, protons, electrons; any mix of runs) to target\n"
        "spectra, choose gamma-score and direction cuts per reconstructed-energy bin, and write\n"
        "the cuts table, point-like and full-enclosure IRFs in GADF FITS (effective area, energy\n"
        "dispersion, PSF, background, RAD_MAX), the differential sensitivity (ECSV, FITS, plot)\n"
        "and resolution/bias tables into one folder.",
        epilog="example:\n"
               "  iactpipe irf -i gamma_1.h5 gamma_diffuse_101.h5 proton_201.h5 -o results/irf \\\n"
               "      --config irf.yaml\n\n"
               "configuration keys: see docs/irf.md (unknown keys are an error)",
    )
    parser.add_argument("--input", "-i", nargs="+", required=True,
                        help="DL2 files with energy and gamma score (output of iactpipe apply)")
    parser.add_argument("--output-dir", "-o", required=True, help="folder for the products")
    parser.add_argument("--config", "-c", default=None, help="YAML file with IRF settings (see docs/irf.md)")
    parser.add_argument("--geometry", default=None, help="DL2 geometry algorithm (default HillasReconstructor)")
    parser.add_argument("--energy", default=None, help="DL2 energy algorithm (default LGBMRegressor)")
    parser.add_argument("--classification", default=None, help="DL2 classification algorithm (default LGBMClassifier)")
    parser.add_argument("--exclude-training", metavar="MODELS_DIR",
                        help="skip input files whose runs trained the models in MODELS_DIR (iactpipe train)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing products")
    return parser


def _config(args):
    from ..irf.config import load_config

    config = load_config(args.config)
    for key in ("geometry", "energy", "classification"):
        value = getattr(args, key)
        if value:
            config["columns"][key] = value
    return config


@run_command("irf")
def run(args):
    from pathlib import Path

    from ..errors import InputFileError
    from ..irf.pipeline import make_irfs

    for path in args.input:
        if not Path(path).is_file():
            raise InputFileError(path, "no such file")
    inputs = list(args.input)
    if args.exclude_training:
        from ..ml.models import drop_training_files

        inputs = drop_training_files(inputs, args.exclude_training)
        if not inputs:
            raise InputFileError(args.exclude_training, "every input file holds runs these models were trained on")
    summary = make_irfs(inputs, args.output_dir, _config(args), overwrite=args.overwrite)
    line = (f"wrote {args.output_dir}: IRFs from {summary['irf_full_enclosure_n_gammas']} gammas "
            f"(point-like {summary['irf_point_like_n_gammas']}), background {summary['irf_full_enclosure_bkg']}")
    if "sensitivity_1TeV_erg_cm2_s" in summary:
        line += (f"; sensitivity near 1 TeV {summary['sensitivity_1TeV_erg_cm2_s']:.3g} erg cm-2 s-1 "
                 f"({100 * summary['sensitivity_1TeV_relative_crab']:.3g} % Crab)")
    print(line)
    return 0


def main(argv=None):
    """Run ``iactpipe irf``; returns the exit code."""
    return run_main(build_parser(), argv, run)
