"""`kerasnn`: the recipes as subcommands of one command.

    kerasnn mnist --out runs/mnist
    kerasnn tabular --csv data.csv --target price --out runs/price
    kerasnn transfer --out runs/transfer

`kerasnn RECIPE --help` lists a recipe's options; `python -m kerasnn.recipes.RECIPE`
runs the same code.
"""

import importlib
import sys

from . import _cli_parsers

#: Subcommand -> one line on what it does.
RECIPES = {
    "mnist": "train and score a small CNN on MNIST (embedded 5k subset)",
    "tabular": "train the tabular model on a CSV and score held-out rows",
    "transfer": "digits 0-4 teach digits 5-9: head swap and fine-tuning",
}

USAGE = ("usage: kerasnn {mnist,tabular,transfer} [options]   "
         "(kerasnn RECIPE --help; kerasnn --version)")


def main(argv=None):
    """Runs `kerasnn RECIPE [options]`; returns the recipe's exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--version"]:
        from importlib.metadata import version

        print(f"kerasnn {version('kerasnn')}")
        return 0
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE + "\n\nrecipes:\n" + "\n".join(
            f"  {name:10s}{what}" for name, what in RECIPES.items()),
            file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in RECIPES:
        print(f"{USAGE}\nerror: the recipe must be one of "
              f"{', '.join(RECIPES)}. Received: {name!r}.", file=sys.stderr)
        return 2
    # --help and a bad option answer here, from the parser alone: the recipe
    # and Keras load only once the options parse.
    _cli_parsers.PARSERS[name](f"kerasnn {name}").parse_args(rest)
    from ._common import run_main

    module = importlib.import_module(f"{__package__}.{name}")
    return run_main(module.main, rest, prog=f"kerasnn {name}")


if __name__ == "__main__":
    sys.exit(main())
