"""Side features, built on the core and never imported by it.

`synthetic.sample_rows` and `ctgan.CTGAN` (synthetic rows),
`pseudo_labels.train_pseudo_labeled` (semi-supervised training), and
`tuning` (`tune`, a keras-tuner search, and `cross_validate`). The core
imports one of them only inside a call that asks for it
(`train_tabular(oversample="sample")`).
"""
