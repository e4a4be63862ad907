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


def test_needs_the_jax_backend(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "tensorflow")
    assert _error() == (
        "Multi-process data parallelism needs the JAX backend. Received: "
        "KERAS_BACKEND=tensorflow. Set KERAS_BACKEND=jax in every process.")


def test_missing_coordinator_address(jax_backend):
    jax_backend.setenv(distributed.NUM_PROCESSES, "2")
    jax_backend.setenv(distributed.PROCESS_ID, "1")
    message = _error()
    assert message.startswith(
        "KERAS_DISTRIBUTION_JOB_ADDRESSES must be the coordinator's host:port")
    assert "Received: unset." in message


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


def test_process_id_out_of_range(jax_backend):
    jax_backend.setenv(distributed.ADDRESSES, "127.0.0.1:1234")
    jax_backend.setenv(distributed.NUM_PROCESSES, "2")
    jax_backend.setenv(distributed.PROCESS_ID, "2")
    assert _error() == (
        "KERAS_DISTRIBUTION_PROCESS_ID must be in [0, 1] (there are "
        "KERAS_DISTRIBUTION_NUM_PROCESSES=2 processes). Received: "
        "KERAS_DISTRIBUTION_PROCESS_ID=2.")


def test_process_id_not_an_integer(jax_backend):
    jax_backend.setenv(distributed.PROCESS_ID, "one")
    assert _error() == ("KERAS_DISTRIBUTION_PROCESS_ID must be an integer. "
                        "Received: KERAS_DISTRIBUTION_PROCESS_ID='one'.")


def test_missing_process_id_and_count(jax_backend):
    jax_backend.setenv(distributed.ADDRESSES, "127.0.0.1:1234")
    assert "KERAS_DISTRIBUTION_NUM_PROCESSES must be the number of processes" \
        in _error()
    jax_backend.setenv(distributed.NUM_PROCESSES, "2")
    assert _error().startswith(
        "KERAS_DISTRIBUTION_PROCESS_ID must be this process's index, 0 to 1. "
        "Received: unset.")


def test_address_count_must_match_processes(jax_backend):
    assert _error(job_addresses="a:1,b:2,c:3", num_processes=2,
                  process_id=0) == (
        "KERAS_DISTRIBUTION_JOB_ADDRESSES must name the coordinator only, or "
        "one address per process. Received: 3 addresses and "
        "KERAS_DISTRIBUTION_NUM_PROCESSES=2.")


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


def test_bad_timeout(jax_backend):
    assert _error(timeout=0) == (
        "`timeout` must be a number of seconds > 0. Received: timeout=0.")


# Each child trains the same model on the same global batches of 8 rows;
# with 2 processes, Keras gives each its half of every batch.
_CHILD = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    import tensorflow as tf
    import keras
    import kerasnn

    info = kerasnn.initialize_data_parallel(timeout=30)
    import jax
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("float32")
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(
        8, drop_remainder=True)
    model = kerasnn.build_model("binary", 6, hidden=[8], seed=0,
                                optimizer="sgd", learning_rate=0.1)
    history = model.fit(data, epochs=3, verbose=0)
    dist = keras.distribution.distribution()
    local = [b[0].numpy() for b in (dist.distribute_dataset(data)
                                    if dist is not None and info.count > 1
                                    else data)]
    json.dump({"index": info.index, "count": jax.process_count(),
               "loss": history.history["loss"],
               "batches": [b.tolist() for b in local]},
              open(sys.argv[1], "w"))
""")


def _start(script, out, env):
    return subprocess.Popen([sys.executable, str(script), str(out)], env=env,
                            cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow
def test_two_processes_match_one(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    base = {k: v for k, v in os.environ.items()
            if not k.startswith("KERAS_DISTRIBUTION_")}
    base.update(KERAS_BACKEND="jax", JAX_PLATFORMS="cpu",
                TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="",
                XLA_FLAGS="")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    children = [_start(script, tmp_path / "one.json", base)]
    for i in range(2):
        children.append(_start(script, tmp_path / f"p{i}.json", {
            **base, "KERAS_DISTRIBUTION_JOB_ADDRESSES": f"127.0.0.1:{port}",
            "KERAS_DISTRIBUTION_NUM_PROCESSES": "2",
            "KERAS_DISTRIBUTION_PROCESS_ID": str(i)}))
    try:
        for child in children:
            # A peer that dies ends the others (JAX's heartbeat); this bound
            # is the last resort against a hang.
            output, _ = child.communicate(timeout=120)
            assert child.returncode == 0, output[-3000:]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
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


# The MNIST recipe across two processes; with STOP_AT_EPOCH=1 both leave
# (as if killed) when the second epoch begins, after the backup of the first.
_RECIPE = textwrap.dedent("""
    import os, sys
    import keras
    from recipes import mnist

    class Stop(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if str(epoch) == os.environ.get("STOP_AT_EPOCH"):
                os._exit(3)

    sys.exit(mnist.main(sys.argv[1:], extra_callbacks=[Stop()]))
""")


def _recipe_pair(script, argv, port, extra_env):
    base = {k: v for k, v in os.environ.items()
            if not k.startswith("KERAS_DISTRIBUTION_")}
    base.update(KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", XLA_FLAGS="",
                TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT,
                KERAS_DISTRIBUTION_JOB_ADDRESSES=f"127.0.0.1:{port}",
                KERAS_DISTRIBUTION_NUM_PROCESSES="2", **extra_env)
    children = [subprocess.Popen(
        [sys.executable, str(script), *argv], cwd=ROOT,
        env={**base, "KERAS_DISTRIBUTION_PROCESS_ID": str(i)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for i in range(2)]
    try:
        return [(c.communicate(timeout=150)[0], c.returncode)
                for c in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_mnist_recipe_across_two_processes_resumes(tmp_path, write_npz):
    script = tmp_path / "recipe.py"
    script.write_text(_RECIPE)
    data = write_npz(tmp_path / "d.npz", n=200)
    out, backup = tmp_path / "run", tmp_path / "backup"
    argv = ["--data", data, "--model", "mlp", "--epochs", "2", "--quiet",
            "--batch-size", "16", "--distribute", "multiprocess",
            "--out", str(out), "--backup-dir", str(backup)]
    killed = _recipe_pair(script, argv, _free_port(), {"STOP_AT_EPOCH": "1"})
    assert all(code != 0 for _, code in killed), killed
    assert (backup / "training_metadata.json").exists()
    assert not (out / "metrics.json").exists()
    runs = _recipe_pair(script, argv, _free_port(), {})
    for output, code in runs:
        assert code == 0, output[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["processes"] == 2
    assert metrics["resumed_from_epoch"] == 1
    assert metrics["epochs_run"] == 2
    assert sorted(os.listdir(out)) == ["gradient_norms.png", "history.csv",
                                       "history.png", "metrics.json",
                                       "model.keras"]
