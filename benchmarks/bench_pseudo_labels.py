"""Pseudo-labels on adult with few labels: with and without the unlabelled rows.

    python benchmarks/bench_pseudo_labels.py [--labelled 0.05] [--seeds 0 1 2]
        [--threshold 0.95] [--rounds 2]

Adult (`../shared/data/adult/adult.csv`) is split 80/20, stratified,
`random_state=0`. Of the 80%, a stratified `--labelled` share keeps its labels
(the seed draws which); the rest are the unlabelled rows. Both runs hold out
the same labelled validation rows and use the same seed:

- **labelled only**: `kerasnn.train_tabular` on the labelled rows;
- **pseudo-labels**: `kerasnn.train_pseudo_labeled` on the labelled rows and
  the unlabelled ones.

Prints test accuracy and ROC AUC on the 20%, per seed and as means, and the
rows each round added.
"""

import argparse
import os
import statistics
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import numpy as np
import pandas as pd

import kerasnn
from kerasnn.tabular.training import split_rows

DATA = os.path.join(ROOT, "..", "shared", "data", "adult", "adult.csv")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DATA)
    parser.add_argument("--labelled", type=float, default=0.05)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threshold", type=float, default=0.95)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    df = pd.read_csv(args.data, skipinitialspace=True, na_values=["?"])
    X, y = df.drop(columns=["Salary"]), df["Salary"]
    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0, stratify=y)
    print(f"adult: {len(X_pool)} training rows, {args.labelled:.0%} labelled;"
          f" {len(X_test)} test rows; threshold {args.threshold}, "
          f"{args.rounds} rounds")

    runs = []
    for seed in args.seeds:
        labelled, _ = train_test_split(
            np.arange(len(X_pool)), train_size=args.labelled,
            random_state=seed, stratify=y_pool)
        unlabelled = np.setdiff1d(np.arange(len(X_pool)), labelled)
        X_l, y_l = X_pool.iloc[labelled], y_pool.iloc[labelled].to_numpy()
        X_u = X_pool.iloc[unlabelled]
        # The split train_pseudo_labeled makes of the labelled rows.
        train, val = split_rows(y_l, 0.2, True, seed)
        row = {"seed": seed}
        start = time.perf_counter()
        base = kerasnn.train_tabular(
            X_l.iloc[train], y_l[train], problem="binary",
            validation_data=(X_l.iloc[val], y_l[val]), seed=seed).model
        row["labelled_seconds"] = time.perf_counter() - start
        start = time.perf_counter()
        result = kerasnn.train_pseudo_labeled(
            X_l, y_l, X_u, threshold=args.threshold, rounds=args.rounds,
            problem="binary", seed=seed)
        row["pseudo_seconds"] = time.perf_counter() - start
        for name, model in (("labelled", base), ("pseudo", result.model)):
            p = model.predict(X_test, verbose=0).reshape(-1)
            positive = model.classes[1]
            row[f"{name}_accuracy"] = float(np.mean(
                kerasnn.predict_labels(model, X_test) == y_test.to_numpy()))
            row[f"{name}_auc"] = float(roc_auc_score(y_test == positive, p))
        row["rounds"] = result.rounds.to_dict("list")
        runs.append(row)
        print(f"seed {seed}: labelled only acc {row['labelled_accuracy']:.4f} "
              f"AUC {row['labelled_auc']:.4f} ({row['labelled_seconds']:.0f} s)"
              f" | pseudo-labels acc {row['pseudo_accuracy']:.4f} AUC "
              f"{row['pseudo_auc']:.4f} ({row['pseudo_seconds']:.0f} s) | "
              f"rows added per round {row['rounds']['pseudo_rows'][1:]}, "
              f"kept round {_kept(result.rounds)}", flush=True)

    print("\n| measure | labelled only | with pseudo-labels | difference |")
    print("| --- | --- | --- | --- |")
    for metric in ("accuracy", "auc"):
        a = [r[f"labelled_{metric}"] for r in runs]
        b = [r[f"pseudo_{metric}"] for r in runs]
        print(f"| test {metric}, mean (std) of {len(runs)} seeds | "
              f"{statistics.mean(a):.4f} ({statistics.pstdev(a):.4f}) | "
              f"{statistics.mean(b):.4f} ({statistics.pstdev(b):.4f}) | "
              f"{statistics.mean(b) - statistics.mean(a):+.4f} |")


def _kept(rounds):
    return int(rounds.loc[rounds["val_loss"].idxmin(), "round"])


if __name__ == "__main__":
    main()
