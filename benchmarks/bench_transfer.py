"""Few-shot transfer: scratch, head only and fine-tuned, over shots and seeds.

    python benchmarks/bench_transfer.py [--split {0-4,5-9,evens}]
        [--shots 5 10 20] [--seeds 0 1 2] [--out runs/bench_transfer]

Runs the transfer recipe's own pipeline (`recipes.transfer.train_base` and
`few_shot`, with the recipe's defaults) on the embedded 5k MNIST subset. Per
seed the source model is trained once, on every image of the source digits
(training and test parts, as the recipe does), with the recipe's cosine head
on its conv features (Baseline++); then for each number of shots per
class, the same seeded picks of the few images train (a) the CNN from
scratch, (b) the swapped head alone and (c) the head and then the whole body
(fine-tuning). With the recipe's cosine head, "imprinted" is (b) before any
training step: the head set to the few images' mean features. Scored on
every test image of the target digits.

`--split 0-4` is the recipe's task (digits 0-4 -> 5-9), held out: no default
was chosen on it. The defaults were chosen on the other two: `--split 5-9`
(digits 5-9 -> 0-4) and `--split evens` (the even digits -> the odd ones),
which reads no test image of 5-9: its source model trains on the even
digits' training images and the test images of 0, 2 and 4, and the few-shot
models are scored on the odd digits' training images not drawn as shots.
On the splits scored on test images, each seed also trains the source
model's CNN, as the source model is trained, on every training image of the
target digits ("all labels"): the accuracy few-shot transfer can hope to
approach, so that "all labels - scratch" bounds the margin each number of
shots can reach. Prints mean and standard deviation over the seeds and
writes every figure to `--out`/bench_transfer_<split>.json.
"""

import argparse
import os
import shutil
import sys
import time

import keras
import numpy as np

from kerasnn.recipes import transfer
from kerasnn.recipes._common import MNIST
from kerasnn.recipes._common import load_npz
from kerasnn.recipes._common import set_seed
from kerasnn.recipes._common import stratified_split
from kerasnn.recipes._common import write_json

#: Source digits, target digits and the source digits whose test images the
#: source model reads: `evens` leaves out those of 6 and 8, which the
#: recipe's task scores.
SPLITS = {"0-4": ((0, 1, 2, 3, 4), (5, 6, 7, 8, 9), (0, 1, 2, 3, 4)),
          "5-9": ((5, 6, 7, 8, 9), (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)),
          "evens": ((0, 2, 4, 6, 8), (1, 3, 5, 7, 9), (0, 2, 4))}
