"""The command line: every recipe option says what it does and its default,
and `kerasnn --version` answers."""

import re

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
