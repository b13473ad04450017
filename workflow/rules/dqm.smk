# Data-quality monitoring: per-run plots and summaries, outlier runs per dataset, and the
# figures of the Snakemake report (snakemake --report results/report.html).


rule dqm_run:
    input:
        dl1="results/dl1/{dataset}/run{run}.dl1.h5",
        raw=dqm_raw_input,  # [] for sim_telarray runs: no pedestal maps
    output:
        report(
            directory("results/plots/dqm/{dataset}/run{run}"),
            patterns=["{name}.png"],
            caption="../report/dqm_run.rst",
            category="Data quality",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "run": "{run}", "figure": "{name}"},
        ),
    log:
        "logs/dqm_run/{dataset}/run{run}.log",
    benchmark:
        "logs/dqm_run/{dataset}/run{run}.benchmark.tsv"
    params:
        raw=dqm_raw_flag,
        version=IACTPIPE_VERSION,
    conda:
        "../envs/iactpipe.yaml"
    # consume the (large, temporary) raw file before more runs are simulated: bounds the disk use
    priority: 10
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    shell:
        "iactpipe dqm run --input {input.dl1} {params.raw} --output-dir {output} --overwrite "
        "--label {wildcards.dataset}_{wildcards.run} > {log} 2>&1"


rule dqm_compare:
    input:
        lambda wildcards: dqm_run_folders(wildcards.dataset),
    output:
        table=report(
            "results/plots/dqm/{dataset}/outliers/outliers.html",
            caption="../report/dqm_outliers.rst",
            category="Data quality",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "figure": "outlier runs"},
        ),
        plot=report(
            "results/plots/dqm/{dataset}/outliers/run_metrics.png",
            caption="../report/dqm_outliers.rst",
            category="Data quality",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "figure": "run metrics"},
        ),
    log:
        "logs/dqm_compare/{dataset}.log",
    benchmark:
        "logs/dqm_compare/{dataset}.benchmark.tsv"
    params:
        folder="results/plots/dqm/{dataset}/outliers",
        version=IACTPIPE_VERSION,
    conda:
        "../envs/iactpipe.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "iactpipe dqm compare {input} --output-dir {params.folder} --overwrite > {log} 2>&1"


# Gallery of reconstructed array events (image axes, true and reconstructed core/direction).
rule dqm_events:
    input:
        "results/dl2/{dataset}/run{run}.dl2.h5",
    output:
        report(
            directory("results/plots/events/{dataset}/run{run}"),
            patterns=["{name}.png"],
            caption="../report/dqm_events.rst",
            category="Data quality",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "run": "{run}", "figure": "{name}"},
        ),
    log:
        "logs/dqm_events/{dataset}/run{run}.log",
    benchmark:
        "logs/dqm_events/{dataset}/run{run}.benchmark.tsv"
    params:
        version=IACTPIPE_VERSION,
    conda:
        "../envs/iactpipe.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "iactpipe dqm events --input {input} --output-dir {output} --overwrite > {log} 2>&1"
