# IRFs and DL3: cuts, GADF instrument response functions and sensitivity from the DL2 files
# with model predictions ('iactpipe irf'), and a simulated DL3 observation ('iactpipe dl3').
# Runs that trained the models are left out (--exclude-training).


rule make_irfs:
    input:
        dl2=lambda wildcards: irf_input_files(),
        models="results/models",
    output:
        irf=directory("results/irf"),
        plots=[
            report(
                f"results/plots/irf/{plot}.png",
                caption="../report/irf.rst",
                category="IRFs and sensitivity",
                labels={"figure": plot},
            )
            for plot in IRF_PLOTS
        ],
    log:
        main="logs/make_irfs/irf.log",
        config="logs/make_irfs/irf.config.yaml",
    benchmark:
        "logs/make_irfs/irf.benchmark.tsv"
    params:
        irf=irf_slice,
        plots=" ".join(IRF_PLOTS),
        version=IACTPIPE_VERSION,
    conda:
        "../envs/iactpipe.yaml"
    threads: 1
    resources:
        mem_mb=6000,
        runtime=60,
    shell:
        "printf '%s\\n' {params.irf:q} > {log.config} && "
        "iactpipe irf --input {input.dl2} --exclude-training {input.models} --output-dir {output.irf} "
        "--config {log.config} --overwrite > {log.main} 2>&1 && "
        "mkdir -p results/plots/irf && "
        "for plot in {params.plots}; do cp {output.irf}/$plot.png results/plots/irf/$plot.png; done"


rule make_dl3:
    input:
        dl2=lambda wildcards: irf_input_files(),
        models="results/models",
        irf="results/irf",
    output:
        directory("results/dl3"),
    log:
        main="logs/make_dl3/dl3.log",
        config="logs/make_dl3/dl3.config.yaml",
    benchmark:
        "logs/make_dl3/dl3.benchmark.tsv"
    params:
        irf=irf_slice,
        version=IACTPIPE_VERSION,
    conda:
        "../envs/iactpipe.yaml"
    threads: 1
    resources:
        mem_mb=6000,
        runtime=60,
    shell:
        "printf '%s\\n' {params.irf:q} > {log.config} && "
        "iactpipe dl3 --input {input.dl2} --exclude-training {input.models} --irf-dir {input.irf} "
        "--output-dir {output} --config {log.config} --overwrite > {log.main} 2>&1"
