"""Transfer learning: reuse a trained model's body for a new problem.

`heads` puts a new head on the body (`swap_head`) or imprints a cosine head
(`imprint`, with `cosine_classifier.CosineClassifier`); `fine_tuning` moves
the frozen/trainable boundary and runs the two-phase schedule, with the
augmented batches and per-variable rates of `fit_additions`.
"""
