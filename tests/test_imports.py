"""What an import loads: `import kerasnn.callbacks` the plugin and Keras
alone; `import kerasnn` neither Keras, CTGAN, keras-tuner nor scikit-learn;
a saved tabular model loads in a fresh Python after a bare `import kerasnn`,
whether Keras is imported before it or after.

The import checks start a child Python, whose `sys.modules` starts empty.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

# Module lists of the child Python that the test reads back.
_REPORT = "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
_OPTIONAL = ("keras_tuner", "imblearn")


def _child(code, backend=None):
    # The checks marked backend_neutral pin the child to JAX: what an import
    # statement loads is the same on either backend, and Keras starts on JAX
    # in about two thirds of the CPU time it takes to load TensorFlow.
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    if backend:
        env["KERAS_BACKEND"] = backend
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                            env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _loaded(code, backend=None):
    return json.loads(_child(code + _REPORT, backend).splitlines()[-1])


def _ours(modules):
    return [m for m in modules if m.split(".")[0] == "kerasnn"]


def _top(modules):
    return {m.split(".")[0] for m in modules}


@pytest.mark.slow
@pytest.mark.backend_neutral
def test_plugin_import_loads_the_plugin_and_keras_alone():
    modules = _loaded("import kerasnn.callbacks", backend="jax")
    assert "keras" in modules
    assert [m for m in _ours(modules)
            if m != "kerasnn" and not m.startswith("kerasnn.callbacks")] == []
    assert not _top(modules) & set(_OPTIONAL)  # Keras may import sklearn


@pytest.mark.slow
@pytest.mark.backend_neutral
def test_package_import_loads_no_side_feature_or_optional_dependency(
        run_isolated):
    # The child refuses keras-tuner, scikit-learn and the other optional
    # packages and records any import of them from our own files.
    result = run_isolated("""
        import kerasnn
        assert [m for m in sys.modules if m.startswith("kerasnn.")] == []
        # Using the core loads the core only.
        kerasnn.build_model, kerasnn.train_tabular, kerasnn.fine_tune
        assert not [m for m in sys.modules if m.startswith("kerasnn.extras")]
        assert "sklearn" not in sys.modules and "keras_tuner" not in sys.modules
    """)
    assert result.stdout.split()[-1:] == ["clean"], result.stderr[-3000:]


@pytest.mark.backend_neutral
def test_public_names_resolve_lazily():
    import kerasnn

    for name in kerasnn.__all__:
        assert getattr(kerasnn, name) is not None, name
    assert set(kerasnn.__all__) <= set(dir(kerasnn))
    with pytest.raises(AttributeError, match="no attribute 'bulid_model'"):
        kerasnn.bulid_model


@pytest.mark.slow
@pytest.mark.tf_only
def test_saved_tabular_model_loads_after_a_bare_import(penguins_table,
                                                       tmp_path):
    import kerasnn

    X, y = penguins_table.drop(columns="species"), penguins_table["species"]
    model = kerasnn.build_tabular_model(X, y, hidden=[8], seed=0)
    model.fit(X, y, epochs=1, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    X.head(20).to_csv(tmp_path / "rows.csv", index=False)
    np.save(tmp_path / "expected.npy", model.predict(dict(X.head(20)), verbose=0))
    out = _child(f"""
        import sys
        import kerasnn
        import keras, numpy as np, pandas as pd
        assert "kerasnn.tabular.model" not in sys.modules
        model = keras.saving.load_model({path!r})  # safe mode
        X = pd.read_csv({str(tmp_path / "rows.csv")!r})
        np.testing.assert_allclose(model.predict(dict(X), verbose=0),
                                   np.load({str(tmp_path / "expected.npy")!r}),
                                   rtol=1e-5)
        print(type(model).__name__)
    """)
    assert out.split()[-1] == "TabularModel"


@pytest.mark.slow
@pytest.mark.backend_neutral
@pytest.mark.parametrize("first", ["kerasnn", "keras"])
def test_saved_classes_are_registered_whichever_import_comes_first(first):
    out = _child(f"""
        import sys
        import {first}
        if {first!r} == "kerasnn":
            assert "keras" not in sys.modules, "import kerasnn imported Keras"
        import keras
        import kerasnn
        stand_in = keras.saving.get_custom_objects()["kerasnn>TabularModel"]
        assert isinstance(stand_in, kerasnn._SavedClass), stand_in
        # Keras keeps its own loader; the finder that waited for it is gone.
        assert keras.__loader__ is keras.__spec__.loader
        assert type(keras.__loader__).__name__ == "SourceFileLoader"
        assert not [f for f in sys.meta_path
                    if isinstance(f, kerasnn._AfterKerasImport)]
        print(len([n for n in keras.saving.get_custom_objects()
                   if n.startswith("kerasnn>")]))
    """, backend="jax")
    import kerasnn

    assert int(out.split()[-1]) == len(kerasnn._SAVED_CLASSES)


@pytest.mark.backend_neutral
def test_every_saved_class_is_listed_under_its_registered_name():
    import importlib
    import pkgutil

    import keras

    import kerasnn

    for package in ("builders", "tabular", "transfer", "extras"):
        path = importlib.import_module(f"kerasnn.{package}").__path__
        for module in pkgutil.iter_modules(path):
            importlib.import_module(f"kerasnn.{package}.{module.name}")
    registered = {name: cls for name, cls in
                  keras.saving.get_custom_objects().items()
                  if name.startswith("kerasnn>")}
    assert sorted(registered) == sorted(f"kerasnn>{name}"
                                        for name in kerasnn._SAVED_CLASSES)
    for name, module in kerasnn._SAVED_CLASSES.items():
        cls = registered[f"kerasnn>{name}"]
        assert isinstance(cls, type) and cls.__module__ == module, name
        assert keras.saving.get_registered_name(cls) == f"kerasnn>{name}"


@pytest.mark.backend_neutral
def test_core_never_imports_the_side_features_at_module_level():
    import ast
    import pathlib

    import kerasnn

    root = pathlib.Path(kerasnn.__file__).parent
    for source in root.rglob("*.py"):
        if source.parent.name == "extras":
            continue
        tree = ast.parse(source.read_text())
        names = [n.module or "" for n in tree.body
                 if isinstance(n, ast.ImportFrom)]
        names += [a.name for n in tree.body if isinstance(n, ast.Import)
                  for a in n.names]
        assert not [m for m in names if m.startswith("kerasnn.extras")], source
