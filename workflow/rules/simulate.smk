# Simulation: one raw (R0) HDF5 file per run of a dataset.


rule simulate_run:
    output:
        raw_output("results/raw/{dataset}/run{run}.r0.h5"),
    log:
        main="logs/simulate_run/{dataset}/run{run}.log",
        config="logs/simulate_run/{dataset}/run{run}.config.yaml",
    benchmark:
        "logs/simulate_run/{dataset}/run{run}.benchmark.tsv"
    params:
        simulation=simulation_slice,
        version=IACTPIPE_VERSION,
    conda:
        "../envs/iactpipe.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=120,
    shell:
        "printf '%s\\n' {params.simulation:q} > {log.config} && "
        "iactpipe simulate --config {log.config} --output {output} --no-progress "
        "> {log.main} 2>&1"
