"""Multi-worker data-parallel training with kerasnn, on one machine.

Starts `--workers` processes on 127.0.0.1, each with its own `TF_CONFIG`,
trains the same kerasnn model under `tf.distribute.MultiWorkerMirroredStrategy`
and compares the per-epoch loss with a single process trained on the same
global batch, in the same run. Copy the `_worker` part to run on real machines:
only `TF_CONFIG` changes (the host:port of every worker, and this one's index).

    python benchmarks/multiworker.py --workers 2 --epochs 3
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=64,
                        help="global batch size, split across workers")
    parser.add_argument("--out", default=None,
                        help="JSON file for the figures (default: print only)")
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--result", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        return _worker(args)

    ports = [_free_port() for _ in range(args.workers)]
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    with tempfile.TemporaryDirectory() as tmp:
        result = os.path.join(tmp, "chief.json")
        start = time.perf_counter()
        procs = []
        for index in range(args.workers):
            env = {**os.environ, "KERAS_BACKEND": "tensorflow",
                   "TF_CONFIG": json.dumps({"cluster": cluster,
                                            "task": {"type": "worker",
                                                     "index": index}})}
            cmd = [sys.executable, os.path.abspath(__file__), "--worker", str(index),
                   "--epochs", str(args.epochs), "--samples", str(args.samples),
                   "--batch-size", str(args.batch_size), "--result", result]
            procs.append(subprocess.Popen(cmd, env=env))
        codes = [p.wait(timeout=600) for p in procs]
        multi_seconds = time.perf_counter() - start
        if any(codes):
            print(f"a worker failed: exit codes {codes}. With Keras 3 and "
                  "TensorFlow 2.16+, model.fit under MultiWorkerMirroredStrategy "
                  "fails while building the model ('Attempt to convert a value "
                  "(PerReplica...)'), an open Keras bug (keras-team/keras#20585); "
                  "MirroredStrategy on one machine and JAX DataParallel work.",
                  file=sys.stderr)
            return 1
        with open(result) as f:
            multi = json.load(f)
    start = time.perf_counter()
    single_losses = _train(None, args)
    single_seconds = time.perf_counter() - start

    figures = {
        "workers": multi["replicas"],
        "multiworker_loss": multi["losses"],
        "single_loss": single_losses,
        "max_abs_loss_gap": max(abs(a - b) for a, b in
                                zip(multi["losses"], single_losses)),
        "multiworker_seconds": round(multi_seconds, 2),
        "single_seconds": round(single_seconds, 2),
    }
    print(f"{'epoch':>5} {'multi-worker loss':>18} {'single-process loss':>20}")
    for epoch, (a, b) in enumerate(zip(multi["losses"], single_losses), start=1):
        print(f"{epoch:>5} {a:>18.6f} {b:>20.6f}")
    print(f"replicas in sync: {figures['workers']}; wall time "
          f"{multi_seconds:.1f} s (workers, start-up included) vs "
          f"{single_seconds:.1f} s (one process)")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(figures, f, indent=2)
    return 0


def _worker(args):
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    losses = _train(strategy, args)
    if json.loads(os.environ["TF_CONFIG"])["task"]["index"] == 0:
        with open(args.result, "w") as f:
            json.dump({"replicas": strategy.num_replicas_in_sync,
                       "losses": losses}, f)
    return 0


def _train(strategy, args):
    import numpy as np

    import kerasnn

    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.samples, 8)).astype("float32")
    y = (x @ rng.normal(size=8) + 0.1 * rng.normal(size=args.samples)).astype(
        "float32")
    model = kerasnn.build_model("regression", 8, hidden=[16], seed=0,
                                optimizer="sgd", learning_rate=0.01,
                                strategy=strategy)
    history = model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs,
                        shuffle=False, verbose=0)
    return [float(v) for v in history.history["loss"]]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
