"""Data-parallel training: tf.distribute on TensorFlow, DataParallel on JAX.

Each check runs in a subprocess, because the device layout (two logical CPU
devices) must be set before the backend starts.
"""

import json
import os
import subprocess
import sys
import textwrap

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


@pytest.mark.one_pass
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
               XLA_FLAGS="--xla_force_host_platform_device_count=2")
    assert out["devices"] == 2
    assert out["parallel"] == pytest.approx(out["single"], rel=1e-4)


@pytest.mark.tf_only
def test_keras_tuner_chief_and_worker_finish_a_search(tmp_path):
    script = os.path.join(os.path.dirname(__file__), "..", "benchmarks",
                          "distributed_tuning.py")
    result = subprocess.run(
        [sys.executable, script, "--workers", "1", "--trials", "2", "--epochs", "1",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["trials"] == 2
    # The chief only serves the oracle; the worker trained every trial.
    assert summary["runs_per_worker"] == {"tuner0": 2}
    assert not (tmp_path / "runs-chief.txt").exists()
    assert summary["best_score"] > 0
