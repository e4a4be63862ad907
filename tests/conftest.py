"""Fixtures shared by the test files: seeding, data written to tmp_path,
tiny recipe models, and a child Python on JAX that cannot import TensorFlow.
"""

import gc
import os
import subprocess
import sys
import textwrap

# The tests compile many tiny JAX functions and run each a few times, so on
# JAX most of their time is XLA compiling for the CPU. Without LLVM's
# optimisation passes it compiles the same operations in 60-67% of the
# time (the JAX backend's test_image_model.py and test_ensemble.py: 101-112 s
# against 168 s). Set before Keras starts JAX; child Pythons inherit it; a
# caller's own XLA_FLAGS win.
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

if keras.backend.backend() == "tensorflow":
    import tensorflow as tf

    # Likewise on TensorFlow: Grappler rewrites every traced function's graph
    # before its first run, which pays off on long runs, not on tiny models
    # run a few steps each. Without it the TensorFlow pass of four test
    # files (test_tabular_model, test_ensemble, test_gradient_monitor,
    # test_recipe_tabular) took 12% less CPU time (112-114 s against
    # 126-132 s, two runs each, alternated). Keras on CPU does not use XLA
    # with TensorFlow, so the graphs run as traced.
    tf.config.optimizer.set_experimental_options(
        {"disable_meta_optimizer": True})
    # One thread per operation: the tests' matrices are too small to split,
    # and CI runs one pytest worker per core, so TensorFlow's default pool
    # of a thread per core only makes the workers' threads wait on each
    # other. Two inter-op threads still let a probe thread and fit run side
    # by side. Set here, in the test process only: the child Pythons (two
    # logical devices, two workers) keep TensorFlow's defaults.
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(2)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: The Palmer penguins table that ships with the recipes (344 rows).
PENGUINS = os.path.join(ROOT, "recipes", "data", "penguins.csv")

# Runs first in the child: the GPU machine has no TensorFlow, so imports of
# it fail there. Keras itself probes for TensorFlow when it serializes (and
# copes with its absence); any of our own modules that imports it is
# recorded. The optional dependencies are refused too: `import kerasnn` must
# work with keras, numpy and pandas alone.
_BLOCKER = textwrap.dedent(f"""
    import os, sys, traceback
    ROOT = {ROOT!r}
    BLOCKED = {{"tensorflow", "keras_tuner", "sklearn", "imblearn", "tensorboard"}}
    ours = []
    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] not in BLOCKED:
                return None
            # The frame that ran the import statement (Keras's own lazy probe
            # for TensorFlow is fine: it copes with the ImportError).
            frames = [f for f in traceback.extract_stack()[:-1]
                      if "importlib" not in f.filename]
            # Installed packages may live inside the checkout (a CI venv).
            if (frames and frames[-1].filename.startswith(ROOT + os.sep)
                    and "site-packages" not in frames[-1].filename):
                ours.append(f"{{name}} from {{frames[-1].filename}}:"
                            f"{{frames[-1].lineno}}")
            raise ModuleNotFoundError(f"No module named {{name!r}}")
    sys.meta_path.insert(0, Blocker())
""")


def pytest_collection_finish(session):
    """Moves what exists once the tests are collected (TensorFlow's, JAX's
    and Keras's modules, hundreds of thousands of objects) out of the
    collector's reach. The tests leave their models to Python's collector
    (see `_seed`), whose full passes otherwise walk all of those objects
    each time: freezing them made the TensorFlow pass of three test folders
    6% faster (90-94 s against 96-102 s, two runs each, alternated)."""
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(config, items):
    """Runs the tests marked slow first (in their own order, then the rest in
    theirs). With one test handed out at a time (`--maxschedchunk 1` in
    pyproject.toml), a worker that is free takes the longest test left, so
    the run does not end with one worker on a minute-long test while the
    other has nothing to do."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)
    yield
    # Fresh layer names and graph for the next test. Python's collector
    # frees the old models in its own time: a full collection after every
    # test cost about 0.5 s of CPU each on TensorFlow, a quarter of the run.
    keras.backend.clear_session(free_memory=False)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def _penguins_file():
    import pandas as pd

    return pd.read_csv(PENGUINS)


@pytest.fixture
def penguins_table(_penguins_file):
    """The embedded penguins table (a fresh copy per test): 344 rows, three
    species, missing numbers and sexes included."""
    return _penguins_file.copy()


@pytest.fixture
def write_npz(rng):
    """Writes a small `.npz` in Keras's mnist.npz layout; returns its path.

    `n` random images with labels `0, 1, ..., 9, 0, ...`; the test part
    keeps only the images whose label is in `test_digits`.
    """

    def write(path, n=160, keys=("x_train", "y_train", "x_test", "y_test"),
              test_digits=range(10)):
        labels = np.arange(n) % 10
        test_labels = labels[np.isin(labels, list(test_digits))]
        arrays = {
            "x_train": rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
            "y_train": labels.astype(np.uint8),
            "x_test": rng.integers(0, 256, (len(test_labels), 28, 28),
                                   dtype=np.uint8),
            "y_test": test_labels.astype(np.uint8),
        }
        np.savez(path, **{k: v for k, v in arrays.items() if k in keys})
        return str(path)

    return write


def tiny_image_model(n_classes, *, learning_rate=None, seed=None, strategy=None):
    """A CNN small enough for a recipe test to train in seconds."""
    import kerasnn

    return kerasnn.build_image_model(
        "multiclass", (28, 28, 1), n_classes=n_classes, blocks=1, filters=4,
        convs_per_block=1, head_units=16, learning_rate=learning_rate,
        seed=seed, strategy=strategy)


@pytest.fixture
def tiny_recipes(monkeypatch):
    """The MNIST and transfer recipes build `tiny_image_model` instead."""
    from kerasnn.recipes import _common

    monkeypatch.setattr(_common, "image_model", tiny_image_model)


@pytest.fixture
def run_isolated(tmp_path):
    """Runs code in a child Python on JAX, as an installed kerasnn is used.

    The child cannot import TensorFlow, keras-tuner, scikit-learn,
    imbalanced-learn or TensorBoard, and runs in `tmp_path`, where the test
    may put files that shadow top-level names (`callbacks.py`). The code
    ends by checking the backend and that none of our modules imported a
    refused package, and prints "clean".
    """

    def run(code, *, pythonpath=None):
        script = tmp_path / "isolated.py"
        script.write_text(_BLOCKER + textwrap.dedent(code) + textwrap.dedent("""
            import keras
            assert keras.backend.backend() == "jax", keras.backend.backend()
            assert not ours, f"refused packages imported: {ours}"
            assert "tensorflow" not in sys.modules
            print("clean")
        """))
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env.update(KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="2")
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        return subprocess.run([sys.executable, str(script)], env=env,
                              cwd=tmp_path, capture_output=True, text=True,
                              timeout=400)

    return run
