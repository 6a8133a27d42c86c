"""lstm-workbench helpers: every piece of logic the notebooks call.

Modules, one concern each: config (validated parameters), recordings (reading inputs),
demo (the demo recordings), splits, windows, resampling (scaling + rebalancing), prepare
(stage 01), models, schedules, training (stage 02), evaluation + plots (stage 03), runs +
report (the pipeline), predict, experiments (sweep plan / runner / resume / progress /
tracking, compare + display for the comparison page, search), cli.
"""

__version__ = "0.1.0"
