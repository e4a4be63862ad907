"""A distributed `kerasnn.tune` search: one keras-tuner chief and its workers.

keras-tuner runs a search in parallel when each process is told its role by
three environment variables; the same script runs everywhere:

    KERASTUNER_TUNER_ID=chief  KERASTUNER_ORACLE_IP=127.0.0.1 KERASTUNER_ORACLE_PORT=8000 python my_search.py
    KERASTUNER_TUNER_ID=tuner0 KERASTUNER_ORACLE_IP=127.0.0.1 KERASTUNER_ORACLE_PORT=8000 python my_search.py
    KERASTUNER_TUNER_ID=tuner1 KERASTUNER_ORACLE_IP=127.0.0.1 KERASTUNER_ORACLE_PORT=8000 python my_search.py

The chief holds the oracle (which trial to run next) and trains nothing; each
worker asks it for a trial, trains it and reports back. All processes share
the search directory. This script starts the chief and `--workers` workers on
127.0.0.1, waits for the search to end, and prints the trials and how many
each worker ran:

    python benchmarks/distributed_tuning.py --workers 2 --trials 6 --out runs/dtune
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--search", default="random")
    parser.add_argument("--out", default="runs/distributed_tuning")
    parser.add_argument("--role", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.role is not None:
        return _search(args)

    os.makedirs(args.out, exist_ok=True)
    port = _free_port()
    roles = ["chief"] + [f"tuner{i}" for i in range(args.workers)]
    start = time.perf_counter()
    procs = []
    for role in roles:
        env = {**os.environ, "KERASTUNER_TUNER_ID": role,
               "KERASTUNER_ORACLE_IP": "127.0.0.1",
               "KERASTUNER_ORACLE_PORT": str(port)}
        cmd = [sys.executable, os.path.abspath(__file__), "--role", role,
               "--trials", str(args.trials), "--epochs", str(args.epochs),
               "--search", args.search, "--out", args.out]
        procs.append(subprocess.Popen(cmd, env=env))
        if role == "chief":
            time.sleep(2)  # let the oracle server start listening
    codes = [p.wait(timeout=900) for p in procs]
    seconds = time.perf_counter() - start
    if any(codes):
        print(f"a process failed: exit codes {dict(zip(roles, codes))}",
              file=sys.stderr)
        return 1
    with open(os.path.join(args.out, "chief.json")) as f:
        chief = json.load(f)
    runs = {role: _count_runs(args.out, role) for role in roles[1:]}
    summary = {"trials": chief["trials"], "runs_per_worker": runs,
               "best_score": chief["best_score"], "seconds": round(seconds, 1)}
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"{chief['trials']} trials finished in {seconds:.1f} s; trials trained "
          f"per worker: {runs}; best validation loss {chief['best_score']:.4f}")
    return 0


def _search(args):
    import keras
    import numpy as np

    import kerasnn

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 8)).astype("float32")
    y = (x[:, 0] - x[:, 1] + 0.3 * rng.normal(size=400) > 0).astype("int32")
    log = os.path.join(args.out, f"runs-{args.role}.txt")

    class RecordRun(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            with open(log, "a") as f:
                f.write("trial\n")

    trials = kerasnn.tune(
        x, y, builder=kerasnn.build_model, problem="binary",
        search=args.search, max_trials=args.trials, epochs=args.epochs,
        patience=2, seed=0, directory=os.path.join(args.out, "search"),
        project_name="dense", callbacks=[RecordRun()],
        search_space={"units": [8, 16, 32], "learning_rate": [1e-3, 3e-3, 1e-2]},
    ).trials
    if args.role == "chief":
        with open(os.path.join(args.out, "chief.json"), "w") as f:
            json.dump({"trials": int(len(trials)),
                       "best_score": float(trials["score"].iloc[0])}, f)
        print(trials.to_string(index=False))
    return 0


def _count_runs(out, role):
    path = os.path.join(out, f"runs-{role}.txt")
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        return sum(1 for _ in f)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
