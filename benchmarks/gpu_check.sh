#!/usr/bin/env bash
# The one GPU check of the image side, for a machine with a GPU.
#
# Needs Keras and JAX with CUDA on the GPU machine (no TensorFlow needed) and a
# kerasnn wheel in .whl, built beside the checkout:
#     pip wheel --no-deps -w .whl .
# then, on the GPU machine, from the repo root:
#     OUT=gpu_check_out bash benchmarks/gpu_check.sh
#
# On the GPU machine (Keras on JAX) it runs, on the same settings:
#   the transfer recipe on the GPU and on the CPU (JAX_PLATFORMS=cpu);
#   the MNIST recipe on the GPU, on the GPU with --mixed-precision
#   (mixed_bfloat16) and on the CPU;
# and writes under $OUT: one JSON of metrics per run, summary.txt (accuracy,
# train seconds and status of each run, CPU/GPU speed-up) and nvidia-smi.txt.
# Every run is capped so that the whole script stays under ~8 minutes.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu_check_out}
mkdir -p "$OUT"
runs=$(mktemp -d)

if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --target .site .whl/*.whl
fi
# The installed kerasnn (with kerasnn.callbacks and kerasnn.recipes), not the
# checkout's folders.
export PYTHONPATH=$PWD/.site KERAS_BACKEND=jax TF_CPP_MIN_LOG_LEVEL=2 MPLBACKEND=Agg
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || echo "no nvidia-smi" > "$OUT/nvidia-smi.txt"
python3 -c "import jax; print('jax', jax.__version__, jax.devices())" >> "$OUT/nvidia-smi.txt" 2>&1

# name, platform, cap in seconds, recipe and its arguments
run() {
  local name=$1 platform=$2 cap=$3; shift 3
  local start=$(date +%s.%N)
  JAX_PLATFORMS=$platform timeout "$cap" python3 -m "$@" --seed 0 --quiet \
    --out "$runs/$name" > "$runs/$name.log" 2>&1
  local rc=$?
  local wall=$(python3 -c "import time; print(round(time.time() - $start, 1))")
  if [ -f "$runs/$name/metrics.json" ]; then
    cp "$runs/$name/metrics.json" "$OUT/$name.json"
  fi
  echo "$name rc=$rc wall_s=$wall" >> "$runs/status.txt"
  tail -n 5 "$runs/$name.log" | sed "s/^/  [$name] /" >> "$runs/status.txt"
}

run transfer_gpu cuda 120 kerasnn.recipes.transfer
run mnist_gpu cuda 150 kerasnn.recipes.mnist
run mnist_gpu_bf16 cuda 150 kerasnn.recipes.mnist --mixed-precision
run transfer_cpu cpu 120 kerasnn.recipes.transfer
run mnist_cpu cpu 240 kerasnn.recipes.mnist

python3 - "$OUT" "$runs/status.txt" > "$OUT/summary.txt" <<'EOF'
import json, os, sys
out, status = sys.argv[1], sys.argv[2]
print(open(status).read())
def load(name):
    path = os.path.join(out, name + ".json")
    return json.load(open(path)) if os.path.exists(path) else None
for name in ("mnist_gpu", "mnist_gpu_bf16", "mnist_cpu"):
    m = load(name)
    if m:
        print(f"{name:15s} status={m['status']} test_accuracy={m.get('test_accuracy')} "
              f"train_seconds={m['train_seconds']} epochs={m['epochs_run']} "
              f"backend={m['backend']}")
for name in ("transfer_gpu", "transfer_cpu"):
    m = load(name)
    if m:
        parts = " ".join(f"{k}={m[k]['accuracy']:.4f}/{m[k]['seconds']}s"
                         for k in ("scratch", "head_only", "fine_tuned"))
        print(f"{name:15s} status={m['status']} base_s={m['base'].get('train_seconds')} {parts}")
gpu, cpu = load("mnist_gpu"), load("mnist_cpu")
if gpu and cpu:
    print(f"MNIST speed-up CPU/GPU: {cpu['train_seconds'] / gpu['train_seconds']:.1f}x")
gpu, cpu = load("transfer_gpu"), load("transfer_cpu")
if gpu and cpu and gpu["base"].get("train_seconds"):
    print(f"transfer base speed-up CPU/GPU: "
          f"{cpu['base']['train_seconds'] / gpu['base']['train_seconds']:.1f}x")
EOF
cat "$OUT/summary.txt"
rm -rf "$runs"
