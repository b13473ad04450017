# Campaigns (config 'output_root', see config/campaign-example.yaml): after every run that
# executed jobs, successful or not, write results/campaign_summary.csv with one row per run
# (ok / failed / missing, the failed stage and its error line; iactpipe.campaign).
# Run campaigns with --keep-going so that a failed run does not stop the others.

from iactpipe.campaign import RunRecord, Stage, write_summary

#: the campaign's working directory (output_root), fixed at parse time
CAMPAIGN_ROOT = os.getcwd()


def _in_campaign(*parts):
    """Absolute path of ``parts`` in the campaign tree."""
    return os.path.join(CAMPAIGN_ROOT, *parts)


def campaign_records():
    """`RunRecord` of every run: its per-run stages in workflow order, with outputs and logs."""
    with_models = bool(ml_targets())
    records = []
    for name in config["datasets"]:
        for run, dqm in zip(run_names(name), dqm_run_folders(name)):
            dl1 = _in_campaign("results/dl1", name, f"{run}.dl1.h5")
            stages = []
            if name not in STORED_RUNS:  # the raw file is temporary: the DL1 also proves it
                stages.append(Stage("simulate_run", (_in_campaign("results/raw", name, f"{run}.r0.h5"), dl1),
                                    _in_campaign("logs/simulate_run", name, f"{run}.log")))
            stages += [
                Stage("process_dl1", (dl1,), _in_campaign("logs/process_dl1", name, f"{run}.log")),
                Stage("reconstruct_stereo", (_in_campaign("results/dl2", name, f"{run}.dl2.h5"),),
                      _in_campaign("logs/reconstruct_stereo", name, f"{run}.log")),
                Stage("dqm_run", (_in_campaign(dqm),), _in_campaign("logs/dqm_run", name, f"{run}.log")),
            ]
            if with_models:
                stages.append(Stage("apply_models", (_in_campaign("results/dl2_ml", name, f"{run}.dl2.h5"),),
                                    _in_campaign("logs/apply_models", name, f"{run}.log")))
            source = STORED_RUNS.get(name, {}).get(run, "simulated")
            records.append(RunRecord(name, run, source, stages))
    return records


def write_campaign_summary():
    """Write results/campaign_summary.csv of a campaign (config with output_root)."""
    if not config.get("output_root"):
        return
    target = os.path.join(CAMPAIGN_ROOT, "results", "campaign_summary.csv")
    counts = write_summary(campaign_records(), target)
    totals = ", ".join(f"{n} {status}" for status, n in counts.items())
    print(f"campaign summary: {target}: {totals}")


onsuccess:
    write_campaign_summary()


onerror:
    write_campaign_summary()
