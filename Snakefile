# iactpipe workflow: simulate raw runs, process them R0 -> DL1, reconstruct DL1 -> DL2,
# train the models and apply them, (optionally) fit image templates, IRFs, DL3, DQM.
#
#   snakemake --cores 4                                  # config/config.yaml
#   snakemake --cores 2 --configfile config/test.yaml    # tiny test production
#
# Rules live in workflow/rules/*.smk and call the `iactpipe` CLI; the configuration is
# validated against workflow/schemas/config.schema.yaml (see config/config.yaml).

import os

from snakemake.utils import min_version

min_version("9.0")


# A --configfile given on the command line replaces config/config.yaml instead of being
# merged into it (otherwise the datasets of both files would be produced).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


#: where snakemake was started (or its --directory): relative input globs start here
LAUNCH_DIR = os.getcwd()

# Campaigns: 'output_root' makes a new working directory, so results/, logs/ and the
# .snakemake/ metadata (locks, incomplete markers) of the campaign live in their own tree.
if config.get("output_root"):

    workdir: config["output_root"]


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/dl1.smk"
include: "workflow/rules/dl2.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/likelihood.smk"
include: "workflow/rules/dqm.smk"
include: "workflow/rules/irf.smk"
include: "workflow/rules/campaign.smk"


rule all:
    input:
        dl1_targets(),
        dl2_targets(),
        ml_targets(),
        likelihood_targets(),
        dqm_targets(),
        irf_targets(),
    default_target: True
