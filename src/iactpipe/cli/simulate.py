"""``iactpipe simulate``: simulate one run of showers seen by a built-in array, write raw HDF5."""
from ._common import command_parser, refuse_existing_output, run_command, run_main

__all__ = ["main", "build_parser"]


def build_parser():
    parser = command_parser(
        "simulate",
        "Simulate air showers (gamma, proton, electron) seen by a built-in array and write one raw\n"
        "HDF5 run file: instrument, run configuration, thrown-shower histogram, shower truth, R0\n"
        "waveforms of triggered telescopes, true images, array trigger, camera calibration.\n"
        "Settings come from the particle preset, then the 'simulation:' section of --config,\n"
        "then the options below. The same settings and seed give an identical file.",
        epilog="examples:\n"
               "  iactpipe simulate --particle gamma --n-showers 200 --run 1 --seed 42 --output gamma_1.h5\n"
               "  iactpipe simulate --particle proton --n-showers 1000 --run 7 --config config/config.yaml "
               "--output proton_7.h5",
    )
    parser.add_argument("--particle", choices=["gamma", "gamma-diffuse", "proton", "electron"],
                        help="primary particle (gamma: point-like; others diffuse); default gamma")
    parser.add_argument("--n-showers", type=int, help="showers to simulate (each reused --reuse times)")
    parser.add_argument("--run", type=int, help="run number (obs_id); also selects the random stream")
    parser.add_argument("--seed", type=int, help="base random seed (the run's seed is derived from it and --run)")
    parser.add_argument("--output", "-o", required=True, help="HDF5 file to write")
    parser.add_argument("--config", help="YAML file; its 'simulation:' section (or the whole file) sets defaults")
    parser.add_argument("--array", help="built-in array (see 'iactpipe instrument')")
    parser.add_argument("--reuse", type=int, dest="shower_reuse", help="core positions per shower")
    parser.add_argument("--energy-min", type=float, dest="energy_min_tev", help="minimum energy, TeV")
    parser.add_argument("--energy-max", type=float, dest="energy_max_tev", help="maximum energy, TeV")
    parser.add_argument("--spectral-index", type=float, help="dN/dE ~ E^index (e.g. -2.0)")
    parser.add_argument("--pointing-alt", type=float, dest="pointing_alt_deg", help="pointing altitude, deg")
    parser.add_argument("--pointing-az", type=float, dest="pointing_az_deg", help="pointing azimuth, deg (N=0, E=90)")
    parser.add_argument("--source-offset", type=float, dest="source_offset_deg",
                        help="point-source offset from the pointing, deg")
    parser.add_argument("--viewcone", type=float, dest="viewcone_max_deg", help="view-cone radius, deg (diffuse)")
    parser.add_argument("--scatter-radius", type=float, dest="scatter_radius_max_m", help="maximum core scatter, m")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


_OVERRIDES = ("particle", "n_showers", "run", "seed", "array", "shower_reuse", "energy_min_tev", "energy_max_tev",
              "spectral_index", "pointing_alt_deg", "pointing_az_deg", "source_offset_deg", "viewcone_max_deg",
              "scatter_radius_max_m")


def load_simulation_section(path):
    """The ``simulation:`` mapping of a YAML file (or the whole mapping if it has no such key)."""
    from ..errors import ConfigurationError
    from ..io.yaml_config import read_yaml_mapping

    data = read_yaml_mapping(path)
    section = data.get("simulation", data)
    if not isinstance(section, dict):
        raise ConfigurationError(f"{path}: 'simulation' must be a mapping")
    return section


@run_command("simulate")
def run(args):
    from ..simulation.config import SimulationConfig
    from ..simulation.run import simulate_run

    values = load_simulation_section(args.config) if args.config else {}
    values.update({key: getattr(args, key) for key in _OVERRIDES if getattr(args, key) is not None})
    config = SimulationConfig.from_dict(values)
    refuse_existing_output(args.output, args.overwrite)
    summary = simulate_run(config, args.output, argv=args.argv, progress=not args.no_progress,
                           overwrite=args.overwrite)
    print(f"wrote {args.output}: {summary.n_triggered} triggered of {summary.n_thrown} thrown events, "
          f"{summary.n_telescope_events} telescope events, {summary.wall_time_s:.1f} s")
    return 0


def main(argv=None):
    """Run ``iactpipe simulate``; returns the exit code."""
    return run_main(build_parser(), argv, run)