MODELS = ("scratch", "imprinted", "head_only", "fine_tuned")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=sorted(SPLITS), default="0-4",
                        help="source digits: 0-4 (the default, the recipe's "
                             "task), 5-9 or evens")
    parser.add_argument("--shots", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", default=os.path.join("runs", "bench_transfer"))
    args = parser.parse_args(argv)
    source, target, source_test = SPLITS[args.split]
    x, y = load_npz(MNIST, "--data", ("x_train", "y_train"))
    x_test, y_test = load_npz(MNIST, "--data", ("x_test", "y_test"))
    keep = np.isin(y_test, source_test)
    x_source, y_source = transfer.source_images(
        (x, y), (x_test[keep], y_test[keep]), source)
    on_test = args.split != "evens"  # scored on the target's test images
    if on_test:
        on_target = np.isin(y_test, target)
        x_new, y_new = x_test[on_target], _labels(y_test[on_target], target)

    start = time.perf_counter()
    runs, bases, ceilings = [], [], []
    for seed in args.seeds:
        recipe = transfer.parse_args(["--out", args.out, "--seed", str(seed),
                                      "--quiet"])
        backup = os.path.join(args.out, f"backup-{args.split}-{seed}")
        base, result, _ = _train_source(recipe, x_source, y_source, backup)
        bases.append({"seed": seed, "seconds": round(result.seconds, 1),
                      "epochs": len(result.history["loss"])})
        for shots in args.shots:
            rng = np.random.default_rng(seed)  # the recipe's picks
            pick = rng.permutation(np.concatenate([
                rng.choice(np.flatnonzero(y == d), shots, replace=False)
                for d in target]))
            if not on_test:  # the target's training images not drawn
                rest = np.setdiff1d(np.flatnonzero(np.isin(y, target)), pick)
                x_new, y_new = x[rest], _labels(y[rest], target)
            set_seed(seed)
            scores, _ = transfer.few_shot(base, x[pick],
                                          _labels(y[pick], target),
                                          x_new, y_new, recipe)
            runs.append({"seed": seed, "shots": shots,
                         "n_scored": len(y_new),
                         **{key: scores[key]["accuracy"] for key in MODELS
                            if key in scores}})
            print(f"seed {seed}, {shots:2d} shots: " + ", ".join(
                f"{key} {runs[-1][key]:.4f}" for key in MODELS
                if key in runs[-1]), flush=True)
            keras.backend.clear_session()
        if on_test:  # after the picks: they stay as they were
            ceilings.append(_all_labels(recipe, (x, y), target, x_new, y_new,
                                        backup))
            print(f"seed {seed}, all labels: {ceilings[-1]['accuracy']:.4f} "
                  f"({ceilings[-1]['n_train']} images, "
                  f"{ceilings[-1]['seconds']} s)", flush=True)
            keras.backend.clear_session()
    minutes = (time.perf_counter() - start) / 60

    scored = sorted({r["n_scored"] for r in runs})
    print(f"\nDigits {_digits(source)} -> {_digits(target)}, scored on "
          f"{'/'.join(map(str, scored))} images, seeds {args.seeds}, "
          f"{keras.backend.backend()}, {minutes:.1f} min in all:")
    models = [key for key in MODELS if key in runs[0]]  # imprinted: cosine
    labels = {"scratch": "scratch", "imprinted": "imprinted, 0 steps",
              "head_only": "head only", "fine_tuned": "fine-tuned"}
    ceiling = [c["accuracy"] for c in ceilings]
    print("| shots per digit | " + " | ".join(labels[key] for key in models)
        + " | fine-tuned - scratch |"
        + (" all labels - scratch |" if ceiling else ""))
    print("| --- " * (len(models) + 2 + bool(ceiling)) + "|")
    table = {}
    for shots in args.shots:
        rows = [r for r in runs if r["shots"] == shots]
        cell = {key: (float(np.mean([r[key] for r in rows])),
                      float(np.std([r[key] for r in rows]))) for key in models}
        gain = [r["fine_tuned"] - r["scratch"] for r in rows]
        cell["gain"] = (float(np.mean(gain)), float(np.std(gain)))
        room = ""
        if ceiling:  # seeds in the same order as the rows
            bound = [c - r["scratch"] for c, r in zip(ceiling, rows)]
            cell["room"] = (float(np.mean(bound)), float(np.std(bound)))
            room = (f" {cell['room'][0] * 100:+.1f} ± "
                    f"{cell['room'][1] * 100:.1f} points |")
        table[shots] = cell
        print(f"| {shots} | " + " | ".join(
            f"{cell[key][0]:.4f} ± {cell[key][1]:.4f}" for key in models)
            + f" | {cell['gain'][0] * 100:+.1f} ± {cell['gain'][1] * 100:.1f}"
              " points |" + room)
    if ceiling:
        print(f"all labels ({ceilings[0]['n_train']} training images of the "
              f"target digits, trained as the source model): "
              f"{np.mean(ceiling):.4f} ± {np.std(ceiling):.4f}")
    print("source models: " + ", ".join(
        f"seed {b['seed']} {b['seconds']} s ({b['epochs']} epochs)"
        for b in bases))
    write_json(os.path.join(args.out, f"bench_transfer_{args.split}.json"),
               {"split": args.split, "backend": keras.backend.backend(),
                "base_head": recipe.base_head,
                "minutes": round(minutes, 1), "runs": runs, "bases": bases,
                "all_labels": ceilings,
                "table": {str(k): v for k, v in table.items()}})
    return 0


def _train_source(recipe, x, y, backup):
    """`train_base` on `(x, y)`, a tenth held out, never reloading `backup`.

    Returns the model, its training result and the number of images it
    trained on.
    """
    set_seed(recipe.seed)
    x_tr, y_tr, x_val, y_val = stratified_split(x, y, 0.1, recipe.seed)
    shutil.rmtree(backup, ignore_errors=True)  # train, never reload
    model, result = transfer.train_base(recipe, x_tr, y_tr, (x_val, y_val),
                                        backup, ())
    shutil.rmtree(backup, ignore_errors=True)
    return model, result, len(y_tr)


def _all_labels(recipe, train, target, x_new, y_new, backup):
    """The source model's CNN trained, as the source model is, on every
    training image of `target`; scored on `(x_new, y_new)`."""
    x, y = train
    keep = np.isin(y, target)
    model, result, n_train = _train_source(
        recipe, x[keep], _labels(y[keep], target), backup)
    accuracy = model.evaluate(x_new, y_new, batch_size=500, verbose=0)[1]
    return {"seed": recipe.seed, "accuracy": float(accuracy),
            "n_train": n_train, "seconds": round(result.seconds, 1)}


def _labels(digits, classes):
    """Digits as class indices 0, 1, ... in the order of `classes`."""
    return np.searchsorted(classes, digits)


def _digits(digits):
    if list(digits) == list(range(digits[0], digits[-1] + 1)):
        return f"{digits[0]}-{digits[-1]}"
    return ",".join(map(str, digits))


if __name__ == "__main__":
    sys.exit(main())
