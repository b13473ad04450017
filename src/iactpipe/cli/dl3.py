"""``iactpipe dl3``: a simulated observation as a GADF DL3 file, with HDU and OBS index tables."""
from ._common import command_parser, run_command, run_main

__all__ = ["main", "build_parser"]


def build_parser():
    parser = command_parser(
        "dl3",
        "Simulate one observation of a Crab-like point source at a chosen FoV offset plus the\n"
        "cosmic-ray background, drawn from simulated DL2 events by their weights, and write it\n"
        "as a GADF DL3 file (EVENTS, GTI, POINTING and the IRFs of 'iactpipe irf') together with\n"
        "hdu-index.fits.gz and obs-index.fits.gz (readable by gammapy's DataStore).",
        epilog="example:\n"
               "  iactpipe dl3 -i gamma_diffuse_101.h5 proton_201.h5 --irf-dir results/irf -o results/dl3 \\\n"
               "      --source-offset 0.5 --duration 0.5 --obs-id 1",
    )
    parser.add_argument("--input", "-i", nargs="+", required=True,
                        help="DL2 files (gammas, protons, electrons) after iactpipe apply")
    parser.add_argument("--irf-dir", required=True, help="output folder of iactpipe irf (cuts.ecsv, irf_*.fits.gz)")
    parser.add_argument("--output-dir", "-o", required=True, help="DL3 folder (obs_NNNNNN.fits.gz and index tables)")
    parser.add_argument("--config", "-c", default=None, help="YAML file with IRF/DL3 settings (see docs/irf.md)")
    parser.add_argument("--irf", choices=["point_like", "full_enclosure"], default="point_like",
                        help="IRF variant stored with the events (default: %(default)s)")
    parser.add_argument("--source-offset", type=float, default=None, help="source offset from the pointing (deg)")
    parser.add_argument("--duration", type=float, default=None, help="observation time (hours)")
    parser.add_argument("--obs-id", type=int, default=None, help="observation id")
    parser.add_argument("--start-time", default=None, help="start time, ISO UTC (e.g. 2026-01-15T00:00:00)")
    parser.add_argument("--seed", type=int, default=None, help="random seed")
    parser.add_argument("--exclude-training", metavar="MODELS_DIR",
                        help="skip input files whose runs trained the models in MODELS_DIR (iactpipe train)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    return parser


@run_command("dl3")
def run(args):
    from pathlib import Path

    from ..errors import ConfigurationError, InputFileError
    from ..irf.config import load_config
    from ..irf.dl3 import make_dl3

    for path in args.input:
        if not Path(path).is_file():
            raise InputFileError(path, "no such file")
    config = load_config(args.config)
    overrides = {"source_offset": args.source_offset, "duration_h": args.duration, "obs_id": args.obs_id,
                 "start_time": args.start_time, "seed": args.seed}
    dl3 = dict(config["dl3"])
    dl3.update({k: v for k, v in overrides.items() if v is not None})
    config = load_config({**{k: v for k, v in config.items() if k != "dl3"}, "dl3": dl3})
    try:
        from astropy.time import Time

        Time(config["dl3"]["start_time"], scale="utc")
    except ValueError:
        raise ConfigurationError(f"dl3.start_time: not an ISO time: {config['dl3']['start_time']!r}") from None
    inputs = list(args.input)
    if args.exclude_training:
        from ..ml.models import drop_training_files

        inputs = drop_training_files(inputs, args.exclude_training)
        if not inputs:
            raise InputFileError(args.exclude_training, "every input file holds runs these models were trained on")
    summary = make_dl3(inputs, args.irf_dir, args.output_dir, config, irf_kind=args.irf, overwrite=args.overwrite)
    print(f"wrote {summary['file']}: {summary['n_events']} events ({summary['n_signal']} signal, "
          f"{summary['n_background']} background), pointing RA {summary['ra_pnt']:.3f} Dec {summary['dec_pnt']:.3f} deg, "
          f"source RA {summary['ra_obj']:.3f} Dec {summary['dec_obj']:.3f} deg")
    return 0


def main(argv=None):
    """Run ``iactpipe dl3``; returns the exit code."""
    return run_main(build_parser(), argv, run)
