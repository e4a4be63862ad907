"""Does `GradientMonitor` name the bugs that users actually have?

Runs the catalogue of `diagnosis_cases.py` (faulty Keras training programs,
each with its known cause, and healthy ones) with `GradientMonitor()` at its
default settings in the callback list, and compares the kinds it finds with
the known cause. One row per case and backend:

- `right`: the expected kind is the first finding;
- `right (not first)`: it is among the findings, after another kind;
- `missed`: it is not among them;
- `ok` / `false alarm`: a healthy program without / with a finding;
- `error`: the program raised (the row still shows what was found).

Then totals per backend, split ("tune": cases the thresholds may be tuned
on; "holdout": kept aside) and origin ("own": written for the catalogue;
"real": programs people posted with the fix they found), with false alarms
counted apart on the fixed twins and on the other healthy programs; and
each faulty program's figure beside its fixed twin's, to show what the bug
costs.

Run by hand from the repo root (`both` runs each backend in a child Python
with `KERAS_BACKEND` set and merges the results):

    python benchmarks/bench_diagnosis.py [--backend tensorflow|jax|both]
        [--only NAME_SUBSTRING] [--split tune|holdout|all]
        [--origin own|real|all] [--json out.json]
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import traceback
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
BACKENDS = ("tensorflow", "jax")
_COLUMNS = (("case", 34), ("family", 22), ("backend", 10), ("split", 7),
            ("expected", 24), ("found", 34), ("verdict", 17), ("s", 5))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS + ("both",),
                        default="both")
    parser.add_argument("--only", default=None, metavar="NAME_SUBSTRING",
                        help="run only the cases whose name contains this "
                             "(several, comma-separated: any of them)")
    parser.add_argument("--split", choices=("tune", "holdout", "all"),
                        default="all")
    parser.add_argument("--origin", choices=("own", "real", "all"),
                        default="all",
                        help="only the catalogue's own programs, or only the "
                             "real ones that people posted")
    parser.add_argument("--json", default=None, metavar="PATH",
                        help="write every row, with each finding's message "
                             "and fix, to this file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    backends = BACKENDS if args.backend == "both" else (args.backend,)
    if not args.child:
        _print_header()
    wall = {}
    if args.child or (len(backends) == 1
                      and os.environ.get("KERAS_BACKEND") in (None,
                                                              backends[0])):
        os.environ["KERAS_BACKEND"] = backends[0]
        start = time.perf_counter()
        rows, skipped = run_cases(args.only, args.split, args.origin)
        wall[backends[0]] = time.perf_counter() - start
    else:
        rows, skipped = [], []
        for backend in backends:
            start = time.perf_counter()
            child_rows, child_skipped = _run_child(backend, args)
            wall[backend] = time.perf_counter() - start
            rows += child_rows
            skipped += child_skipped
    if args.child:
        _dump(args.json, {"rows": rows, "skipped": skipped})
        return 0
    _print_skipped(skipped)
    _print_totals(rows)
    print("wall time per backend (start-up included): " + ", ".join(
        f"{b} {s / 60:.1f} min" for b, s in wall.items()))
    _print_twins(rows)
    if args.json:
        _dump(args.json, {"rows": rows, "skipped": skipped,
                          "wall_seconds": wall})
        print(f"\nwrote {args.json}")
    return 0


def run_cases(only=None, split="all", origin="all"):
    """Runs the selected cases on this process's backend.

    Returns:
        `(rows, skipped)`: one dict per case run, and one per case left out
        on this backend (with the case's reason).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, HERE)
    sys.path.insert(0, os.path.join(HERE, ".."))
    import keras

    import diagnosis_cases

    cases = diagnosis_cases.load_cases()
    _check_catalogue(cases)
    backend = keras.backend.backend()
    rows, skipped = [], []
    for case in cases:
        if only and not any(part in case.name for part in only.split(",")):
            continue
        if split != "all" and case.split != split:
            continue
        if origin != "all" and case.origin != origin:
            continue
        if backend not in case.backends:
            skipped.append({"case": case.name, "backend": backend,
                            "why": case.note})
            continue
        row = run_case(case, backend)
        rows.append(row)
        _print_row(row)
    return rows, skipped


def run_case(case, backend):
    """Runs one program with a fresh `GradientMonitor()`; returns its row."""
    import keras

    from kerasnn.callbacks import CallbackWarning
    from kerasnn.callbacks import GradientMonitor

    keras.utils.set_random_seed(0)
    keras.backend.clear_session()
    monitor, history, error = None, None, None
    start, cpu_start = time.perf_counter(), time.process_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            monitor = GradientMonitor()
            history = case.program([monitor])
        except Exception as exc:  # a broken program is a row, not a crash
            error = f"{type(exc).__name__}: {_first_line(exc)}"
            trace = traceback.format_exc(limit=-3)
        finally:
            keras.mixed_precision.set_global_policy("float32")
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    findings = _findings(monitor)
    kinds = list(dict.fromkeys(f["kind"] for f in findings))
    return {
        "case": case.name, "family": case.family, "backend": backend,
        "split": case.split, "origin": case.origin,
        "expected": case.expected,
        "also": list(case.also), "fixed_by": case.fixed_by,
        "metric": case.metric, "kinds": kinds,
        "extra": [k for k in kinds
                  if k != case.expected and k not in case.also],
        "verdict": _verdict(case.expected, kinds, error),
        "seconds": round(seconds, 2), "cpu_seconds": round(cpu_seconds, 2),
        "findings": findings,
        "final": _final_logs(history),
        "warnings": [str(w.message) for w in caught
                     if issubclass(w.category, CallbackWarning)],
        "error": error, "traceback": trace if error else None,
        "note": case.note,
    }


def _check_catalogue(cases):
    """Refuses a catalogue whose kinds or twins do not exist."""
    from kerasnn.callbacks._findings import KINDS

    names = {c.name for c in cases}
    for c in cases:
        kinds = ([c.expected] if c.expected else []) + list(c.also)
        unknown = [k for k in kinds if k not in KINDS]
        bad = [b for b in c.backends if b not in BACKENDS]
        if (unknown or bad or c.split not in ("tune", "holdout")
                or (c.fixed_by and c.fixed_by not in names)
                or c.origin not in ("own", "real")
                or (c.origin == "real" and not c.source)):
            raise ValueError(
                f"Case {c.name!r} is malformed: unknown kinds {unknown}, "
                f"backends {bad}, split {c.split!r}, fixed_by "
                f"{c.fixed_by!r}, origin {c.origin!r} (a real program needs "
                "a source). Kinds must be among {sorted(KINDS)}.")


def _findings(monitor):
    """The monitor's findings (none when it never started)."""
    if monitor is None:
        return []
    try:
        report = monitor.report()
    except Exception:  # noqa: BLE001 - a monitor that never started
        return []
    return [dict(f) for f in report["findings"]]


def _verdict(expected, kinds, error):
    if error is not None:
        return "error"
    if expected is None:
        return "false alarm" if kinds else "ok"
    if kinds[:1] == [expected]:
        return "right"
    return "right (not first)" if expected in kinds else "missed"


def _final_logs(history):
    logs = getattr(history, "history", None) or {}
    out = {}
    for key, values in logs.items():
        if key.startswith("grad_norm") or not values:
            continue
        value = float(values[-1])
        out[key] = round(value, 4) if math.isfinite(value) else str(value)
    return out


def _run_child(backend, args):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "rows.json")
        command = [sys.executable, os.path.abspath(__file__), "--child",
                   "--backend", backend, "--split", args.split,
                   "--origin", args.origin, "--json", out]
        if args.only:
            command += ["--only", args.only]
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        # Rows stream to our stdout; the backends' start-up chatter on
        # stderr is shown only if the child fails.
        proc = subprocess.run(command, env=env, stderr=subprocess.PIPE,
                              text=True)
        if proc.returncode != 0 or not os.path.exists(out):
            sys.stderr.write(proc.stderr[-4000:])
            print(f"{backend}: the child Python failed "
                  f"(exit {proc.returncode}); its rows are missing.")
            return [], []
        with open(out) as f:
            data = json.load(f)
    return data["rows"], data["skipped"]


