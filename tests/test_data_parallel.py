"""Data-parallel training: tf.distribute on TensorFlow, DataParallel on JAX.

Each check runs in a subprocess, because the device layout (two logical CPU
devices) must be set before the backend starts.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import pytest

_TRAIN = textwrap.dedent("""
    import json
    import numpy as np
    import kerasnn

    def train(strategy=None):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(256, 4)).astype("float32")
        y = x @ np.array([1.0, -2.0, 0.5, 3.0], "float32")
        model = kerasnn.build_model("regression", 4, hidden=[8], seed=0,
                                    optimizer="sgd", learning_rate=0.01,
                                    strategy=strategy)
        history = model.fit(x, y, batch_size=64, epochs=3, shuffle=False,
                            verbose=0)
        return [float(v) for v in history.history["loss"]]
""")


def _run(code, **env):
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **env},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.tf_only
def test_mirrored_strategy_on_two_cpu_devices_matches_one_device():
    code = textwrap.dedent("""
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    """) + _TRAIN + textwrap.dedent("""
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        print(json.dumps({"replicas": strategy.num_replicas_in_sync,
                          "mirrored": train(strategy), "single": train()}))
    """)
    out = _run(code, KERAS_BACKEND="tensorflow")
    assert out["replicas"] == 2
    assert out["mirrored"] == pytest.approx(out["single"], rel=1e-4)
    assert out["single"][-1] < out["single"][0]


@pytest.mark.slow
def test_jax_data_parallel_on_two_cpu_devices_matches_one_device():
    code = _TRAIN + textwrap.dedent("""
        import jax, keras
        single = train()
        keras.distribution.set_distribution(
            keras.distribution.DataParallel(devices=jax.devices()))
        print(json.dumps({"devices": len(jax.devices()), "parallel": train(),
                          "single": single}))
    """)
    out = _run(code, KERAS_BACKEND="jax",
               XLA_FLAGS=os.environ.get("XLA_FLAGS", "")
               + " --xla_force_host_platform_device_count=2")
    assert out["devices"] == 2
    assert out["parallel"] == pytest.approx(out["single"], rel=1e-4)


_SEARCH = textwrap.dedent("""
    import json, os, sys
    import keras, numpy as np
    import kerasnn

    out, role = sys.argv[1], os.environ["KERASTUNER_TUNER_ID"]

    class RecordRun(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            with open(os.path.join(out, f"runs-{role}.txt"), "a") as f:
                f.write("trial\\n")

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8)).astype("float32")
    y = (x[:, 0] - x[:, 1] > 0).astype("int32")
    trials = kerasnn.tune(
        x, y, builder=kerasnn.build_model, problem="binary", search="random",
        max_trials=2, epochs=1, seed=0, directory=os.path.join(out, "search"),
        callbacks=[RecordRun()], search_space={"units": [8, 16, 32]}).trials
    if role == "chief":
        with open(os.path.join(out, "chief.json"), "w") as f:
            json.dump({"trials": len(trials),
                       "best_score": float(trials["score"].iloc[0])}, f)
""")


@pytest.mark.tf_only
@pytest.mark.slow
def test_keras_tuner_chief_and_worker_finish_a_search(tmp_path):
    script = tmp_path / "search.py"
    script.write_text(_SEARCH)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = []
    for role in ("chief", "tuner0"):
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
               "KERASTUNER_TUNER_ID": role, "KERASTUNER_ORACLE_IP": "127.0.0.1",
               "KERASTUNER_ORACLE_PORT": str(port)}
        procs.append(subprocess.Popen(
            [sys.executable, str(script), str(tmp_path)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        if role == "chief":
            time.sleep(2)  # let the oracle server start listening
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
    chief = json.loads((tmp_path / "chief.json").read_text())
    assert chief["trials"] == 2 and chief["best_score"] > 0
    # The chief only serves the oracle; the worker trained every trial.
    assert (tmp_path / "runs-tuner0.txt").read_text().split() == ["trial"] * 2
    assert not (tmp_path / "runs-chief.txt").exists()
