# Template-likelihood reconstruction (docs/likelihood.md): image templates simulated once
# (cached), then a per-run fit of direction, core, energy and depth of every array event
# from the DL1 images, seeded by the Hillas intersection and the LightGBM energy.
#
# Runs when `likelihood: enabled: true` (needs `dl1: write_images: true`); the targets are
# the runs of `likelihood: datasets` (`likelihood_targets()` in common.smk).


# cached between workflows (snakemake --cache), hence no benchmark: directive
rule make_templates:
    output:
        "results/templates/templates.h5",
    log:
        main="logs/make_templates/templates.log",
        config="logs/make_templates/templates.config.yaml",
    params:
        templates=likelihood_templates_slice,
        version=IACTPIPE_VERSION,
    cache: "omit-software"
    conda:
        "../envs/iactpipe.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,
    shell:
        "printf '%s\\n' {params.templates:q} > {log.config} && "
        "iactpipe make-templates --config {log.config} --output {output} > {log.main} 2>&1"


rule fit_templates:
    input:
        dl1="results/dl1/{dataset}/run{run}.dl1.h5",
        dl2="results/dl2_ml/{dataset}/run{run}.dl2.h5",
        templates="results/templates/templates.h5",
    output:
        "results/dl2_fit/{dataset}/run{run}.dl2.h5",
    log:
        main="logs/fit_templates/{dataset}/run{run}.log",
        config="logs/fit_templates/{dataset}/run{run}.config.yaml",
    benchmark:
        "logs/fit_templates/{dataset}/run{run}.benchmark.tsv"
    params:
        fit=likelihood_fit_slice,
        version=IACTPIPE_VERSION,
    conda:
        "../envs/iactpipe.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=240,
    shell:
        "printf '%s\\n' {params.fit:q} > {log.config} && "
        "iactpipe fit-templates --dl1 {input.dl1} --dl2 {input.dl2} --templates {input.templates} "
        "--config {log.config} --output {output} > {log.main} 2>&1"
