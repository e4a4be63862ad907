"""Runs the README's Python examples in order, as a notebook would, and keeps
what they print and draw.

    python benchmarks/readme_examples.py --out runs/readme_examples [--fast]

Every ```python block of README.md runs in one namespace, in a fresh folder
(`--out`) that holds `recipes/data/penguins.csv`, as a reader who pastes the
blocks into a notebook would run them. The arrays the transfer example takes
for granted come from the embedded MNIST subset: `x_0_to_4`, `y_0_to_4` every
training image of the digits 0-4, `x_few`, `y_few` 20 images of each of the
digits 5-9, labelled 0-4. `--fast` applies the `<!-- test: ... -->`
shortenings that `tests/test_docs.py` uses (fewer epochs); without it the
blocks run as written.

Writes into `--out`: the files the examples save (the three figures
`history.png`, `gradient_norms.png`, `lr_finder.png`, and the saved models),
`readme_examples.ipynb` (one code cell per block, with its printed output and
the figures it saved) and `readme_examples.json` (per block: line, status,
seconds, output, new files). With `nbclient` and `nbformat` installed, the
notebook is executed by a Jupyter kernel instead. Exit status 1 if a block
failed.
"""

import argparse
import ast
import base64
import contextlib
import io
import json
import os
import re
import shutil
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
PENGUINS = os.path.join(ROOT, "recipes", "data", "penguins.csv")
MNIST = os.path.join(ROOT, "recipes", "data", "mnist-5k.npz")

_BLOCK = re.compile(r"(?:<!-- test: (?P<directives>.*?) -->\n)?```python\n"
                    r"(?P<code>.*?)```", re.S)

#: Code run before a block whose directives name it (`setup NAME`).
SETUPS = {
    "digits": (
        "import numpy as np\n"
        f"_data = np.load({MNIST!r}, allow_pickle=False)\n"
        "_x = _data['x_train'][..., None].astype('float32') / 255.0\n"
        "_y = _data['y_train']\n"
        "x_0_to_4, y_0_to_4 = _x[_y < 5], _y[_y < 5]\n"
        "_few = np.concatenate([np.flatnonzero(_y == d)[:20] "
        "for d in range(5, 10)])\n"
        "x_few, y_few = _x[_few], _y[_few] - 5\n"
    ),
}


def readme_blocks(fast):
    """`(line, code)` of each ```python block of the README."""
    with open(README) as f:
        text = f.read()
    blocks = []
    for match in _BLOCK.finditer(text):
        code = match.group("code")
        for item in (match.group("directives") or "").split(";"):
            item = item.strip()
            if item.startswith("setup "):
                code = SETUPS[item[len("setup "):]] + code
            elif fast and "=>" in item:
                item = item[len("sub "):] if item.startswith("sub ") else item
                old, new = (part.strip() for part in item.split("=>", 1))
                code = code.replace(old, new)
        blocks.append((text.count("\n", 0, match.start("code")) + 1, code))
    return blocks


def run_blocks(blocks, out):
    """Runs the blocks in one namespace inside `out`; one record per block."""
    namespace, records = {"__name__": "__main__"}, []
    for line, code in blocks:
        before = set(os.listdir(out))
        printed = io.StringIO()
        start = time.perf_counter()
        status = "ok"
        with contextlib.redirect_stdout(printed):
            try:
                value = _run_cell(code, f"README.md:{line}", namespace)
                if value is not None:  # a notebook shows the last value
                    print(repr(value))
            except Exception:  # noqa: BLE001 - recorded, and the run goes on
                status = "error"
                printed.write(traceback.format_exc())
        records.append({
            "line": line, "status": status,
            "seconds": round(time.perf_counter() - start, 1),
            "output": printed.getvalue(), "code": code,
            "new_files": sorted(set(os.listdir(out)) - before),
        })
        print(f"README.md:{line}: {status} in {records[-1]['seconds']} s; "
              f"new files: {', '.join(records[-1]['new_files']) or 'none'}")
        if status == "error":
            print(printed.getvalue()[-3000:], file=sys.stderr)
    return records


def _run_cell(code, name, namespace):
    """Runs `code` as a notebook cell; returns its last expression's value."""
    tree = ast.parse(code, name)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, name, "exec"), namespace)
    return eval(compile(last, name, "eval"), namespace) if last else None


def notebook(records, out):
    """An nbformat-4 notebook of the run, outputs and saved figures included."""
    cells = []
    for count, record in enumerate(records, 1):
        outputs = []
        if record["output"]:
            outputs.append({"output_type": "stream", "name": "stdout",
                            "text": record["output"]})
        for name in record["new_files"]:
            if name.endswith(".png"):
                with open(os.path.join(out, name), "rb") as f:
                    png = base64.b64encode(f.read()).decode("ascii")
                outputs.append({"output_type": "display_data",
                                "data": {"image/png": png,
                                         "text/plain": name},
                                "metadata": {}})
        cells.append({"cell_type": "code", "execution_count": count,
                      "metadata": {"readme_line": record["line"]},
                      "source": record["code"], "outputs": outputs})
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3",
                                        "display_name": "Python 3",
                                        "language": "python"}}}


def run_with_nbclient(blocks, out):
    """Executes the blocks as a notebook in a Jupyter kernel; `None` when
    nbclient, nbformat or a kernel is not installed."""
    try:
        import nbclient
        import nbformat
    except ImportError:
        return None
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code) for _, code in blocks]
    client = nbclient.NotebookClient(nb, timeout=1800, allow_errors=True,
                                     resources={"metadata": {"path": out}})
    try:
        client.execute()
    except Exception as error:  # noqa: BLE001 - no kernel: fall back
        print(f"nbclient could not run the notebook ({error}); running the "
              "blocks as a script instead.", file=sys.stderr)
        return None
    nbformat.write(nb, os.path.join(out, "readme_examples.ipynb"))
    return [{"line": line, "status": "error" if any(
                o.get("output_type") == "error" for o in cell.outputs)
             else "ok", "runner": "nbclient"}
            for (line, _), cell in zip(blocks, nb.cells)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join("runs",
                                                      "readme_examples"),
                        help="folder to run in and write to (default "
                             "%(default)s)")
    parser.add_argument("--fast", action="store_true",
                        help="apply the docs tests' shortenings (fewer "
                             "epochs)")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    out = os.path.abspath(args.out)
    os.makedirs(os.path.join(out, "recipes", "data"), exist_ok=True)
    shutil.copy(PENGUINS, os.path.join(out, "recipes", "data"))
    blocks = readme_blocks(args.fast)
    os.chdir(out)
    records = run_with_nbclient(blocks, out)
    if records is None:
        records = run_blocks(blocks, out)
        with open("readme_examples.ipynb", "w") as f:
            json.dump(notebook(records, out), f, indent=1)
    with open("readme_examples.json", "w") as f:
        json.dump(records, f, indent=1)
    failed = [r["line"] for r in records if r["status"] != "ok"]
    print(f"{len(records) - len(failed)} of {len(records)} README blocks ran; "
          f"outputs in {out}" + (f"; failed: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