def _print_header():
    print(" ".join(name.ljust(width) for name, width in _COLUMNS))
    print(" ".join("-" * width for _, width in _COLUMNS))


def _print_row(row):
    values = (row["case"], row["family"], row["backend"], row["split"],
              row["expected"] or "-", ",".join(row["kinds"]) or "-",
              row["verdict"], f"{row['seconds']:.1f}")
    print(" ".join(_fit(str(v), w) for v, (_, w) in zip(values, _COLUMNS)),
          flush=True)
    if row["error"]:
        print(f"    {row['error'][:150]}", flush=True)


def _fit(text, width):
    return text.ljust(width) if len(text) <= width else text[:width - 1] + "~"


def _print_skipped(skipped):
    for s in skipped:
        print(f"skipped on {s['backend']}: {s['case']} ({s['why']})")


def _print_totals(rows):
    """Per backend, split and origin: faulty programs named right as the
    status (first finding), named anywhere and missed; false alarms on the
    fixed twins and on the other healthy programs."""
    header = ("backend", "split", "origin", "named first", "anywhere",
              "missed", "errors", "alarms on twins", "alarms on others",
              "seconds")
    twins = {r["fixed_by"] for r in rows if r["fixed_by"]}
    table = []
    for backend in sorted({r["backend"] for r in rows}):
        for split in ("tune", "holdout", "all"):
            for origin in ("own", "real", "all"):
                group = [r for r in rows if r["backend"] == backend
                         and split in ("all", r["split"])
                         and origin in ("all", r.get("origin", "own"))]
                if group:
                    table.append((backend, split, origin)
                                 + _totals_row(group, twins))
    widths = [max(len(str(line[i])) for line in [header] + table)
              for i in range(len(header))]
    print()
    for line in [header] + table:
        print("  ".join(str(v).ljust(w) if i < 3 else str(v).rjust(w)
                        for i, (v, w) in enumerate(zip(line, widths))))


