"""The command line: every recipe option says what it does and its default,
`kerasnn --version` answers, and the help comes without importing Keras."""

import json
import re
import subprocess
import sys
import textwrap
import time

import pytest

from kerasnn.recipes import cli


@pytest.mark.backend_neutral
@pytest.mark.parametrize("recipe", sorted(cli.RECIPES))
def test_every_recipe_option_has_help(recipe, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main([recipe, "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    options = text[text.index("options:"):]
    # One entry per option: its flags, then (on the same line after two
    # spaces, or on the next lines) its description.
    entries = re.split(r"\n  (?=-)", options)[1:]
    undescribed = [entry.split("\n")[0].strip() for entry in entries
                   if not re.search(r"\S {2,}\S|\n\s+\S", entry)]
    assert not undescribed, f"options without help: {undescribed}"


@pytest.mark.backend_neutral
def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert re.fullmatch(r"kerasnn \d+\.\d+\.\d+\S*\n", capsys.readouterr().out)


@pytest.mark.slow
@pytest.mark.backend_neutral
def test_help_answers_in_a_fraction_of_the_time_keras_takes_to_import():
    # Importing Keras takes seconds; the help must not wait for it.
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "kerasnn.recipes", "--help"],
                            capture_output=True, text=True, timeout=60)
    seconds = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    assert "mnist" in result.stdout
    assert seconds < 1.5, f"kerasnn --help took {seconds:.2f} s"


@pytest.mark.slow
@pytest.mark.backend_neutral
def test_help_version_and_a_bad_option_leave_keras_unimported():
    code = textwrap.dedent("""
        import contextlib, io, json, sys
        from kerasnn.recipes import cli

        codes = []
        with contextlib.redirect_stdout(io.StringIO()), \\
                contextlib.redirect_stderr(io.StringIO()):
            codes.append(cli.main(["--help"]))
            codes.append(cli.main(["--version"]))
            for argv in ([[name, "--help"] for name in cli.RECIPES]
                         + [["mnist", "--out", "o", "--epochs", "0"]]):
                try:
                    cli.main(argv)
                except SystemExit as stop:
                    codes.append(stop.code)
        heavy = sorted({m.split(".")[0] for m in sys.modules}
                       & {"keras", "tensorflow", "jax", "numpy", "pandas"})
        print(json.dumps([codes, heavy]))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    codes, heavy = json.loads(result.stdout.splitlines()[-1])
    assert codes == [0, 0, 0, 0, 0, 2]
    assert heavy == []
