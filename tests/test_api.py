import os
import subprocess
import sys

import pytest

import kerasnn


def test_public_api_is_pinned():
    assert sorted(kerasnn.__all__) == sorted([
        "PROBLEMS",
        "CrossValidationResult",
        "FineTuneResult",
        "KerasnnError",
        "KerasnnTypeError",
        "KerasnnValueError",
        "ProblemInferenceError",
        "SearchResult",
        "TrainingResult",
        "build_image_model",
        "build_model",
        "build_tabular_model",
        "column_kinds",
        "cross_validate",
        "embedding_size",
        "fine_tune",
        "freeze",
        "infer_problem",
        "predict_labels",
        "swap_head",
        "train_tabular",
        "tune",
        "unfreeze",
    ])
    for name in kerasnn.__all__:
        assert hasattr(kerasnn, name)


def test_error_classes_subclass_builtins():
    assert issubclass(kerasnn.KerasnnValueError, ValueError)
    assert issubclass(kerasnn.KerasnnTypeError, TypeError)
    assert issubclass(kerasnn.ProblemInferenceError, kerasnn.KerasnnError)


@pytest.mark.one_pass
def test_import_on_jax_does_not_import_tensorflow():
    code = (
        "import sys, kerasnn, callbacks\n"
        "m = kerasnn.build_model('binary', 4)\n"
        "m = kerasnn.build_image_model('multiclass', (8, 8, 1), n_classes=3, filters=8)\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'\n"
        "import keras; print(keras.backend.backend())\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    result = subprocess.run([sys.executable, "-c", code], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "jax"
