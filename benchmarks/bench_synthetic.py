"""Synthetic rows on adult: train on synthetic, test on real; minority recall.

    python benchmarks/bench_synthetic.py [--seed 0] [--minority 0.05]

Adult (`../shared/data/adult/adult.csv`) is split 80/20, stratified,
`random_state=0`; every model is `kerasnn.train_tabular` with its defaults
and `--seed`, scored on the same real 20%.

1. **TSTR** (train on synthetic, test on real), the field's measure of
   synthetic rows: a model trained on as many rows as the real training part
   made by `kerasnn.sample_rows` from it (per class), or by `kerasnn.CTGAN`
   fitted on it (`--gan-epochs`), against the same model trained on the
   real rows (TRTR).
2. **Imbalance**: the training part's `>50K` rows are cut down to
   `--minority` of the rows; recall of `>50K` (and accuracy, ROC AUC) with no
   oversampling, `oversample="smote"`, `oversample="sample"` and CTGAN rows
   (fitted on the slice, sampled under the condition `Salary=">50K"`) up to
   the majority's count.
"""

import argparse
import os
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import numpy as np
import pandas as pd

import kerasnn

DATA = os.path.join(ROOT, "..", "shared", "data", "adult", "adult.csv")
POSITIVE = ">50K"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DATA)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--minority", type=float, default=0.05)
    parser.add_argument("--gan-epochs", type=int, default=30)
    args = parser.parse_args(argv)
    from sklearn.model_selection import train_test_split

    df = pd.read_csv(args.data, skipinitialspace=True, na_values=["?"])
    X, y = df.drop(columns=["Salary"]), df["Salary"].to_numpy()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0, stratify=y)

    rows = []
    print(f"adult: {len(X_train)} training rows, {len(X_test)} test rows, "
          f"seed {args.seed}")
    synthetic_X, synthetic_y = kerasnn.sample_rows(
        X_train, len(X_train), y=y_train, seed=args.seed)
    rows.append(_run("TRTR: real rows", X_train, y_train, X_test, y_test,
                     args.seed))
    rows.append(_run("TSTR: sample_rows", synthetic_X, synthetic_y, X_test,
                     y_test, args.seed))
    start = time.perf_counter()
    gan = kerasnn.CTGAN(epochs=args.gan_epochs, seed=args.seed).fit(
        X_train.assign(Salary=y_train))
    fitted = time.perf_counter() - start
    made = gan.sample(len(X_train))
    print(f"CTGAN: {args.gan_epochs} epochs in {fitted:.0f} s")
    rows.append(_run(f"TSTR: CTGAN ({args.gan_epochs} epochs)",
                     made.drop(columns="Salary"), made["Salary"].to_numpy(),
                     X_test, y_test, args.seed))

    rng = np.random.default_rng(args.seed)
    positive = np.flatnonzero(y_train == POSITIVE)
    negative = np.flatnonzero(y_train != POSITIVE)
    keep = int(round(len(negative) * args.minority / (1 - args.minority)))
    kept = np.sort(np.concatenate([negative, rng.choice(positive, keep,
                                                        replace=False)]))
    X_small, y_small = X_train.iloc[kept], y_train[kept]
    print(f"imbalanced slice: {len(kept)} rows, {keep} of class {POSITIVE} "
          f"({keep / len(kept):.1%})")
    for oversample in (None, "smote", "sample"):
        rows.append(_run(f"imbalanced, oversample={oversample}", X_small,
                         y_small, X_test, y_test, args.seed,
                         oversample=oversample))
    # CTGAN fitted on the slice, conditioned on the minority class.
    gan = kerasnn.CTGAN(epochs=args.gan_epochs, seed=args.seed).fit(
        X_small.assign(Salary=y_small))
    extra = gan.sample(int((y_small != POSITIVE).sum() - keep),
                       condition={"Salary": POSITIVE}, max_tries=50)
    rows.append(_run("imbalanced, CTGAN rows of >50K", pd.concat(
        [X_small, extra.drop(columns="Salary")], ignore_index=True),
        np.concatenate([y_small, extra["Salary"].to_numpy()]), X_test, y_test,
        args.seed))

    print("\n| training rows | accuracy | ROC AUC | recall of >50K | seconds |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['name']} | {r['accuracy']:.4f} | {r['auc']:.4f} | "
              f"{r['recall']:.4f} | {r['seconds']:.0f} |")


def _run(name, X, y, X_test, y_test, seed, **options):
    from sklearn.metrics import recall_score
    from sklearn.metrics import roc_auc_score

    start = time.perf_counter()
    model = kerasnn.train_tabular(X, y, problem="binary", seed=seed,
                                  **options).model
    seconds = time.perf_counter() - start
    p = model.predict(X_test, verbose=0).reshape(-1)
    if model.classes[1] != POSITIVE:
        p = 1 - p
    labels = kerasnn.predict_labels(model, X_test)
    row = {"name": name, "seconds": seconds,
           "accuracy": float(np.mean(labels == y_test)),
           "auc": float(roc_auc_score(y_test == POSITIVE, p)),
           "recall": float(recall_score(y_test == POSITIVE,
                                        labels == POSITIVE))}
    print(f"{name}: accuracy {row['accuracy']:.4f} AUC {row['auc']:.4f} "
          f"recall {row['recall']:.4f} ({seconds:.0f} s)", flush=True)
    return row


if __name__ == "__main__":
    main()
