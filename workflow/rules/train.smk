# Models: LightGBM energy, gamma/hadron and disp models trained on the DL2 files of the
# training datasets (config 'train:'); whole runs are held out for the test metrics.


rule train_models:
    input:
        gamma=lambda wildcards: training_files("gamma"),
        proton=lambda wildcards: training_files("proton"),
        electron=lambda wildcards: training_files("electron"),
    output:
        models=directory("results/models"),
        plots=[
            report(
                f"results/plots/ml/{plot}.png",
                caption="../report/ml.rst",
                category="Models",
                labels={"figure": plot.replace("_", " ")},
            )
            for plot in ML_PLOTS
        ],
    log:
        main="logs/train_models/train.log",
        config="logs/train_models/train.config.yaml",
    benchmark:
        "logs/train_models/train.benchmark.tsv"
    params:
        train=train_slice,
        particles=train_particle_flags,
        version=IACTPIPE_VERSION,
    conda:
        "../envs/iactpipe.yaml"
    threads: 2
    resources:
        mem_mb=6000,
        runtime=120,
    shell:
        "printf '%s\\n' {params.train:q} > {log.config} && "
        "iactpipe train {params.particles} --output-dir {output.models} --config {log.config} "
        "--plots results/plots/ml --threads {threads} > {log.main} 2>&1"
