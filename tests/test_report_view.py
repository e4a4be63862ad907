"""The reports' notebook form: a table in Jupyter, readable lines in
IPython, and still the plain dict or list to everything else."""

import json

import keras
import numpy as np
import pytest

from kerasnn.callbacks import GradientMonitor
from kerasnn.callbacks import check_setup
from kerasnn.callbacks import diagnose_fit
from kerasnn.callbacks._findings import make_finding
from kerasnn.callbacks._report_view import Findings
from kerasnn.callbacks._report_view import Report

_OVERFIT = {"loss": [1.0, 0.5, 0.3, 0.2], "val_loss": [1.0, 0.6, 0.7, 0.9]}


class _Printer:
    """Stands in for IPython's pretty printer."""

    def __init__(self):
        self.out = ""

    def text(self, text):
        self.out += text


def _pretty(value):
    printer = _Printer()
    value._repr_pretty_(printer, False)
    return printer.out


def _setup_findings():
    # NaN in the inputs and inputs in the thousands: two setup findings.
    model = keras.Sequential([keras.Input((3,)),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    x = np.random.default_rng(0).normal(size=(64, 3)) * 5000.0
    x[0, 0] = np.nan
    y = (np.arange(64) % 2).astype("float32")
    return check_setup(model, x, y)


@pytest.mark.backend_neutral
def test_diagnose_fit_is_still_the_plain_dict():
    result = diagnose_fit(_OVERFIT)
    plain = dict(result)
    assert isinstance(result, dict) and type(plain) is dict
    assert result == plain and plain == result
    assert json.loads(json.dumps(result)) == plain
    assert repr(result) == repr(plain) and str(result) == str(plain)


@pytest.mark.backend_neutral
def test_diagnose_fit_shows_its_status_and_advice():
    result = diagnose_fit(_OVERFIT)
    html = result._repr_html_()
    assert "<b>status</b>: overfitting" in html
    assert "<b>best_epoch</b>: 1" in html
    assert "EarlyStopping(monitor=&#x27;val_loss&#x27;" in html
    text = _pretty(result)
    assert text.startswith("status: overfitting, best_epoch: 1\nadvice:\n- ")


def test_check_setup_shows_each_finding_in_a_table():
    findings = _setup_findings()
    kinds = [f["kind"] for f in findings]
    assert {"nonfinite_data", "unscaled_inputs"} <= set(kinds)
    assert isinstance(findings, list) and findings == list(findings)
    assert json.loads(json.dumps(findings)) == list(findings)
    html = findings._repr_html_()
    assert html.count("<tr>") == len(findings) + 1  # the heading row
    for kind in kinds:
        assert f"<td style='text-align:left'>{kind}</td>" in html
    assert "<th style='text-align:left'>step</th>" not in html  # none has one
    text = _pretty(findings)
    assert all(f"- {kind}" in text for kind in kinds)


@pytest.mark.backend_neutral
def test_findings_escape_html():
    finding = make_finding("nan", "loss <b>went</b> NaN & stayed",
                           "use <clipnorm>", layer="dense<1>", step=3)
    html = Findings([finding])._repr_html_()
    assert "<b>went" not in html and "<clipnorm>" not in html
    assert "loss &lt;b&gt;went&lt;/b&gt; NaN &amp; stayed" in html
    assert "use &lt;clipnorm&gt;" in html and "dense&lt;1&gt;" in html
    assert "<th style='text-align:left'>step</th>" in html
    assert Findings([])._repr_html_() == "<div><p>No findings.</p></div>"


@pytest.mark.backend_neutral
def test_monitor_report_is_still_the_plain_dict():
    report = GradientMonitor().report()
    plain = json.loads(json.dumps(report))
    assert isinstance(report, Report) and report == plain
    html = report._repr_html_()
    assert "<b>status</b>: healthy" in html and "No findings." in html
    assert _pretty(report).splitlines()[1] == "No findings."


@pytest.mark.backend_neutral
def test_a_report_shows_its_findings_rather_than_their_advice():
    finding = make_finding("exploding", "norms grew 1e6x", "clip them",
                           layer="dense", step=40)
    report = Report(status="exploding", findings=[finding], step=40,
                    advice=["norms grew 1e6x clip them"], notes=["a <note>"])
    html = report._repr_html_()
    assert "<td style='text-align:left'>exploding</td>" in html
    assert "<b>advice</b>" not in html
    assert "<li>a &lt;note&gt;</li>" in html
    assert _pretty(report) == ("status: exploding, step: 40\n"
                               "- exploding (layer dense, step 40): norms "
                               "grew 1e6x\n  fix: clip them\nnotes:\n"
                               "- a <note>")
