"""CTGAN on adult: train on synthetic, test on real, as training goes on.

    python benchmarks/bench_ctgan.py [--epochs 100] [--at 5 10 30 100]
                                     [--seed 0]

Adult (`../shared/data/adult/adult.csv`) is split 80/20, stratified,
`random_state=0`, as in `bench_synthetic.py`. `kerasnn.CTGAN` (its defaults
but `--epochs`) is fitted on the training part. At each epoch of `--at` it
samples as many rows as the training part, and scikit-learn's
`HistGradientBoostingClassifier` (default settings: seconds, not minutes) is
trained on them and scored on the real test part (TSTR). The same classifier
trained on the real training rows (TRTR) is the baseline, in the same run.
"""

import argparse
import os
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import keras
import numpy as np
import pandas as pd

import kerasnn

DATA = os.path.join(ROOT, "..", "shared", "data", "adult", "adult.csv")
TARGET, POSITIVE = "Salary", ">50K"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DATA)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--at", type=int, nargs="+",
                        default=[5, 10, 20, 30, 50, 75, 100])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from sklearn.model_selection import train_test_split

    df = pd.read_csv(args.data, skipinitialspace=True, na_values=["?"])
    train, test = train_test_split(df, test_size=0.2, random_state=0,
                                   stratify=df[TARGET])
    print(f"adult: {len(train)} training rows, {len(test)} test rows, "
          f"seed {args.seed}, CTGAN {args.epochs} epochs", flush=True)
    rows = [dict(_score(train, test, args.seed), epoch="real rows (TRTR)",
                 seconds=0.0)]
    print(_line(rows[-1]), flush=True)

    class Checkpoints(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            if epoch + 1 in args.at:
                seconds = time.perf_counter() - self.start
                made = gan.sample(len(train))
                rows.append(dict(_score(made, test, args.seed),
                                 epoch=epoch + 1, seconds=seconds))
                print(_line(rows[-1]), flush=True)

    gan = kerasnn.CTGAN(epochs=args.epochs, seed=args.seed)
    gan.fit(train, callbacks=[Checkpoints()])

    print("\n| trained on | CTGAN seconds | accuracy | ROC AUC | positive "
          "share |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        name = (r["epoch"] if isinstance(r["epoch"], str)
                else f"CTGAN rows, {r['epoch']} epochs")
        print(f"| {name} | {r['seconds']:.0f} | {r['accuracy']:.4f} | "
              f"{r['auc']:.4f} | {r['share']:.3f} |")


def _score(rows, test, seed):
    """HistGradientBoosting trained on `rows`, scored on the real `test`."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    # One category list per column for both tables, so codes agree.
    categories = {c: sorted(set(test[c].dropna()) | set(rows[c].dropna()))
                  for c in test.columns if c != TARGET
                  and not pd.api.types.is_numeric_dtype(test[c])}

    def features(frame):
        X = frame.drop(columns=TARGET)
        for column, values in categories.items():
            X[column] = X[column].astype(pd.CategoricalDtype(values))
        return X
    y = (rows[TARGET] == POSITIVE).to_numpy()
    if y.all() or not y.any():  # one class only: nothing to learn
        return {"accuracy": float("nan"), "auc": float("nan"),
                "share": float(y.mean())}
    model = HistGradientBoostingClassifier(categorical_features="from_dtype",
                                           random_state=seed)
    model.fit(features(rows), y)
    truth = (test[TARGET] == POSITIVE).to_numpy()
    p = model.predict_proba(features(test))[:, 1]
    return {"accuracy": float(np.mean((p > 0.5) == truth)),
            "auc": float(roc_auc_score(truth, p)), "share": float(y.mean())}


def _line(r):
    return (f"{r['epoch']}: accuracy {r['accuracy']:.4f} AUC {r['auc']:.4f} "
            f"positive share {r['share']:.3f} ({r['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
