"""Every command the README, the docs and the benchmark results show exists.

A command is a line of a fenced block other than ```python, or an inline code
span, that starts (after any `NAME=value` settings) with `kerasnn`,
`python -m kerasnn.recipes...`, `python -m benchmarks.NAME` or `python
benchmarks/NAME.py`. Each must name a recipe or a benchmark that exists, and
each option it uses (`--xxx`) must appear in that program's `--help`. The help
comes from the programs' own parsers, run in this process: the recipes
through the `kerasnn` command's entry point, the benchmarks as scripts.
"""

import contextlib
import functools
import glob
import io
import os
import re
import runpy
import shlex
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = ["README.md", *sorted(os.path.relpath(p, ROOT) for p in
                              glob.glob(os.path.join(ROOT, "docs", "*.md"))),
         "benchmarks/RESULTS.md"]

pytestmark = pytest.mark.backend_neutral

_FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```", re.S | re.M)
_SPAN = re.compile(r"`([^`\n]+(?:\n[^`\n]+)*?)`")
_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
_SETTING = re.compile(r"^[A-Z_][A-Z0-9_]*=")
_OPERATORS = {"&&", "||", ";", "&", "|"}


def _commands_in(text):
    """`(line, words)` of each command line in the Markdown `text`."""
    found = []
    for fence in _FENCE.finditer(text):
        if fence.group("lang") == "python":
            continue
        start = text.count("\n", 0, fence.start("body")) + 1
        body = fence.group("body").replace("\\\n", " \n")
        offset = 0
        for line in body.split("\n"):
            found += [(start + offset, words) for words in _split(line)]
            offset += 1
    prose = _FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    for span in _SPAN.finditer(prose):
        line = prose.count("\n", 0, span.start()) + 1
        found += [(line, words) for words in _split(span.group(1))]
    return [(line, words) for line, words in found if _program(words)]


def _split(line):
    """The simple commands of one shell line, each as a list of words."""
    # `--split 0-4|5-9` lists choices; a pipe between commands has spaces.
    line = re.sub(r"(?<=\S)\|(?=\S)", "/", line)
    try:
        lexer = shlex.shlex(" ".join(line.split()), posix=True,
                            punctuation_chars="&|;")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words = list(lexer)
    except ValueError:  # an unbalanced quote: prose, not a command
        return []
    commands, current = [], []
    for word in words + [";"]:
        if word in _OPERATORS:
            while current and _SETTING.match(current[0]):
                current.pop(0)
            if current:
                commands.append(current)
            current = []
        else:
            current.append(word)
    return commands


def _program(words):
    """`("recipe", NAME)`, `("benchmark", NAME)`, `("kerasnn", None)`,
    `("unknown", MODULE)` or `None` for a command these checks skip."""
    if words[0] == "kerasnn":
        rest = [w for w in words[1:] if not w.startswith("-")]
        return ("recipe", rest[0]) if rest else ("kerasnn", None)
    if words[0] not in ("python", "python3") or len(words) < 2:
        return None
    if words[1] == "-m" and len(words) > 2:
        module = words[2]
        if module in ("kerasnn.recipes", "kerasnn.recipes.cli"):
            rest = [w for w in words[3:] if not w.startswith("-")]
            return ("recipe", rest[0]) if rest else ("kerasnn", None)
        if module.startswith("kerasnn.recipes."):
            return ("recipe", module.rsplit(".", 1)[1])
        if module.startswith("benchmarks."):
            return ("benchmark", module.split(".", 1)[1])
        if module.split(".")[0] in ("kerasnn", "recipes", "callbacks"):
            return ("unknown", module)
        return None
    if words[1].startswith("benchmarks/") and words[1].endswith(".py"):
        return ("benchmark", os.path.basename(words[1])[:-3])
    return None


def _all_commands():
    commands = []
    for page in PAGES:
        with open(os.path.join(ROOT, page)) as f:
            text = f.read()
        commands += [(page, line, words) for line, words in _commands_in(text)]
    return commands


COMMANDS = _all_commands()


def _help_of(main, argv):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            main(argv)
        except SystemExit:
            pass
    return out.getvalue()


@functools.lru_cache(maxsize=None)
def recipe_help(name):
    """`kerasnn NAME --help`, or the top-level help for `name=None`."""
    from kerasnn.recipes import cli

    return _help_of(cli.main, [name, "--help"] if name else ["--help"])


@functools.lru_cache(maxsize=None)
def benchmark_help(name):
    """`python benchmarks/NAME.py --help`, run in this process."""
    path = os.path.join(ROOT, "benchmarks", f"{name}.py")
    saved = sys.argv
    sys.argv = [path, "--help"]
    try:
        return _help_of(lambda argv: runpy.run_path(path, run_name="__main__"),
                        None)
    finally:
        sys.argv = saved


def _recipes():
    from kerasnn.recipes import cli

    return list(cli.RECIPES)


def _helps(kind, name):
    """The help texts an option must appear in (several for a placeholder
    such as `kerasnn RECIPE --help`)."""
    if kind == "kerasnn":
        return [recipe_help(None)]
    if kind == "benchmark":
        assert os.path.exists(os.path.join(ROOT, "benchmarks", f"{name}.py")), (
            f"benchmarks/{name}.py does not exist")
        return [benchmark_help(name)]
    if name.isupper():
        return [recipe_help(recipe) for recipe in _recipes()]
    assert name in _recipes(), (
        f"`{name}` is not a recipe; the recipes are {_recipes()}")
    return [recipe_help(name)]


@pytest.mark.parametrize(
    "page,line,words", COMMANDS,
    ids=[f"{page}:{line}:{' '.join(words)[:60]}"
         for page, line, words in COMMANDS])
def test_each_option_a_command_shows_is_in_its_help(page, line, words):
    kind, name = _program(words)
    where = f"{page}:{line}: `{' '.join(words)}`"
    assert kind != "unknown", (
        f"{where} runs a module users do not have; the recipes are "
        "`kerasnn RECIPE` or `python -m kerasnn.recipes.RECIPE`")
    helps = _helps(kind, name)
    for text in helps:
        assert "usage:" in text, f"{where}: no --help output:\n{text[-2000:]}"
    for option in _OPTION.findall(" ".join(words)):
        for text in helps:
            assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text), (
                f"{where} uses {option}, which its --help does not list:\n"
                f"{text}")


def test_the_pages_show_the_main_commands():
    shown = {" ".join(words) for _, _, words in COMMANDS}
    assert "kerasnn mnist --out runs/mnist" in shown
    assert "kerasnn transfer --out runs/transfer" in shown
    assert any(c.startswith("kerasnn tabular") for c in shown)


def test_a_stale_command_fails():
    # The checks above are only as good as the parser that feeds them.
    text = ("Run\n\n```bash\nFOO=1 python -m recipes.mnist --out x  # old\n```\n"
            "and `kerasnn mnist --no-such-option` or `python\n"
            "benchmarks/bench_mnist.py --seed 0`.\n")
    found = [(line, _program(words), words) for line, words in _commands_in(text)]
    assert found == [
        (4, ("unknown", "recipes.mnist"),
         ["python", "-m", "recipes.mnist", "--out", "x"]),
        (6, ("recipe", "mnist"), ["kerasnn", "mnist", "--no-such-option"]),
        (6, ("benchmark", "bench_mnist"),
         ["python", "benchmarks/bench_mnist.py", "--seed", "0"]),
    ]
    assert "--no-such-option" not in recipe_help("mnist")
    assert "--out" in recipe_help("mnist")


def test_readme_install_commands_match_the_package_and_ci():
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    with open(os.path.join(ROOT, "pyproject.toml")) as f:
        pyproject = f.read()
    extras_table = pyproject.split("[project.optional-dependencies]", 1)[1]
    extras_table = extras_table.split("\n[", 1)[0]
    extras = set(re.findall(r"^(\w[\w-]*)\s*=", extras_table, re.M))
    used = {e.strip() for group in re.findall(r'"\.\[([^\]]+)\]"', readme)
            for e in group.split(",")}
    assert used and used <= extras, (used, extras)
    assert "pip install ." in readme
    with open(os.path.join(ROOT, ".ci", "run")) as f:
        ci = f.read()
    # The README's set-up command is the one CI installs with.
    assert '`pip install -e ".[dev]"`' in readme
    assert 'pip install -q -e ".[dev]"' in ci
    assert "python -m pytest" in ci and "| the tests | `pytest` |" in readme
