"""Steps per second of data-parallel training: 1 process against N, on JAX.

Starts the processes on 127.0.0.1 (CPU, one device each, through
`kerasnn.initialize_data_parallel` and the KERAS_DISTRIBUTION_* variables),
trains the same `kerasnn.build_model` MLP on the same global batches, and
reports the steps per second after the first epoch (which compiles) and the
per-epoch losses of each run, which should agree.

    python benchmarks/multiprocess.py --processes 2 --epochs 4
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap

_CHILD = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    import tensorflow as tf
    import keras
    import kerasnn

    samples, width, batch, epochs = map(int, sys.argv[2:6])
    info = kerasnn.initialize_data_parallel(timeout=60)
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(samples, width)).astype("float32")
    y = (x[:, :4].sum(axis=1) > 0).astype("float32")
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(
        batch, drop_remainder=True)
    model = kerasnn.build_model("binary", width, hidden=[512, 512], seed=0)

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()
        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    times = []
    history = model.fit(data, epochs=epochs, verbose=0, callbacks=[Clock()])
    steps = samples // batch
    json.dump({"index": info.index, "count": info.count,
               "steps_per_second": steps * (epochs - 1) / sum(times[1:]),
               "loss": history.history["loss"]}, open(sys.argv[1], "w"))
""")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--samples", type=int, default=16384)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=256,
                        help="global batch, split across the processes")
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="multiprocess-")
    script = os.path.join(folder, "child.py")
    with open(script, "w") as f:
        f.write(_CHILD)
    runs = {n: _run(script, folder, n, args) for n in (1, args.processes)}
    one = runs[1][0]
    print(f"global batch {args.batch_size}, {args.samples // args.batch_size}"
          f" steps per epoch, {os.cpu_count()} CPU cores")
    for n, results in runs.items():
        rate = results[0]["steps_per_second"]
        print(f"{n} process(es): {rate:.1f} steps/s "
              f"({rate / one['steps_per_second']:.2f}x), losses "
              f"{[round(v, 5) for v in results[0]['loss']]}")


def _run(script, folder, n, args):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("KERAS_DISTRIBUTION_")}
    env.update(KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", XLA_FLAGS="",
               TF_CPP_MIN_LOG_LEVEL="2")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    children = []
    for i in range(n):
        extra = {} if n == 1 else {
            "KERAS_DISTRIBUTION_JOB_ADDRESSES": f"127.0.0.1:{port}",
            "KERAS_DISTRIBUTION_NUM_PROCESSES": str(n),
            "KERAS_DISTRIBUTION_PROCESS_ID": str(i)}
        out = os.path.join(folder, f"{n}-{i}.json")
        children.append((out, subprocess.Popen(
            [sys.executable, script, out, str(args.samples), str(args.width),
             str(args.batch_size), str(args.epochs)], env={**env, **extra})))
    try:
        for _, child in children:
            if child.wait(timeout=600) != 0:
                raise SystemExit(f"a process of the {n}-process run failed")
    finally:
        for _, child in children:
            if child.poll() is None:
                child.kill()
    results = []
    for out, _ in children:
        with open(out) as f:
            results.append(json.load(f))
    return results


if __name__ == "__main__":
    main()
