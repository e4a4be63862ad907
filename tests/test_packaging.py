"""kerasnn as it is installed: its import names, its optional dependencies,
the `kerasnn` command."""

import importlib.metadata
import json

import pytest

from kerasnn.recipes import cli

# The installed names and the command: the JAX child below pins its own
# backend, whatever the backend of the test run.
pytestmark = pytest.mark.backend_neutral

# What a user's project commonly holds beside its training script.
SHADOWS = {
    "callbacks.py": "raise ImportError('the user\\'s own callbacks.py')\n",
    "recipes.py": "raise ImportError('the user\\'s own recipes.py')\n",
}


@pytest.mark.slow
def test_installed_package_on_jax_with_only_keras_numpy_and_pandas(
        tmp_path, write_npz, run_isolated):
    for name, text in SHADOWS.items():
        (tmp_path / name).write_text(text)
    data = write_npz(tmp_path / "digits.npz", n=120)
    result = run_isolated(f"""
        import kerasnn
        loaded = {{"keras_tuner", "sklearn", "imblearn"}} & set(sys.modules)
        assert not loaded, f"import kerasnn imported {{loaded}}"

        import keras
        kerasnn.build_model("binary", 4)
        cnn = kerasnn.build_image_model("multiclass", (12, 12, 1), n_classes=4,
                                        blocks=1, filters=4, convs_per_block=1,
                                        head_units=8)
        swapped = kerasnn.swap_head(cnn, "multiclass", n_classes=3, hidden=[4])
        kerasnn.freeze(swapped, to_layer=-2)
        swapped.save("swapped.keras")
        keras.models.load_model("swapped.keras", safe_mode=True)

        # The plugin and the recipes under their installed names, beside the
        # user's own callbacks.py and recipes.py.
        from kerasnn.callbacks import GradientMonitor, StepLR
        from kerasnn.recipes import _common, mnist, transfer
        def tiny(n_classes, *, learning_rate=None, seed=None, strategy=None):
            return kerasnn.build_image_model(
                "multiclass", (28, 28, 1), n_classes=n_classes, blocks=1,
                filters=4, convs_per_block=1, head_units=16, seed=seed)
        _common.image_model = tiny
        common = ["--data", {data!r}, "--quiet", "--seed", "0", "--epochs", "1"]
        # swap_head, imprint, fine_tune (both phases) and the cosine head.
        assert transfer.main(common + ["--out", "t", "--head-epochs", "1",
                                       "--fine-epochs", "1", "--shots", "4"]) == 0
        tuned = keras.models.load_model("t/model.keras", safe_mode=True)
        assert type(tuned.layers[-1]).__name__ == "CosineClassifier"
        assert mnist.main(common + ["--out", "m"]) == 0
        assert _common.run_main(mnist.main, common + [
            "--out", "d", "--distribute", "mirrored"]) == 2
        assert isinstance(GradientMonitor(), keras.callbacks.Callback)
        assert StepLR.__module__ == "kerasnn.callbacks.step_lr"
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("clean")
    assert "--distribute mirrored needs the TensorFlow backend" in result.stderr
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert metrics["status"] == "ok" and metrics["backend"] == "jax"


def test_console_script_points_at_the_recipes_command():
    scripts = importlib.metadata.entry_points(group="console_scripts")
    (entry,) = [e for e in scripts if e.name == "kerasnn"]
    assert entry.value == "kerasnn.recipes.cli:main"


def test_command_lists_the_recipes_and_refuses_unknown_ones(capsys):
    assert cli.main(["--help"]) == 0
    assert "mnist" in capsys.readouterr().out
    assert cli.main([]) == 2
    assert cli.main(["mnsit"]) == 2
    assert capsys.readouterr().err.endswith(
        "error: the recipe must be one of mnist, tabular, transfer. "
        "Received: 'mnsit'.\n")


@pytest.mark.slow
def test_command_runs_a_recipe_with_its_own_options(tmp_path, write_npz,
                                                    tiny_recipes, capsys):
    data = write_npz(tmp_path / "digits.npz", n=80)
    out = tmp_path / "run"
    assert cli.main(["mnist", "--data", data, "--out", str(out), "--epochs", "1",
                     "--quiet"]) == 0
    assert json.loads((out / "metrics.json").read_text())["status"] == "ok"
    assert capsys.readouterr().out.startswith("MNIST cnn: ok")
    with pytest.raises(SystemExit):
        cli.main(["mnist", "--help"])
    assert capsys.readouterr().out.split("\n")[0].startswith(
        "usage: kerasnn mnist")
