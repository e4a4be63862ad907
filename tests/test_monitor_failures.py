"""GradientMonitor on models whose probe is hard to run, and the order
of its findings."""

import warnings

import keras

from kerasnn.callbacks import GradientMonitor

L = keras.layers


def _report(model, rng):
    """The monitor's report on a sigmoid output fitted to targets of 100 to
    300, which it cannot reach (`label_mismatch` before training)."""
    model.compile("adam", "mse")
    x = rng.normal(size=(64, 6)).astype("float32")
    y = rng.uniform(100, 300, size=(64, 1)).astype("float32")
    monitor = GradientMonitor()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, y, epochs=1, batch_size=16, verbose=0,
                  callbacks=[monitor])
    return monitor.report()


def test_layer_names_with_a_leading_underscore_are_probed(rng):
    # TensorFlow refuses such names as a root name scope, which is where
    # the probe's worker thread starts.
    inputs = keras.Input((6,))
    hidden = L.Dense(8, activation="relu", name="__pool")(inputs)
    model = keras.Model(inputs, L.Dense(1, activation="sigmoid")(hidden))
    report = _report(model, rng)
    assert not [n for n in report["notes"] if "Probes stopped" in n], report
    assert report["probes"] > 0
    assert report["status"] == "label_mismatch"


def test_setup_checks_run_when_the_probe_fails(rng, monkeypatch):
    from kerasnn.callbacks import _grads

    def broken(self, weights, x, y, sample_weight):
        raise RuntimeError("probe broke")

    monkeypatch.setattr(_grads.Prober, "probe", broken)
    model = keras.Sequential([keras.Input((6,)), L.Dense(8, "relu"),
                              L.Dense(1, activation="sigmoid")])
    report = _report(model, rng)
    assert any("Probes stopped at step 0: RuntimeError: probe broke" in n
               for n in report["notes"]), report["notes"]
    assert [f["kind"] for f in report["findings"]] == ["label_mismatch"]
    assert "sigmoid" in report["findings"][0]["message"]


def test_a_collapse_onto_the_majority_ranks_after_dead_units():
    from kerasnn.callbacks._findings import make_finding

    monitor = GradientMonitor()
    collapse = make_finding("class_imbalance", "m", "f", step=400)
    dead = make_finding("dead_units", "m", "f", layer="dense", step=400)
    flat = make_finding("constant_predictions", "m", "f", step=400)
    monitor._setup_findings = []
    monitor._found = {"class_imbalance": collapse, "dead_units": dead,
                      "constant_predictions": flat}
    kinds = [f["kind"] for f in monitor.findings]
    assert kinds == ["dead_units", "class_imbalance", "constant_predictions"]
    rare = make_finding("class_imbalance", "m", "f")  # before training
    monitor._setup_findings = [rare]
    monitor._found = {"dead_units": dead}
    assert [f["kind"] for f in monitor.findings] == ["class_imbalance",
                                                    "dead_units"]
