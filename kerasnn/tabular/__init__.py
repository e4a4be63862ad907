"""The tabular model: a compiled model that takes raw DataFrame columns.

`model.build_tabular_model` and `TabularModel`; `tables` checks tables and
targets, `plan` reads the training table into a preprocessing plan, `layers`
holds the preprocessing layers, `ensemble` the TabM-style ensemble layers,
and `training.train_tabular` splits, trains and keeps the best run. The
private modules hold their parts: `_tabular_model` (`TabularModel`),
`_network` and `_targets` for `model`; `_training_checks`, `_fit_loop` and
`_epoch_log` for `training`.
"""
