"""A recipe killed with SIGKILL mid-training resumes when started again."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest


def _command(out):
    return [sys.executable, "-m", "recipes.mnist", "--out", str(out), "--epochs",
            "5", "--limit", "1500", "--tiny", "--seed", "0", "--quiet"]


@pytest.mark.one_pass
def test_sigkill_then_rerun_resumes_and_finishes_all_epochs(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    metadata = out / "backup" / "training_metadata.json"
    proc = subprocess.Popen(_command(out), cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    finished_epoch = None
    while time.monotonic() < deadline and proc.poll() is None:
        if metadata.exists():
            try:
                finished_epoch = json.loads(metadata.read_text())["epoch"]
            except (ValueError, KeyError):
                finished_epoch = None  # caught mid-write: look again
            if finished_epoch is not None and finished_epoch >= 1:
                break
        time.sleep(0.05)
    assert proc.poll() is None, (
        "the run ended before it could be killed: " + proc.stderr.read().decode()[-2000:]
    )
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # Nothing half-written is left where a finished run puts its outputs.
    assert not (out / "model.keras").exists()
    assert not (out / "metrics.json").exists()

    result = subprocess.run(_command(out), cwd=root, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["resumed_from_epoch"] >= finished_epoch
    assert metrics["epochs_run"] == 5
    history = (out / "history.csv").read_text().split()
    assert [row.split(",")[0] for row in history[1:]] == ["0", "1", "2", "3", "4"]
    assert not (out / "backup").exists()
    assert not [p for p in os.listdir(out) if p.startswith(".tmp-")]
