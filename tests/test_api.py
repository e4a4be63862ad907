import pytest

import kerasnn

# Names and classes only: the same on every backend.
pytestmark = pytest.mark.backend_neutral


def test_public_api_is_pinned():
    assert sorted(kerasnn.__all__) == sorted([
        "CTGAN",
        "PROBLEMS",
        "CrossValidationResult",
        "FineTuneResult",
        "KerasnnError",
        "KerasnnTypeError",
        "KerasnnValueError",
        "ProblemInferenceError",
        "ProcessInfo",
        "PseudoLabelResult",
        "SearchResult",
        "TrainingResult",
        "build_autoencoder",
        "build_image_model",
        "build_model",
        "build_tabular_model",
        "column_kinds",
        "cross_validate",
        "embedding_size",
        "fine_tune",
        "freeze",
        "imprint",
        "infer_problem",
        "initialize_data_parallel",
        "label_scores",
        "plot_history",
        "predict_labels",
        "process_info",
        "reconstruction_error",
        "sample_rows",
        "swap_head",
        "train_pseudo_labeled",
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


def test_one_error_hierarchy_rooted_in_the_plugin():
    from kerasnn.callbacks import CallbackError
    from kerasnn.callbacks import CallbackTypeError
    from kerasnn.callbacks import CallbackValueError

    assert issubclass(kerasnn.KerasnnError, CallbackError)
    assert issubclass(kerasnn.KerasnnValueError, CallbackValueError)
    assert issubclass(kerasnn.KerasnnTypeError, CallbackTypeError)
    with pytest.raises(CallbackError, match="problem"):
        kerasnn.build_model("not-a-problem", input_shape=3)
