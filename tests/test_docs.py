"""Every Python block of the README and the docs runs as written.

Blocks in one file run in order in one namespace, as a reader would paste
them, in a fresh folder that holds `recipes/data/penguins.csv`. A block that
would train for long is preceded by an HTML comment the reader does not see:

    <!-- test: setup digits; sub epochs=40 => epochs=2; seed=0) => seed=0, epochs=1) -->

`setup NAME` runs one of SETUPS first (data the text assumes); each `OLD =>
NEW` replaces text in the block (and must match, so the doc and its test
cannot drift apart).
"""

import os
import re
import shutil

import keras
import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The README has its own test, which also checks what its blocks print.
DOCS = ["docs/tabular.md", "docs/images.md", "docs/scale-out.md",
        "docs/callbacks.md", "docs/lr_finder.md", "docs/practice.md",
        "docs/arguments.md"]

# The README's tabular example, like much of docs/tabular.md, takes raw
# strings (TensorFlow); the blocks train several models; and the text is the
# same whatever the backend.
pytestmark = [pytest.mark.tf_only, pytest.mark.slow,
              pytest.mark.backend_neutral]

SETUPS = {
    # The arrays the transfer examples take for granted: 28x28 digit-like
    # images of five classes, many for the first task, a few for the second.
    "digits": (
        "import numpy as np\n"
        "_rng = np.random.default_rng(0)\n"
        "x_0_to_4 = _rng.random((64, 28, 28, 1), dtype='float32')\n"
        "y_0_to_4 = np.arange(64) % 5\n"
        "x_few = _rng.random((20, 28, 28, 1), dtype='float32')\n"
        "y_few = np.arange(20) % 5\n"
    ),
    # The small compiled classifier and data the callbacks page works on.
    "small": (
        "import keras\n"
        "import numpy as np\n"
        "_rng = np.random.default_rng(0)\n"
        "x = _rng.normal(size=(256, 8)).astype('float32')\n"
        "y = (x[:, 0] + x[:, 1] > 0).astype('int32')\n"
        "model = keras.Sequential([keras.Input((8,)),\n"
        "    keras.layers.Dense(16, activation='relu'),\n"
        "    keras.layers.Dense(1, activation='sigmoid')])\n"
        "model.compile('adam', 'binary_crossentropy')\n"
    ),
}

_BLOCK = re.compile(r"(?:<!-- test: (?P<directives>.*?) -->\n)?```python\n"
                    r"(?P<code>.*?)```", re.S)


def python_blocks(path):
    """`(line, code)` of each ```python block, directives applied."""
    with open(os.path.join(ROOT, path)) as f:
        text = f.read()
    blocks = []
    for match in _BLOCK.finditer(text):
        code = match.group("code")
        for item in (match.group("directives") or "").split(";"):
            item = item.strip()
            if item.startswith("setup "):
                code = SETUPS[item[len("setup "):]] + code
                continue
            item = item[len("sub "):] if item.startswith("sub ") else item
            if "=>" in item:
                old, new = (part.strip() for part in item.split("=>", 1))
                assert old in code, f"{path}: {old!r} is not in the block"
                code = code.replace(old, new)
        blocks.append((text.count("\n", 0, match.start("code")) + 1, code))
    return blocks


@pytest.fixture
def reader_folder(tmp_path, monkeypatch):
    data = tmp_path / "recipes" / "data"
    data.mkdir(parents=True)
    shutil.copy(os.path.join(ROOT, "recipes", "data", "penguins.csv"), data)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(path, block, namespace):
    line, code = block
    keras.backend.clear_session()
    exec(compile(code, f"{path}:{line}", "exec"), namespace)


@pytest.mark.parametrize("path", DOCS)
def test_python_blocks_run_as_written(path, reader_folder):
    blocks = python_blocks(path)
    assert blocks, f"{path} has no Python block"
    namespace = {}
    for block in blocks:
        _run(path, block, namespace)


def test_readme_blocks_run_and_print_what_the_text_says(reader_folder,
                                                        capsys):
    demo, *others = python_blocks("README.md")
    namespace = {}
    _run("README.md", demo, namespace)
    # The demo's network is healthy, and its saved file predicts as it does.
    assert capsys.readouterr().out.split()[0] == "healthy"
    model = keras.saving.load_model(reader_folder / "model.keras")
    x = namespace["x"][:5]
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               namespace["model"].predict(x, verbose=0),
                               atol=1e-6)
    setup_bug = [b for b in others if "check_setup(model, x, y)" in b[1]]
    assert len(setup_bug) == 1
    for block in others:
        _run("README.md", block, namespace)
        printed = capsys.readouterr().out.splitlines()
        if block in setup_bug:
            assert printed[0].startswith(
                "loss_activation_mismatch - use `keras.losses."
                "SparseCategoricalCrossentropy(from_logits=True)`")
    # The three figures the README shows are saved where it says.
    for figure in ("history.png", "gradient_norms.png", "lr_finder.png"):
        assert (reader_folder / figure).stat().st_size > 0, figure
