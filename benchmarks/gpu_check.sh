#!/usr/bin/env bash
# The one GPU check of the image side, for a machine with a GPU.
#
# Needs Keras and JAX with CUDA on the GPU machine (no TensorFlow needed) and a
# kerasnn wheel in .whl, built beside the checkout:
#     pip wheel --no-deps -w .whl .
# then, on the GPU machine, from the repo root:
#     OUT=gpu_check_out bash benchmarks/gpu_check.sh
#
# On the GPU machine (Keras on JAX) it runs:
#   a preflight: one matrix product, then one training step of a Dense and of a
#   Conv2D model, each timed; if it fails or hangs, nothing else runs;
#   the MNIST recipe for 4 epochs on the GPU, on the CPU (JAX_PLATFORMS=cpu)
#   and on the GPU with --mixed-precision (mixed_bfloat16);
#   the transfer recipe on the GPU and on the CPU.
# It writes under $OUT, as it goes (so a run cut short still says how far it
# got): summary.txt (status, wall time and figures of each run, CPU/GPU
# speed-up), runs.log (every run's output), nvidia-smi.txt and one JSON of
# metrics per finished run. Every run is capped; the whole script stays under
# 8 minutes.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu_check_out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
runs=$(mktemp -d)
summary=$OUT/summary.txt
log=$OUT/runs.log
: > "$summary"
: > "$log"

if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --target .site .whl/*.whl
fi
# The installed kerasnn (with kerasnn.callbacks and kerasnn.recipes), not the
# checkout's folders: `python -m` puts the working directory first on the
# path, so the runs start from outside the checkout.
export PYTHONPATH=$PWD/.site KERAS_BACKEND=jax TF_CPP_MIN_LOG_LEVEL=2 \
  MPLBACKEND=Agg PYTHONUNBUFFERED=1
cd "$runs"
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || echo "no nvidia-smi" > "$OUT/nvidia-smi.txt"

# name, platform, cap in seconds, then the command
run() {
  local name=$1 platform=$2 cap=$3; shift 3
  local start=$(date +%s.%N)
  echo "=== $name (JAX_PLATFORMS=$platform, cap ${cap} s): $*" >> "$log"
  JAX_PLATFORMS=$platform timeout "$cap" "$@" >> "$log" 2>&1
  local rc=$?
  local wall=$(python3 -c "import time; print(round(time.time() - $start, 1))")
  if [ -f "$runs/$name/metrics.json" ]; then
    cp "$runs/$name/metrics.json" "$OUT/$name.json"
  fi
  local why=""
  [ "$rc" = 124 ] && why=" (stopped at its cap)"
  echo "$name rc=$rc$why wall_s=$wall" >> "$summary"
  return $rc
}

cat > preflight.py <<'PY'
import time

t = time.perf_counter()
import jax
import keras
import numpy as np

print("jax", jax.__version__, jax.devices(), "keras", keras.__version__,
      f"import {time.perf_counter() - t:.1f} s", flush=True)
t = time.perf_counter()
a = jax.numpy.ones((2048, 2048))
(a @ a).block_until_ready()
print(f"matmul 2048: {time.perf_counter() - t:.2f} s", flush=True)
rng = np.random.default_rng(0)
for name, layer, shape in [
        ("dense", keras.layers.Dense(32, activation="relu"), (64,)),
        ("conv2d", keras.layers.Conv2D(8, 3, activation="relu"), (28, 28, 1))]:
    model = keras.Sequential([keras.Input(shape), layer, keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    x = rng.normal(size=(64, *shape)).astype("float32")
    y = rng.integers(0, 10, 64)
    for step in ("first", "second"):
        t = time.perf_counter()
        model.train_on_batch(x, y)
        print(f"{name} train step ({step}): {time.perf_counter() - t:.2f} s",
              flush=True)
PY

if ! run preflight cuda 60 python3 preflight.py; then
  echo "preflight failed on the GPU: the recipes were not run (see runs.log)" >> "$summary"
  tail -n 20 "$log"
  cat "$summary"
  rm -rf "$runs"
  exit 1
fi
grep -E "matmul|train step" "$log" | sed 's/^/  /' >> "$summary"

recipe() {
  local name=$1 platform=$2 cap=$3; shift 3
  run "$name" "$platform" "$cap" python3 -m "$@" --seed 0 --quiet --out "$runs/$name"
}
recipe mnist_gpu cuda 60 kerasnn.recipes.mnist --epochs 4
recipe mnist_cpu cpu 120 kerasnn.recipes.mnist --epochs 4
recipe mnist_gpu_bf16 cuda 60 kerasnn.recipes.mnist --epochs 4 --mixed-precision
recipe transfer_gpu cuda 90 kerasnn.recipes.transfer
recipe transfer_cpu cpu 90 kerasnn.recipes.transfer

python3 - "$OUT" >> "$summary" <<'PY'
import json
import os
import sys

out = sys.argv[1]


def load(name):
    path = os.path.join(out, name + ".json")
    return json.load(open(path)) if os.path.exists(path) else None


for name in ("mnist_gpu", "mnist_gpu_bf16", "mnist_cpu"):
    m = load(name)
    if m:
        print(f"{name:15s} status={m['status']} "
              f"test_accuracy={m.get('test_accuracy')} "
              f"train_seconds={m['train_seconds']} epochs={m['epochs_run']} "
              f"backend={m['backend']}")
for name in ("transfer_gpu", "transfer_cpu"):
    m = load(name)
    if m:
        parts = " ".join(f"{k}={m[k]['accuracy']:.4f}/{m[k]['seconds']}s"
                         for k in ("scratch", "head_only", "fine_tuned"))
        print(f"{name:15s} status={m['status']} "
              f"base_s={m['base'].get('train_seconds')} {parts}")
for kind in ("mnist", "transfer"):
    gpu, cpu = load(kind + "_gpu"), load(kind + "_cpu")
    if kind == "transfer" and gpu and cpu:
        gpu, cpu = gpu["base"], cpu["base"]
    if gpu and cpu and gpu.get("train_seconds"):
        print(f"{kind} training speed-up CPU/GPU: "
              f"{cpu['train_seconds'] / gpu['train_seconds']:.1f}x")
PY
cat "$summary"
rm -rf "$runs"
