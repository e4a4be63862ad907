"""The README's first example runs as written."""

import os
import re

import keras
import numpy as np

README = os.path.join(os.path.dirname(__file__), "..", "README.md")


def test_readme_demo_runs_as_written(tmp_path, monkeypatch, capsys):
    with open(README) as f:
        code = re.search(r"```python\n(.*?)```", f.read(), re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    printed = capsys.readouterr().out
    assert printed.split()[0] == "healthy"
    model = keras.saving.load_model(tmp_path / "model.keras")
    x = namespace["x"][:5]
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               namespace["model"].predict(x, verbose=0), atol=1e-6)
