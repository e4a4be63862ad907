"""Multi-process data parallelism on JAX: the bad inputs (fast, no cluster)
and two real processes on 127.0.0.1 against one (slow)."""

import json
import os
import socket
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import kerasnn
from kerasnn import distributed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def jax_backend(monkeypatch):
    # The checks run before any JAX work, so the backend's name is enough.
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    for name in (distributed.ADDRESSES, distributed.NUM_PROCESSES,
                 distributed.PROCESS_ID):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _error(**kwargs):
    with pytest.raises(kerasnn.KerasnnValueError) as info:
        kerasnn.initialize_data_parallel(**kwargs)
    return str(info.value)


@pytest.mark.backend_neutral
def test_needs_the_jax_backend(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "tensorflow")
    assert _error() == (
        "Multi-process data parallelism needs the JAX backend. Received: "
        "KERAS_BACKEND=tensorflow. Set KERAS_BACKEND=jax in every process.")


@pytest.mark.backend_neutral
def test_missing_coordinator_address(jax_backend):
    jax_backend.setenv(distributed.NUM_PROCESSES, "2")
    jax_backend.setenv(distributed.PROCESS_ID, "1")
    message = _error()
    assert message.startswith(
        "KERAS_DISTRIBUTION_JOB_ADDRESSES must be the coordinator's host:port")
    assert "Received: unset." in message


@pytest.mark.backend_neutral
@pytest.mark.parametrize("value", ["localhost", "10.0.0.1:", ":1234",
                                   "10.0.0.1:99999", "10.0.0.1:80,x"])
def test_malformed_coordinator_address(jax_backend, value):
    jax_backend.setenv(distributed.ADDRESSES, value)
    jax_backend.setenv(distributed.NUM_PROCESSES, "2")
    jax_backend.setenv(distributed.PROCESS_ID, "0")
    assert _error() == (
        "KERAS_DISTRIBUTION_JOB_ADDRESSES must be host:port entries (port "
        "1-65535), comma-separated, e.g. 10.0.0.1:12345. Received: "
        f"KERAS_DISTRIBUTION_JOB_ADDRESSES={value!r}.")


@pytest.mark.backend_neutral
def test_process_id_out_of_range(jax_backend):
    jax_backend.setenv(distributed.ADDRESSES, "127.0.0.1:1234")
    jax_backend.setenv(distributed.NUM_PROCESSES, "2")
    jax_backend.setenv(distributed.PROCESS_ID, "2")
    assert _error() == (
        "KERAS_DISTRIBUTION_PROCESS_ID must be in [0, 1] (there are "
        "KERAS_DISTRIBUTION_NUM_PROCESSES=2 processes). Received: "
        "KERAS_DISTRIBUTION_PROCESS_ID=2.")


@pytest.mark.backend_neutral
def test_process_id_not_an_integer(jax_backend):
    jax_backend.setenv(distributed.PROCESS_ID, "one")
    assert _error() == ("KERAS_DISTRIBUTION_PROCESS_ID must be an integer. "
                        "Received: KERAS_DISTRIBUTION_PROCESS_ID='one'.")


@pytest.mark.backend_neutral
def test_missing_process_id_and_count(jax_backend):
    jax_backend.setenv(distributed.ADDRESSES, "127.0.0.1:1234")
    assert "KERAS_DISTRIBUTION_NUM_PROCESSES must be the number of processes" \
        in _error()
    jax_backend.setenv(distributed.NUM_PROCESSES, "2")
    assert _error().startswith(
        "KERAS_DISTRIBUTION_PROCESS_ID must be this process's index, 0 to 1. "
        "Received: unset.")


@pytest.mark.backend_neutral
def test_address_count_must_match_processes(jax_backend):
    assert _error(job_addresses="a:1,b:2,c:3", num_processes=2,
                  process_id=0) == (
        "KERAS_DISTRIBUTION_JOB_ADDRESSES must name the coordinator only, or "
        "one address per process. Received: 3 addresses and "
        "KERAS_DISTRIBUTION_NUM_PROCESSES=2.")


@pytest.mark.backend_neutral
def test_coordinator_that_never_answers_times_out(jax_backend):
    with socket.socket() as s:          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    message = _error(job_addresses=f"127.0.0.1:{port}", num_processes=2,
                     process_id=1, timeout=0.5)
    assert message == (
        f"KERAS_DISTRIBUTION_JOB_ADDRESSES: no coordinator answered at "
        f"127.0.0.1:{port} within 0.5 s. Start process 0 on that host (it "
        "hosts the coordinator), or fix the address.")


@pytest.mark.backend_neutral
def test_bad_timeout(jax_backend):
    assert _error(timeout=0) == (
        "`timeout` must be a number of seconds > 0. Received: timeout=0.")


