"""Autoencoders on MNIST: anomaly scores, and pretraining for few labels.

    python benchmarks/bench_autoencoder.py [--seeds 0 1 2] [--labels 10]
        [--epochs 20] [--out runs/bench_autoencoder]

On the embedded 5k MNIST subset (500 training images per digit, 5000 test
images), with `kerasnn.build_autoencoder` (dense, pixels / 255, sigmoid
output, code of 32):

1. **Anomaly scores.** The autoencoder trains on the training images of
   digits 0-4 only; each test image is scored by its reconstruction error
   (`kerasnn.reconstruction_error`), digits 5-9 being the
   anomalies. Prints the ROC AUC beside PCA's reconstruction error with as
   many components as the code (scikit-learn, fitted on the same images).
2. **Pretraining.** The autoencoder trains on all 5000 training images, their
   labels unused. Then `--labels` images per digit train a classifier: the
   pretrained encoder up to its hidden layer (784 -> 128, before the code)
   under a new head (`kerasnn.swap_head`, the head alone, then the whole
   network at a lower rate: `kerasnn.fine_tune`), against the same layers
   from random weights trained on the same images.
   Prints test accuracy on all 5000 test images.

Every figure is a mean (and standard deviation) over `--seeds`, each seed
drawing its own labelled images; JSON in `--out`.
"""

import argparse
import os
import statistics
import time

import keras
import numpy as np

import kerasnn
from kerasnn.recipes._common import MNIST
from kerasnn.recipes._common import load_npz
from kerasnn.recipes._common import write_json


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--labels", type=int, default=10,
                        help="labelled images per digit (default 10)")
    parser.add_argument("--epochs", type=int, default=20,
                        help="autoencoder epochs (default 20)")
    parser.add_argument("--out", default=os.path.join("runs",
                                                      "bench_autoencoder"))
    args = parser.parse_args(argv)
    from sklearn.decomposition import PCA
    from sklearn.metrics import roc_auc_score

    x, y = load_npz(MNIST, "--data", ("x_train", "y_train"))
    x_test, y_test = load_npz(MNIST, "--data", ("x_test", "y_test"))
    # load_npz gives pixels / 255 in (n, 28, 28, 1).
    flat, flat_test = x.reshape(len(x), -1), x_test.reshape(len(x_test), -1)
    normal = y < 5
    anomaly = (y_test >= 5).astype(int)
    print(f"backend={keras.backend.backend()} train={len(x)} test={len(x_test)}"
          f" labels per digit={args.labels} epochs={args.epochs}")

    rows = []
    start = time.perf_counter()
    for seed in args.seeds:
        row = {"seed": seed}
        # 1. Anomaly scores: normal = digits 0-4.
        keras.utils.set_random_seed(seed)
        detector = kerasnn.build_autoencoder((28, 28, 1), output_activation="sigmoid",
                                     seed=seed)
        detector.fit(x[normal], x[normal], epochs=args.epochs, batch_size=64,
                     verbose=0)
        scores = kerasnn.reconstruction_error(detector, x_test)
        row["anomaly_auc"] = roc_auc_score(anomaly, scores)
        code = detector.get_layer("encoder").output_shape[-1]
        pca = PCA(code, random_state=seed).fit(flat[normal])
        rebuilt = pca.inverse_transform(pca.transform(flat_test))
        row["anomaly_auc_pca"] = roc_auc_score(
            anomaly, ((rebuilt - flat_test) ** 2).mean(axis=1))

        # 2. Pretraining on all images, labels unused.
        keras.utils.set_random_seed(seed)
        pretrained = kerasnn.build_autoencoder((28, 28, 1), output_activation="sigmoid",
                                       seed=seed)
        pretrained.fit(x, x, epochs=args.epochs, batch_size=64, verbose=0)
        picks = _few(y, args.labels, seed)
        x_few, y_few = x[picks], y[picks]
        encoder = pretrained.get_layer("encoder")
        # The 128 features before the code: on 1000 validation images drawn
        # from the training set (seed 0), they beat the 32-unit code.
        model = kerasnn.swap_head(encoder, "multiclass", n_classes=10,
                                  cut="hidden_1_relu", seed=seed)
        kerasnn.fine_tune(model, x_few, y_few, head_epochs=100, epochs=50,
                          learning_rate=1e-4, head_learning_rate=1e-3,
                          batch_size=32, verbose=0)
        row["pretrained"] = _accuracy(model, x_test, y_test)

        keras.utils.set_random_seed(seed)
        fresh = kerasnn.build_autoencoder((28, 28, 1), output_activation="sigmoid",
                                  seed=seed + 1000)
        scratch = kerasnn.swap_head(fresh.get_layer("encoder"), "multiclass",
                                    n_classes=10, cut="hidden_1_relu",
                                    freeze=False, seed=seed)
        scratch.fit(x_few, y_few, epochs=150, batch_size=32, verbose=0)
        row["scratch"] = _accuracy(scratch, x_test, y_test)
        rows.append(row)
        print(f"seed {seed}: anomaly AUC autoencoder {row['anomaly_auc']:.4f}"
              f" PCA {row['anomaly_auc_pca']:.4f} | {args.labels}/digit: "
              f"pretrained {row['pretrained']:.4f} scratch "
              f"{row['scratch']:.4f}", flush=True)
    seconds = time.perf_counter() - start

    summary = {k: (statistics.mean(r[k] for r in rows),
                   statistics.pstdev(r[k] for r in rows))
               for k in ("anomaly_auc", "anomaly_auc_pca", "pretrained",
                         "scratch")}
    print(f"\nmean (std) over seeds {args.seeds}, {seconds:.0f} s")
    print("| measure | kerasnn autoencoder | baseline | difference |")
    print("| --- | --- | --- | --- |")
    (a, sa), (b, sb) = summary["anomaly_auc"], summary["anomaly_auc_pca"]
    print(f"| anomaly ROC AUC, digits 5-9 vs 0-4 (baseline: PCA) | "
          f"{a:.4f} ({sa:.4f}) | {b:.4f} ({sb:.4f}) | {a - b:+.4f} |")
    (a, sa), (b, sb) = summary["pretrained"], summary["scratch"]
    print(f"| accuracy, {args.labels} labels per digit (baseline: scratch) | "
          f"{a:.4f} ({sa:.4f}) | {b:.4f} ({sb:.4f}) | {a - b:+.4f} |")
    os.makedirs(args.out, exist_ok=True)
    write_json(os.path.join(args.out, "bench_autoencoder.json"),
               {"args": vars(args), "runs": rows, "seconds": seconds,
                "summary": summary})


def _few(y, per_class, seed):
    rng = np.random.default_rng(seed)
    return np.concatenate([
        rng.choice(np.flatnonzero(y == c), per_class, replace=False)
        for c in np.unique(y)])


def _accuracy(model, x, y):
    return float(np.mean(np.argmax(model.predict(x, verbose=0), axis=1) == y))


if __name__ == "__main__":
    main()
