import ast
import pathlib
import re

import pytest

from kerasnn import callbacks

# Names, classes and source text only: the same on every backend.
pytestmark = pytest.mark.backend_neutral


def test_public_api_is_pinned():
    assert callbacks.__all__ == [
        "CallbackError",
        "CallbackTypeError",
        "CallbackValueError",
        "CallbackWarning",
        "FINDING_KINDS",
        "FitDiagnostics",
        "GradientHealthError",
        "GradientMonitor",
        "LRFinder",
        "StepLR",
        "check_setup",
        "diagnose_fit",
        "find_lr",
    ]
    for name in callbacks.__all__:
        assert getattr(callbacks, name).__doc__


def test_finding_kinds_are_the_documented_vocabulary():
    docs = pathlib.Path(__file__).parents[1] / "docs" / "diagnostics.md"
    table = re.findall(r"^\| `([a-z_]+)` \| (?:before|training|end)",
                       docs.read_text(), re.M)
    assert table == list(callbacks.FINDING_KINDS)


def test_errors_share_a_base_and_the_builtins():
    assert issubclass(callbacks.CallbackValueError, ValueError)
    assert issubclass(callbacks.CallbackTypeError, TypeError)
    assert issubclass(callbacks.GradientHealthError, RuntimeError)
    for error in (callbacks.CallbackValueError, callbacks.CallbackTypeError,
                  callbacks.GradientHealthError):
        assert issubclass(error, callbacks.CallbackError)
    assert issubclass(callbacks.CallbackWarning, UserWarning)


def test_package_does_not_import_kerasnn():
    # Real import statements only: docstrings may show `kerasnn.callbacks`.
    folder = pathlib.Path(callbacks.__file__).parent
    for source in folder.glob("*.py"):
        tree = ast.parse(source.read_text())
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import)
                 for a in n.names]
        names += [n.module or "" for n in ast.walk(tree)
                  if isinstance(n, ast.ImportFrom) and n.level == 0]
        assert not [m for m in names if m.split(".")[0] == "kerasnn"], (
            source.name)
