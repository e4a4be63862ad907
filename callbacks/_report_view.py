"""How the reports show in a notebook.

`GradientMonitor.report()` and `diagnose_fit` return a `Report`, and
`check_setup` a `Findings`: a plain dict and a plain list to every reader
(`==`, `json.dumps`, `isinstance(..., dict)`, `print`, `repr`) that Jupyter
draws as a table (`_repr_html_`: the status and other figures, then one row
per finding with its kind, layer, message and fix) and IPython prints as a
few readable lines (`_repr_pretty_`).
"""

import html

#: A finding's columns, in the order shown; `step` only where one has it.
_COLUMNS = ("kind", "layer", "step", "message", "fix")


class Report(dict):
    """A JSON-ready report dict that shows itself as a table in a notebook.

    Its top-level numbers and strings (`status` first) make the heading; its
    `findings` a table; its `notes`, and its `advice` where it has no
    findings, a list. The rest (per-layer figures, data sources) stays in
    the dict.
    """

    def _repr_html_(self):
        parts = [f"<p>{_html_figures(self)}</p>"]
        if "findings" in self:
            parts.append(_html_findings(self["findings"]))
        else:
            parts.append(_html_list("advice", self.get("advice")))
        parts.append(_html_list("notes", self.get("notes")))
        return "<div>" + "".join(parts) + "</div>"

    def _repr_pretty_(self, printer, cycle):
        if cycle:
            printer.text(dict.__repr__(self))
            return
        lines = [_text_figures(self)]
        if "findings" in self:
            lines += _text_findings(self["findings"])
        else:
            lines += _text_list("advice", self.get("advice"))
        lines += _text_list("notes", self.get("notes"))
        printer.text("\n".join(lines))


class Findings(list):
    """A JSON-ready list of findings that shows itself as a table in a
    notebook (see `Report`)."""

    def _repr_html_(self):
        return "<div>" + _html_findings(self) + "</div>"

    def _repr_pretty_(self, printer, cycle):
        printer.text(list.__repr__(self) if cycle
                     else "\n".join(_text_findings(self)))


def _figures(report):
    """The top-level numbers and strings, `status` first."""
    items = [(k, v) for k, v in report.items()
             if v is None or isinstance(v, (str, int, float))]
    return sorted(items, key=lambda item: item[0] != "status")


def _shown(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return "n/a" if value is None else str(value)


def _columns(findings):
    has_step = any(f.get("step") is not None for f in findings)
    return [c for c in _COLUMNS if c != "step" or has_step]


def _html_figures(report):
    return " &middot; ".join(
        f"<b>{html.escape(str(k))}</b>: {html.escape(_shown(v))}"
        for k, v in _figures(report))


def _html_findings(findings):
    if not findings:
        return "<p>No findings.</p>"
    columns = _columns(findings)
    head = "".join(f"<th style='text-align:left'>{c}</th>" for c in columns)
    rows = "".join(
        "<tr>" + "".join(f"<td style='text-align:left'>{_cell(f, c)}</td>"
                         for c in columns) + "</tr>"
        for f in findings)
    return (f"<table><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _cell(finding, column):
    value = finding.get(column)
    if column in ("layer", "step"):
        return html.escape(_shown(value))
    return html.escape("" if value is None else str(value))


def _html_list(title, items):
    if not items:
        return ""
    entries = "".join(f"<li>{html.escape(str(item))}</li>" for item in items)
    return f"<p><b>{title}</b></p><ul>{entries}</ul>"


def _text_figures(report):
    return ", ".join(f"{k}: {_shown(v)}" for k, v in _figures(report))


def _text_findings(findings):
    if not findings:
        return ["No findings."]
    lines = []
    for f in findings:
        where = [f"layer {f['layer']}" if f.get("layer") is not None else "",
                 f"step {f['step']}" if f.get("step") is not None else ""]
        where = ", ".join(w for w in where if w)
        lines.append(f"- {f.get('kind')}" + (f" ({where})" if where else "")
                     + f": {f.get('message', '')}")
        if f.get("fix"):
            lines.append(f"  fix: {f['fix']}")
    return lines


def _text_list(title, items):
    return [f"{title}:"] + [f"- {item}" for item in items] if items else []
