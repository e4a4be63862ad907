"""A recipe killed with SIGKILL mid-training resumes when started again, and
its history keeps the epochs from before the kill."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import keras
import pandas as pd
import pytest

from kerasnn.recipes import tabular
from kerasnn.recipes._common import run_main

# The child trains the tabular recipe and stops dead at the start of epoch
# 3 (epochs 0-2 finished and backed up), where the test kills it.
_CHILD = textwrap.dedent("""
    import pathlib, sys, time
    import keras
    from kerasnn.recipes import tabular
    from kerasnn.recipes._common import run_main

    class Hang(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 3:
                pathlib.Path(sys.argv[1]).touch()
                time.sleep(600)

    sys.exit(run_main(tabular.main, sys.argv[2:], extra_callbacks=[Hang()]))
""")


@pytest.mark.tf_only
@pytest.mark.slow
def test_sigkill_then_rerun_keeps_every_epoch(tmp_path):
    out = tmp_path / "run"
    argv = ["--out", str(out), "--epochs", "6", "--seed", "0", "--quiet"]
    marker = tmp_path / "hanging"
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.Popen([sys.executable, str(script), str(marker), *argv],
                            env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not marker.exists() and proc.poll() is None:
        assert time.monotonic() < deadline, "the child never reached epoch 3"
        time.sleep(0.1)
    assert proc.poll() is None, proc.stderr.read()[-3000:]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    # Nothing half-written is left where a finished run puts its outputs.
    assert not (out / "model.keras").exists()
    assert not (out / "metrics.json").exists()

    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(epoch)

    assert run_main(tabular.main, argv, extra_callbacks=[Record()]) == 0
    assert seen == [3, 4, 5]  # resumed after the three finished epochs
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] == "ok" and metrics["epochs_run"] == 6
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == [0, 1, 2, 3, 4, 5]
    assert history["loss"].notna().all()
    assert not (out / "backup").exists()
    assert not [p for p in os.listdir(out) if p.startswith(".tmp-")]
