"""The ``iactpipe`` entry point: help, dispatch, light imports, exit codes."""
import json
import subprocess
import sys

import pytest

from iactpipe.cli.main import COMMANDS, main


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


def test_no_arguments_prints_help(capsys):
    assert main([]) == 0
    assert "commands:" in capsys.readouterr().out


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"iactpipe {command}" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys):
    assert main(["no-such-command"]) == 2
    assert "unknown command" in capsys.readouterr().err


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("iactpipe ")


def test_help_does_not_import_the_heavy_stack():
    """``iactpipe --help`` must answer instantly: no numpy/numba/astropy/tables at import."""
    code = ("import sys; from iactpipe.cli.main import main; main(['--help']); "
            "print(sorted(m for m in ('numpy', 'numba', 'astropy', 'tables', 'pandas') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_console_script_installed():
    result = subprocess.run(["iactpipe", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "instrument" in result.stdout


def test_json_logging_format(tmp_path, capsys):
    """``--log-format json`` writes one JSON object per line to the log file."""
    log_file = tmp_path / "log.jsonl"
    assert main(["instrument", "--json", "--log-format", "json", "--log-level", "DEBUG",
                 "--log-file", str(log_file)]) == 0
    json.loads(capsys.readouterr().out)
    for line in log_file.read_text().splitlines():
        assert {"time", "level", "logger", "message"} <= set(json.loads(line))