# Trains the same model on the same global batches of 8 rows in any cluster
# (`info` is this process's ProcessInfo); with 2 processes, Keras gives each
# its half of every batch. Writes what it saw to the file CHECK_OUT names.
_SAME_BATCHES = """
import json, os
import numpy as np
import tensorflow as tf
import jax
import keras
import kerasnn

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.normal(size=(64, 6)).astype("float32")
y = (x[:, 0] + x[:, 1] > 0).astype("float32")
data = tf.data.Dataset.from_tensor_slices((x, y)).batch(8, drop_remainder=True)
model = kerasnn.build_model("binary", 6, hidden=[8], seed=0,
                            optimizer="sgd", learning_rate=0.1)
history = model.fit(data, epochs=3, verbose=0)
dist = keras.distribution.distribution()
local = [b[0].numpy() for b in (dist.distribute_dataset(data)
                                if dist is not None and info.count > 1
                                else data)]
with open(os.environ["CHECK_OUT"], "w") as f:
    json.dump({"index": info.index, "count": jax.process_count(),
               "loss": history.history["loss"],
               "batches": [b.tolist() for b in local]}, f)
"""

# One process on its own.
_ONE = ("import kerasnn\n"
        "info = kerasnn.initialize_data_parallel(timeout=30)\n") + _SAME_BATCHES

# The MNIST recipe across two processes; with STOP_AT_EPOCH=1 both leave (as
# if killed) when the second epoch begins, after the backup of the first. A
# run that finishes goes on, in the same cluster, with _SAME_BATCHES (one
# cluster per process: JAX's distributed runtime starts once).
_RECIPE = textwrap.dedent("""
    import os, sys
    import keras
    import kerasnn
    from kerasnn.recipes import mnist

    class Stop(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if str(epoch) == os.environ.get("STOP_AT_EPOCH"):
                os._exit(3)

    status = mnist.main(sys.argv[1:], extra_callbacks=[Stop()])
    if status:
        sys.exit(status)
    info = kerasnn.process_info()
""") + _SAME_BATCHES


def _env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("KERAS_DISTRIBUTION_")}
    # One CPU device per process, whatever the caller's XLA_FLAGS say.
    xla = [flag for flag in os.environ.get("XLA_FLAGS", "").split()
           if "device_count" not in flag]
    env.update(KERAS_BACKEND="jax", JAX_PLATFORMS="cpu",
               XLA_FLAGS=" ".join(xla), CUDA_VISIBLE_DEVICES="",
               TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONPATH=ROOT, **extra)
    return env


def _start(script, argv, env):
    return subprocess.Popen([sys.executable, str(script), *argv], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _finish(children, timeout=300):
    """`(output, returncode)` of each child; kills any left running."""
    try:
        # A peer that dies ends the others (JAX's heartbeat); the timeout is
        # the last resort against a hang.
        return [(c.communicate(timeout=timeout)[0], c.returncode)
                for c in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()


def _recipe_pair(script, argv, tmp_path, **extra_env):
    env = _env(KERAS_DISTRIBUTION_JOB_ADDRESSES=f"127.0.0.1:{_free_port()}",
               KERAS_DISTRIBUTION_NUM_PROCESSES="2", **extra_env)
    return _finish([_start(script, argv, {
        **env, "KERAS_DISTRIBUTION_PROCESS_ID": str(i),
        "CHECK_OUT": str(tmp_path / f"p{i}.json")}) for i in range(2)])


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_resume_the_recipe_and_match_one(tmp_path, write_npz):
    one_script, script = tmp_path / "one.py", tmp_path / "recipe.py"
    one_script.write_text(_ONE)
    script.write_text(_RECIPE)
    one = _start(one_script, [], _env(CHECK_OUT=str(tmp_path / "one.json")))
    data = write_npz(tmp_path / "d.npz", n=200)
    out, backup = tmp_path / "run", tmp_path / "backup"
    argv = ["--data", data, "--model", "mlp", "--epochs", "2", "--quiet",
            "--batch-size", "16", "--distribute", "multiprocess",
            "--out", str(out), "--backup-dir", str(backup)]

    # The recipe, killed after its first epoch, resumes from its backup.
    killed = _recipe_pair(script, argv, tmp_path, STOP_AT_EPOCH="1")
    assert all(code != 0 for _, code in killed), killed
    assert (backup / "training_metadata.json").exists()
    # Process 1 saved into its own scratch folder inside the backup.
    assert len(list(backup.glob(".scratch-*"))) == 1
    assert not (out / "metrics.json").exists()
    assert not (tmp_path / "p0.json").exists()
    for output, code in _recipe_pair(script, argv, tmp_path):
        assert code == 0, output[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert not backup.exists()  # scratch folders and all
    assert metrics["processes"] == 2
    assert metrics["resumed_from_epoch"] == 1
    assert metrics["epochs_run"] == 2
    assert sorted(os.listdir(out)) == ["gradient_norms.png", "history.csv",
                                       "history.png", "metrics.json",
                                       "model.keras"]

    # Two processes train as one does on the same global batches.
    ((output, code),) = _finish([one])
    assert code == 0, output[-3000:]
    one = json.loads((tmp_path / "one.json").read_text())
    parts = [json.loads((tmp_path / f"p{i}.json").read_text())
             for i in range(2)]
    assert one["count"] == 1
    assert [p["count"] for p in parts] == [2, 2]
    assert [p["index"] for p in parts] == [0, 1]
    for global_batch, halves in zip(one["batches"],
                                    zip(*(p["batches"] for p in parts))):
        assert [len(h) for h in halves] == [4, 4]
        np.testing.assert_array_equal(np.concatenate(halves), global_batch)
    assert len(one["batches"]) == len(parts[0]["batches"]) == 8
    for part in parts:
        np.testing.assert_allclose(part["loss"], one["loss"], rtol=1e-5)
