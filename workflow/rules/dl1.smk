# R0 -> DL1: calibration, charge extraction, cleaning and image parameters, one job per run.


# The input is the simulated raw file, or for datasets of stored files (simtel: / r0:)
# the stored file itself (see dl1_input in common.smk).
rule process_dl1:
    input:
        dl1_input,
    output:
        "results/dl1/{dataset}/run{run}.dl1.h5",
    log:
        main="logs/process_dl1/{dataset}/run{run}.log",
        config="logs/process_dl1/{dataset}/run{run}.config.yaml",
    benchmark:
        "logs/process_dl1/{dataset}/run{run}.benchmark.tsv"
    params:
        dl1=dl1_slice,
        flags=dl1_flags,
        version=IACTPIPE_VERSION,
    conda:
        "../envs/iactpipe.yaml"
    # consume the (large, temporary) raw file before more runs are simulated: bounds the disk use
    priority: 10
    threads: 1
    resources:
        mem_mb=4000,
        runtime=120,
    shell:
        "printf '%s\\n' {params.dl1:q} > {log.config} && "
        "iactpipe process --input {input} --output {output} --config {log.config} "
        "{params.flags} --n-jobs {threads} --no-progress "
        "> {log.main} 2>&1"
