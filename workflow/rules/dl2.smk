# DL1 -> DL2: join the telescopes into array events and reconstruct the shower geometry
# (direction, core, h_max, impact distances), one job per run.


rule reconstruct_stereo:
    input:
        "results/dl1/{dataset}/run{run}.dl1.h5",
    output:
        "results/dl2/{dataset}/run{run}.dl2.h5",
    log:
        main="logs/reconstruct_stereo/{dataset}/run{run}.log",
        config="logs/reconstruct_stereo/{dataset}/run{run}.config.yaml",
    benchmark:
        "logs/reconstruct_stereo/{dataset}/run{run}.benchmark.tsv"
    params:
        dl2=dl2_slice,
        version=IACTPIPE_VERSION,
    conda:
        "../envs/iactpipe.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    shell:
        "printf '%s\\n' {params.dl2:q} > {log.config} && "
        "iactpipe reconstruct --input {input} --output {output} --config {log.config} "
        "> {log.main} 2>&1"


# DL2 -> DL2 with the models: energy, gamma score and disp direction per event.
rule apply_models:
    input:
        dl2="results/dl2/{dataset}/run{run}.dl2.h5",
        models="results/models",
    output:
        "results/dl2_ml/{dataset}/run{run}.dl2.h5",
    log:
        "logs/apply_models/{dataset}/run{run}.log",
    benchmark:
        "logs/apply_models/{dataset}/run{run}.benchmark.tsv"
    params:
        version=IACTPIPE_VERSION,
    conda:
        "../envs/iactpipe.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,
    shell:
        "iactpipe apply --input {input.dl2} --models {input.models} --output {output} > {log} 2>&1"