def _totals_row(group, twins):
    faulty = [r for r in group if r["expected"] is not None]
    healthy = [r for r in group if r["expected"] is None]
    fixed = [r for r in healthy if r["case"] in twins]
    others = [r for r in healthy if r["case"] not in twins]
    first = sum(r["verdict"] == "right" for r in faulty)
    anywhere = sum(r["verdict"] in ("right", "right (not first)")
                   for r in faulty)
    missed = sum(r["verdict"] == "missed" for r in faulty)

    def alarms(rows):
        return f"{sum(r['verdict'] == 'false alarm' for r in rows)}/{len(rows)}"

    return (f"{first}/{len(faulty)}", f"{anywhere}/{len(faulty)}",
            f"{missed}/{len(faulty)}",
            sum(r["verdict"] == "error" for r in group), alarms(fixed),
            alarms(others), f"{sum(r['seconds'] for r in group):.0f}")


def _print_twins(rows):
    """Each faulty program's figure beside its fixed twin's, per backend."""
    by_key = {(r["case"], r["backend"]): r for r in rows}
    table = []
    for r in rows:
        twin = by_key.get((r["fixed_by"], r["backend"]))
        if r["expected"] is None or twin is None:
            continue
        metric = r["metric"]
        # A twin that does not log the faulty program's metric (a
        # classifier beside a regression of the same labels) shows its own.
        twin_metric = metric if metric in twin["final"] else twin["metric"]
        table.append((r["case"], r["backend"],
                      metric if twin_metric == metric
                      else f"{metric} / {twin_metric}",
                      str(r["final"].get(metric, "-")),
                      str(twin["final"].get(twin_metric, "-")),
                      r["fixed_by"]))
    if not table:
        return
    header = ("what the bug costs (last epoch)", "backend", "metric",
              "faulty", "fixed", "fixed twin")
    widths = [max(len(line[i]) for line in [header] + table)
              for i in range(len(header))]
    print()
    for line in [header] + table:
        print("  ".join(v.rjust(w) if i in (3, 4) else v.ljust(w)
                        for i, (v, w) in enumerate(zip(line, widths)))
              .rstrip())


def _first_line(exc):
    """The message's first line, and its last where TensorFlow puts the
    detail below a "Graph execution error:" heading."""
    lines = [line.strip() for line in str(exc).strip().splitlines()
             if line.strip()]
    if len(lines) > 1 and lines[0].endswith(":"):
        return f"{lines[0]} ... {lines[-1]}"
    return lines[0] if lines else ""


def _dump(path, data):
    with open(path, "w") as f:
        json.dump(data, f, indent=1, default=str)


if __name__ == "__main__":
    sys.exit(main())
