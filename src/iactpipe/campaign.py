"""Campaign bookkeeping: the per-run status table of a workflow run.

A reprocessing campaign runs the workflow with ``--keep-going``: a run whose job fails does
not stop the others. At the end (success or failure) the workflow calls `write_summary`,
which looks at each run's stage outputs and logs and writes one CSV row per run:

- ``ok``: every stage's output exists;
- ``failed``: the first stage without output has a log (the job ran and failed, or was
  killed); ``error`` is the error line of that log;
- ``missing``: the first stage without output never ran (not reached yet).

Outputs are written atomically by the stages (``<output>.partial``, then a rename), so an
existing output is a complete one.
"""
import csv
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SUMMARY_COLUMNS", "Stage", "RunRecord", "error_line", "run_status", "write_summary"]

#: columns of campaign_summary.csv
SUMMARY_COLUMNS = ("dataset", "run", "input", "status", "stage", "error", "log")

#: longest error text kept in the table
MAX_ERROR_CHARS = 300

_ERROR_PATTERNS = (
    re.compile(r": error: "),                                   # iactpipe user errors (one line)
    re.compile(r"\w*(Error|Exception)\b|\b(ERROR|CRITICAL|Killed)\b"),  # last exception line, log levels
)


@dataclass(frozen=True)
class Stage:
    """One workflow stage of a run: its name, the outputs that prove success, its log."""

    name: str
    outputs: tuple
    log: str


@dataclass
class RunRecord:
    """A run of a dataset and its stages in workflow order."""

    dataset: str
    run: str
    input: str
    stages: list = field(default_factory=list)


def error_line(log_path):
    """The line of ``log_path`` that best states why the job failed.

    The last iactpipe ``<command>: error: ...`` line, else the last line with an error
    keyword, else the last non-empty line; ``""`` for an empty log.
    """
    try:
        lines = [line.strip() for line in Path(log_path).read_text(errors="replace").splitlines()]
    except OSError as error:
        return f"(log unreadable: {error})"
    lines = [line for line in lines if line]
    for pattern in _ERROR_PATTERNS:
        for line in reversed(lines):
            if pattern.search(line):
                return line[:MAX_ERROR_CHARS]
    return lines[-1][:MAX_ERROR_CHARS] if lines else ""


def run_status(stages):
    """``(status, stage, error, log)`` of a run from its `Stage` list (see the module doc)."""
    for stage in stages:
        if any(os.path.exists(path) for path in stage.outputs):
            continue
        if os.path.exists(stage.log):
            return "failed", stage.name, error_line(stage.log) or "(empty log)", stage.log
        return "missing", stage.name, "", ""
    return "ok", "", "", ""


def write_summary(records, path):
    """Write the status of every `RunRecord` to the CSV ``path`` (atomically).

    Returns a dict status -> number of runs.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    counts = {"ok": 0, "failed": 0, "missing": 0}
    with partial.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(SUMMARY_COLUMNS)
        for record in records:
            status, stage, error, log = run_status(record.stages)
            counts[status] += 1
            writer.writerow((record.dataset, record.run, record.input, status, stage, error, log))
    os.replace(partial, path)
    return counts
