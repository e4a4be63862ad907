"""The training rules that weigh the probes against what else is known of
the run (`RunFacts`): no signal, BatchNorm statistics, dead units that
cost, collapse onto the majority class, and the facts read from a model."""

import warnings

import keras
import numpy as np
import pytest

from kerasnn.callbacks import GradientMonitor
from kerasnn.callbacks import _run_facts
from kerasnn.callbacks._probe_history import ProbeHistory
from kerasnn.callbacks._probe_history import RunFacts
from kerasnn.callbacks._probe_history import Thresholds
from kerasnn.callbacks._loss_trend import descending_to_chance
from kerasnn.callbacks._symptoms import diagnose

L = keras.layers
TH = Thresholds()


def _history(losses, steps, *, train_spread=0.3, pred_spread=0.3,
             units=(), shares=None, update=1e-3):
    h = ProbeHistory(["a", "b"], list(units), ["relu"] * len(units),
                     [False] * len(units))
    for i, loss in enumerate(losses):
        h.add(steps[i], 1e-3, {
            "loss": loss, "eval_loss": loss, "pred_spread": _at(pred_spread, i),
            "train_spread": _at(train_spread, i), "grad_norms": [1.0, 1.0],
            "weight_norms": [1.0, 1.0],
            "unit_shares": [] if shares is None else shares[i],
            "act_peaks": [1.0] * len(units)})
        h.set_update_ratios([update, update])
    return h


def _at(value, i):
    return value[i] if isinstance(value, (list, tuple)) else value


def _kinds(found):
    return [f["kind"] for f in found]


STEPS = [0, 100, 200, 300]


def test_a_loss_at_the_no_information_level_is_no_signal():
    facts = RunFacts(baseline=np.log(10), baseline_what="the entropy")
    h = _history([2.31, 2.30, 2.30, 2.30], STEPS)
    found = diagnose(h, TH, final=True, epoch_losses=[2.31, 2.30, 2.30],
                     facts=facts, target_spread=1.0)
    assert _kinds(found) == ["no_signal"]
    assert "2.3" in found[0]["message"] and "line up" in found[0]["fix"]
    # A loss that went below it found a signal.
    found = diagnose(h, TH, final=True, epoch_losses=[2.3, 1.2, 0.6],
                     facts=facts, target_spread=1.0)
    assert "no_signal" not in _kinds(found)
    # Too few steps to tell.
    short = _history([2.31, 2.30, 2.30, 2.30], [0, 10, 20, 30])
    assert "no_signal" not in _kinds(diagnose(
        short, TH, final=True, epoch_losses=[2.3, 2.3], facts=facts))
    # Weight penalties in the logged loss are taken off first.
    facts.regularization = 0.5
    found = diagnose(h, TH, final=True, epoch_losses=[2.8, 2.5, 2.45],
                     facts=facts, target_spread=1.0)
    assert "no_signal" not in _kinds(found)


def test_a_loss_still_coming_down_to_chance_is_too_early_to_tell():
    # A classifier that starts far above the no-information level (0.68)
    # and is still falling when fit ends has not shown that x holds no
    # signal: a note, no finding.
    facts = RunFacts(baseline=0.683, baseline_what="the entropy")
    h = _history([0.9, 0.75, 0.69, 0.68], STEPS)
    slow = [0.89, 0.73, 0.70, 0.685, 0.679, 0.675]
    found = diagnose(h, TH, final=True, epoch_losses=slow, facts=facts,
                     target_spread=1.0)
    assert "no_signal" not in _kinds(found)
    note = descending_to_chance(TH, slow, facts)
    assert "Too early to tell" in note and "0.89" in note
    # Still falling but already below the level: the model learns.
    assert descending_to_chance(TH, [0.9, 0.7, 0.6, 0.5], facts) is None
    # Flat at the level since the start, or no longer falling: no_signal.
    for losses in ([0.69, 0.685, 0.684, 0.684], [0.89, 0.70, 0.68, 0.681]):
        assert descending_to_chance(TH, losses, facts) is None
        found = diagnose(h, TH, final=True, epoch_losses=losses,
                         facts=facts, target_spread=1.0)
        assert "no_signal" in _kinds(found)
    # A regression loss coming down to the targets' variance is left to
    # the target-scale rules.
    facts.regression = True
    assert descending_to_chance(TH, slow, facts) is None


def test_a_validation_loss_that_never_beats_chance_is_no_signal():
    facts = RunFacts(baseline=0.69, baseline_what="the entropy",
                     val_baseline=0.69, val_losses=(0.70, 0.72, 0.75))
    h = _history([0.69, 0.6, 0.5, 0.4], STEPS)
    found = diagnose(h, TH, final=True, epoch_losses=[0.6, 0.5, 0.4],
                     facts=facts, target_spread=1.0)
    assert _kinds(found) == ["no_signal"]
    assert "memorises" in found[0]["message"]


def test_a_loss_far_above_the_no_information_level_is_unreachable():
    facts = RunFacts(baseline=1.8, baseline_what="the targets' variance",
                     regression=True)
    h = _history([6.0, 5.8, 5.7, 5.7], STEPS)
    found = diagnose(h, TH, final=True, epoch_losses=[5.9, 5.8, 5.7],
                     facts=facts, target_spread=1.0)
    assert _kinds(found)[0] == "label_mismatch"
    assert "cannot even reach" in found[0]["message"]
    # A linear output can reach any value: it has not got there yet, from
    # targets far from unit scale or with too small a rate.
    for scale, kind in ((200.0, "unscaled_targets"),
                        (3.0, "loss_not_decreasing")):
        facts = RunFacts(baseline=1.8, baseline_what="the targets' variance",
                         regression=True, output_activation="linear",
                         target_scale=scale)
        found = diagnose(h, TH, final=True, epoch_losses=[5.9, 5.8, 5.7],
                         facts=facts, target_spread=1.0)
        assert _kinds(found)[0] == kind
        assert "has not yet come near the targets' level" in (
            found[0]["message"])


def test_batchnorm_lag_is_named_and_explains_dead_units():
    facts = RunFacts(batchnorm=(("bn", 0.999),))
    # Inference-mode outputs flat, training-mode varied, to the end; the
    # inference-mode ReLU layer looks all dead.
    h = _history([1.4, 1.39, 1.38, 1.38], [0, 1, 2, 8],
                 pred_spread=1e-8, units=["r"], shares=[[1.0]] * 4)
    found = diagnose(h, TH, final=True, epoch_losses=[1.39, 1.38],
                     facts=facts, target_spread=0.5)
    assert _kinds(found) == ["batchnorm_statistics"]
    assert "momentum 0.999" in found[0]["message"]
    assert "1000 steps" in found[0]["message"]
    # Without BatchNormalization layers the same probes are dead units.
    found = diagnose(h, TH, final=True, epoch_losses=[1.39, 1.38],
                     facts=RunFacts(), target_spread=0.5)
    assert _kinds(found)[0] == "dead_units"
    # A lag that is gone by the end is no finding.
    h = _history([1.4, 1.0, 0.6, 0.3], STEPS,
                 pred_spread=[1e-8, 1e-8, 0.3, 0.3])
    assert diagnose(h, TH, final=True, epoch_losses=[1.2, 0.6, 0.3],
                    facts=facts, target_spread=0.5) == []


def test_dead_units_from_initialisation_in_a_model_that_learns_are_fine():
    shares = [[0.5]] * 4
    falling = _history([1.0, 0.7, 0.5, 0.3], STEPS, units=["r"],
                       shares=shares)
    assert diagnose(falling, TH, final=True, epoch_losses=[0.8, 0.5, 0.3],
                    target_spread=1.0) == []
    stalled = _history([1.0, 0.99, 0.98, 0.98], STEPS, units=["r"],
                       shares=shares)
    found = diagnose(stalled, TH, final=True,
                     epoch_losses=[0.99, 0.98, 0.98], target_spread=1.0)
    assert _kinds(found)[0] == "dead_units"
    assert "from initialisation" in found[0]["message"]


def test_part_of_a_layer_dead_costs_only_a_loss_stalled_near_chance():
    # 75% of a layer died, then the loss stopped falling: near the
    # no-information level the dead units are the cost; at 60% of it the
    # model learned what it could with the units it kept.
    shares = [[0.75]] * 4
    facts = RunFacts(baseline=1.0, baseline_what="the entropy")
    for level, named in ((0.95, True), (0.6, False)):
        h = _history([1.0, level, level, level], STEPS, units=["r"],
                     shares=shares)
        found = diagnose(h, TH, final=True,
                         epoch_losses=[level + 0.01, level, level],
                         facts=facts, target_spread=1.0)
        assert ("dead_units" in _kinds(found)) is named, (level, found)
    # Most of a layer dead is named whatever the loss.
    h = _history([1.0, 0.6, 0.6, 0.6], STEPS, units=["r"],
                 shares=[[0.95]] * 4)
    found = diagnose(h, TH, final=True, epoch_losses=[0.61, 0.6, 0.6],
                     facts=facts, target_spread=1.0)
    assert "dead_units" in _kinds(found)


def test_units_cost_nothing_when_every_row_has_the_same_target():
    # A whole layer dead leaves the output the same for every row, which is
    # all that targets equal on every row ask for (the output bias learns
    # them): no finding about the units, none about weights that stay put.
    h = _history([4.7, 3.0, 1.7, 0.6], STEPS, units=["r"],
                 shares=[[1.0]] * 4, update=0.0)
    kwargs = dict(final=True, epoch_losses=[3.0, 1.7, 0.6])
    assert _kinds(diagnose(h, TH, target_spread=1.0, **kwargs))[0] == (
        "dead_units")
    found = diagnose(h, TH, target_spread=0.0, **kwargs)
    assert not {"dead_units", "saturated_units", "unchanged_weights"} & set(
        _kinds(found)), found
    # Probe rows of one class, from data whose classes vary: still named.
    varied = RunFacts(baseline=0.69, baseline_what="the entropy")
    assert _kinds(diagnose(h, TH, target_spread=0.0, facts=varied,
                           **kwargs))[0] == "dead_units"


def test_a_short_run_of_one_step_epochs_near_chance_is_named():
    # Five epochs of one step each (the batch held every row): too short to
    # judge by time, but short because of its batch size.
    facts = RunFacts(baseline=np.log(10), baseline_what="the entropy")
    epochs = [2.37, 2.24, 2.13, 2.02, 1.93]
    one_step = _history([2.37, 2.2, 2.0, 1.93], [0, 1, 3, 5])
    found = diagnose(one_step, TH, final=True, epoch_losses=epochs,
                     facts=facts, target_spread=1.0)
    assert _kinds(found) == ["loss_not_decreasing"]
    assert "updated only 5 times" in found[0]["message"]
    assert "84%" in found[0]["message"] and "batch_size" in found[0]["fix"]
    # Mini-batches: the same epochs in 50 steps are only too early to tell.
    batched = _history([2.37, 2.2, 2.0, 1.93], [0, 10, 30, 50])
    assert diagnose(batched, TH, final=True, epoch_losses=epochs,
                    facts=facts, target_spread=1.0) == []
    # One-step epochs that took the loss well below chance are fine.
    fell = [2.3, 1.6, 1.1, 0.8, 0.6]
    assert diagnose(one_step, TH, final=True, epoch_losses=fell,
                    facts=facts, target_spread=1.0) == []
    # So are those of a classifier that already gets nearly every training
    # row right: only its confidence lags after so few updates.
    separated = RunFacts(baseline=np.log(10), baseline_what="the entropy",
                         train_accuracy=0.99)
    assert diagnose(one_step, TH, final=True, epoch_losses=epochs,
                    facts=separated, target_spread=1.0) == []
    separated.train_accuracy = 0.55
    assert _kinds(diagnose(one_step, TH, final=True, epoch_losses=epochs,
                           facts=separated, target_spread=1.0)) == [
        "loss_not_decreasing"]
    # Or nearly every validation row right, whatever the training rows'
    # accuracy, logged before the epoch's one update, says.
    separated.val_accuracy = 1.0
    assert diagnose(one_step, TH, final=True, epoch_losses=epochs,
                    facts=separated, target_spread=1.0) == []
    # One update an epoch moves the loss little per epoch (0.5% here): that
    # is no sign that it stopped falling, and the rule still applies.
    slow = [2.30, 2.29, 2.28, 2.27, 2.26]
    found = diagnose(_history([2.30, 2.29, 2.27, 2.26], [0, 1, 3, 5]), TH,
                     final=True, epoch_losses=slow, facts=facts,
                     target_spread=1.0)
    assert _kinds(found) == ["loss_not_decreasing"]
    assert "updated only 5 times" in found[0]["message"]


def test_a_loss_at_chance_under_tiny_updates_is_too_slow_despite_a_dip():
    # 250 steps under updates of 5e-5 of the weights: the epoch loss stays
    # at ln 2, while the 32-row probe's loss dipped 1.6% (noise).
    facts = RunFacts(baseline=np.log(2), baseline_what="the entropy")
    h = _history([0.696, 0.684, 0.690, 0.689], [0, 80, 160, 250],
                 update=5e-5)
    found = diagnose(h, TH, final=True, epoch_losses=[0.6935, 0.693, 0.6925],
                     facts=facts, target_spread=0.5)
    assert _kinds(found) == ["loss_not_decreasing"]
    assert "far too low" in found[0]["message"]
    # Healthy updates at the same loss are not a rate problem.
    healthy = _history([0.696, 0.684, 0.690, 0.689], [0, 80, 160, 250])
    assert "loss_not_decreasing" not in _kinds(diagnose(
        healthy, TH, final=True, epoch_losses=[0.6935, 0.693, 0.6925],
        facts=facts, target_spread=0.5))


def _stuck(layers_zero):
    """Four probes in which the layers of `layers_zero` got no gradient."""
    h = ProbeHistory(["emb", "hidden", "out"], ["hidden"], ["relu"],
                     [False])
    for i, step in enumerate([0, 50, 100, 150]):
        h.add(step, 1e-3, {
            "loss": 0.69, "eval_loss": 0.69, "pred_spread": 0.0,
            "train_spread": 0.0,
            "grad_norms": [0.0 if name in layers_zero else 0.3
                           for name in ("emb", "hidden", "out")],
            "weight_norms": [1.0, 1.0, 1.0], "unit_shares": [1.0],
            "act_peaks": [0.0]})
        h.set_update_ratios([0.0 if name in layers_zero else 1e-3
                             for name in ("emb", "hidden", "out")])
    return h


def test_weights_that_start_constant_and_never_move_are_the_cause():
    zeros = RunFacts(constant_start=(("emb", 0.0),))
    h = _stuck(("emb", "hidden"))
    found = diagnose(h, TH, final=False, facts=zeros, target_spread=0.5)
    assert _kinds(found)[0] == "unchanged_weights"
    assert "dead_units" not in _kinds(found)  # explained by the start
    assert found[0]["layer"] == "emb"
    assert "every entry equal to 0" in found[0]["message"]
    assert "embeddings_initializer='uniform'" in found[0]["fix"]
    # Without a constant start the same probes are dead units.
    assert _kinds(diagnose(h, TH, final=False, facts=RunFacts(),
                           target_spread=0.5))[0] == "dead_units"
    # A constant layer that gets gradients (zeros before tanh, a zero output
    # layer) parts its units as it trains: nothing to name about it.
    moving = RunFacts(constant_start=(("out", 0.0),))
    assert "unchanged_weights" not in _kinds(diagnose(
        _stuck(()), TH, final=False, facts=moving, target_spread=0.5))


def _scheduled(rates, losses, steps):
    h = ProbeHistory(["a", "b"], [], [], [])
    for step, rate, loss in zip(steps, rates, losses):
        h.add(step, rate, {
            "loss": loss, "eval_loss": loss, "pred_spread": 0.3,
            "train_spread": 0.3, "grad_norms": [1.0, 1.0],
            "weight_norms": [1.0, 1.0], "unit_shares": [], "act_peaks": []})
        h.set_update_ratios([1e-3, 1e-3])
    return h


def test_a_schedule_that_kills_the_rate_early_is_loss_not_decreasing():
    facts = RunFacts(baseline=2.3, baseline_what="the entropy",
                     lr_schedule=True)
    steps = [0, 100, 200, 400, 800, 1280]
    losses = [2.3, 1.1, 1.0, 1.0, 1.0, 1.0]
    cut = [1e-2, 1e-4, 6e-7, 1e-9, 1e-12, 1e-14]
    found = diagnose(_scheduled(cut, losses, steps), TH, final=True,
                     epoch_losses=[1.2, 1.0, 1.0, 1.0], facts=facts,
                     target_spread=1.0)
    assert _kinds(found) == ["loss_not_decreasing"]
    assert "by step 100 (8% of the run)" in found[0]["message"]
    assert "decay_steps" in found[0]["fix"]
    # A decay spread over the run, a rate that callbacks set (no schedule)
    # or a loss still falling at the end are not.
    spread = [1e-2, 8e-3, 6e-3, 3e-3, 1e-3, 1e-6]
    for rates, fact, epochs in (
            (spread, facts, [1.2, 1.0, 1.0, 1.0]),
            (cut, RunFacts(baseline=2.3, baseline_what="the entropy"),
             [1.2, 1.0, 1.0, 1.0]),
            (cut, facts, [1.2, 1.0, 0.8, 0.6])):
        found = diagnose(_scheduled(rates, losses, steps), TH, final=True,
                         epoch_losses=epochs, facts=fact, target_spread=1.0)
        assert "learning-rate schedule" not in str(found)


def _graded(losses, steps, first_over_last):
    """A three-layer history whose first layer gets `first_over_last` of the
    last layer's gradient norm."""
    h = ProbeHistory(["a", "b", "c"], [], [], [])
    for i, loss in enumerate(losses):
        h.add(steps[i], 1e-2, {
            "loss": loss, "eval_loss": loss, "pred_spread": 0.3,
            "train_spread": 0.3,
            "grad_norms": [first_over_last, 0.1, 1.0],
            "weight_norms": [1.0, 1.0, 1.0], "unit_shares": [],
            "act_peaks": []})
        h.set_update_ratios([1e-5, 1e-4, 1e-3])
    return h


def test_a_hundredfold_gradient_gap_is_vanishing_only_when_the_loss_stalls():
    facts = RunFacts(baseline=1.0, baseline_what="the targets' variance",
                     regression=True)
    stalled = _graded([1.0, 1.0, 1.0, 1.0], STEPS, 5e-3)
    # The first epoch's spike hides the stall from the epoch losses; the
    # loss at the no-information level shows it.
    found = diagnose(stalled, TH, final=True, epoch_losses=[10.0, 1.0, 1.0],
                     facts=facts, target_spread=1.0)
    assert _kinds(found)[0] == "vanishing"
    assert "the loss has stalled" in found[0]["message"]
    learning = _graded([1.0, 0.6, 0.4, 0.3], STEPS, 5e-3)
    assert diagnose(learning, TH, final=True, epoch_losses=[0.8, 0.5, 0.3],
                    facts=facts, target_spread=1.0) == []
    # A thousandfold gap is named whatever the loss does.
    found = diagnose(_graded([1.0, 0.6, 0.4, 0.3], STEPS, 5e-4), TH,
                     final=True, epoch_losses=[0.8, 0.5, 0.3], facts=facts,
                     target_spread=1.0)
    assert _kinds(found) == ["vanishing"]


def test_a_target_in_the_hundreds_behind_a_loss_at_chance_is_unscaled():
    facts = RunFacts(baseline=3.8e5, baseline_what="the targets' variance",
                     regression=True, target_scale=620.0)
    h = _history([3.9e5, 3.85e5, 3.82e5, 3.81e5], STEPS)
    found = diagnose(h, TH, final=True, epoch_losses=[3.85e5, 3.82e5, 3.81e5],
                     facts=facts, target_spread=620.0)
    scaled = [f for f in found if f["kind"] == "unscaled_targets"]
    assert scaled and "no_signal" not in _kinds(found)
    assert "620" in scaled[0]["message"] and "y.std()" in scaled[0]["fix"]
    # On unit scale the same stall is no signal in x.
    facts = RunFacts(baseline=1.0, baseline_what="the targets' variance",
                     regression=True, target_scale=1.0)
    h = _history([1.01, 1.0, 1.0, 1.0], STEPS)
    found = diagnose(h, TH, final=True, epoch_losses=[1.0, 1.0, 1.0],
                     facts=facts, target_spread=1.0)
    assert _kinds(found)[0] == "no_signal"


def test_zero_gradients_in_every_trainable_layer_are_unchanged_weights():
    h = ProbeHistory(["a", "b"], [], [], [])
    for step in STEPS:
        h.add(step, 1e-3, {
            "loss": 1.0, "eval_loss": 1.0, "pred_spread": 0.3,
            "train_spread": 0.3, "grad_norms": [0.0, 0.0],
            "weight_norms": [1.0, 1.0], "unit_shares": [], "act_peaks": []})
        h.set_update_ratios([0.0, 0.0])
    found = diagnose(h, TH, final=False)
    assert _kinds(found) == ["unchanged_weights"]
    assert "Every trainable layer" in found[0]["message"]
    assert "round" in found[0]["fix"]


def _fit_line(learning_rate):
    """y = 2x for x = 0..199 (a column far from unit scale), one row a
    step, with a GradientMonitor."""
    x = np.arange(200, dtype="float32").reshape(-1, 1)
    model = keras.Sequential([keras.Input((1,)), L.Dense(1)])
    model.compile(keras.optimizers.SGD(learning_rate), "mse")
    monitor = GradientMonitor()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, 2 * x, epochs=1, batch_size=1, verbose=0,
                  callbacks=[monitor])
    return monitor, [str(w.message) for w in caught]


def test_unscaled_inputs_are_named_only_when_training_shows_a_cost():
    keras.utils.set_random_seed(0)
    # A step small enough for inputs up to 199: the line is fitted.
    monitor, caught = _fit_line(1e-5)
    report = monitor.report()
    assert report["status"] == "healthy"
    assert not any("unscaled_inputs" in m for m in caught)
    assert any("Not named: unscaled_inputs" in n for n in report["notes"])
    # Too large a step for them: the scale is named beside the explosion.
    monitor, caught = _fit_line(1e-3)
    kinds = [f["kind"] for f in monitor.findings]
    assert "unscaled_inputs" in kinds and "exploding" in kinds
    assert any("unscaled_inputs" in m for m in caught)


def test_collapse_onto_the_majority_class_is_imbalance():
    collapse = {"majority": 0, "share": 0.8, "rows": 32, "others": 6,
                "weights": "{0: 0.62, 1: 2.50}"}
    h = _history([0.5, 0.48, 0.47, 0.47], STEPS)
    found = diagnose(h, TH, final=True, epoch_losses=[0.45, 0.4, 0.38],
                     facts=RunFacts(baseline=0.5, collapse=collapse),
                     target_spread=1.0)
    assert _kinds(found) == ["class_imbalance"]
    assert "class_weight=" in found[0]["fix"]
    # A loss that started far above chance and is still coming down to it
    # is too early to tell, for the majority answer as for the signal.
    found = diagnose(h, TH, final=True, epoch_losses=[0.62, 0.53, 0.51],
                     facts=RunFacts(baseline=0.5, collapse=collapse),
                     target_spread=1.0)
    assert found == []


def test_run_facts_read_from_a_model(rng):
    model = keras.Sequential([
        keras.Input((100,)),
        L.Dense(8, kernel_initializer=keras.initializers.RandomNormal(
            stddev=0.5), name="big"),
        L.BatchNormalization(momentum=0.99, name="bn"),
        L.Activation("relu"),
        L.Dense(2, "softmax", name="head")])
    model.compile("adam", "sparse_categorical_crossentropy")
    scales = _run_facts.init_scales(model)
    assert scales["big"] == pytest.approx(0.5 / np.sqrt(2 / 100), rel=0.1)
    assert scales["head"] < 1.0  # Glorot is below He's scale
    assert _run_facts.batchnorm_layers(model) == (("bn", 0.99),)
    assert _run_facts.output_activation(model) == "softmax"
    assert not _run_facts.has_lr_schedule(model)
    decayed = keras.Sequential([keras.Input((3,)), L.Dense(1)])
    decayed.compile(keras.optimizers.SGD(
        keras.optimizers.schedules.ExponentialDecay(0.1, 1, 0.95)), "mse")
    assert _run_facts.output_activation(decayed) == "linear"
    assert _run_facts.has_lr_schedule(decayed)
    y = np.array([0] * 80 + [1] * 20)
    value, words = _run_facts.baseline(model, y)
    assert value == pytest.approx(-(0.8 * np.log(0.8) + 0.2 * np.log(0.2)))
    assert "entropy" in words
    # Balanced class weights make the weighted no-information loss larger.
    weighted, _ = _run_facts.baseline(model, y, {0: 0.625, 1: 2.5})
    assert weighted > value
    predictions = np.tile([0.9, 0.1], (32, 1))
    found = _run_facts.collapse(model, predictions, y[::3][:32], y)
    assert found["majority"] == 0 and found["others"] > 0
    predictions[0] = [0.1, 0.9]
    assert _run_facts.collapse(model, predictions, y[::3][:32], y) is None

@pytest.mark.parametrize("loss", [
    "mean_squared_error", "mean_absolute_error", "huber",
    keras.losses.Huber(delta=0.3), "log_cosh",
    "mean_squared_logarithmic_error"])
def test_regression_no_information_level_is_keras_loss_of_the_best_constant(
        rng, loss):
    # Skewed, positive targets in two columns, so that mean, median and
    # the best constant of each loss all differ.
    y = np.stack([rng.lognormal(0.0, 1.0, 400),
                  rng.gamma(2.0, 3.0, 400)], axis=1).astype("float32")
    model = keras.Sequential([keras.Input((3,)), L.Dense(2, "softplus")])
    model.compile("adam", loss)
    value, words = _run_facts.baseline(model, y)
    # Keras's own loss of constant predictions on a fine grid of constants.
    fn = keras.losses.get(loss) if isinstance(loss, str) else loss
    grid = np.linspace(0.05, 12.0, 1200).astype("float32")
    best = []
    for column in range(2):
        losses = [float(keras.ops.mean(fn(y[:, column:column + 1],
                                          np.full((400, 1), c, "float32"))))
                  for c in grid]
        best.append(min(losses))
    assert value == pytest.approx(np.mean(best), rel=2e-3)
    assert words
    assert _run_facts.is_regression(model)


def test_best_constant_searched_on_a_sample_of_a_large_target(rng,
                                                             monkeypatch):
    y = rng.lognormal(0.0, 1.0, (50_000, 2)).astype("float32")
    model = keras.Sequential([keras.Input((3,)), L.Dense(2)])
    model.compile("adam", "log_cosh")
    sampled, _ = _run_facts.baseline(model, y)
    monkeypatch.setattr(_run_facts, "_SEARCH_ROWS", len(y))
    assert sampled == pytest.approx(_run_facts.baseline(model, y)[0],
                                    rel=1e-4)


def test_overflow_from_large_initial_weights_names_the_initialisation(rng):
    x = rng.normal(size=(64, 16)).astype("float32")
    y = rng.normal(size=(64, 1)).astype("float32")
    init = keras.initializers.RandomNormal(stddev=0.5)
    model = keras.Sequential(
        [keras.Input((16,))]
        + [L.Dense(64, "relu", kernel_initializer=init) for _ in range(12)]
        + [L.Dense(1)])
    model.compile(keras.optimizers.SGD(0.01), "mse")
    monitor = GradientMonitor(every=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, y, epochs=1, batch_size=16, verbose=0,
                  callbacks=[monitor])
    finding = monitor.report()["findings"][0]
    assert finding["kind"] == "exploding"
    assert "He's scale" in finding["fix"]
    assert "he_normal" in finding["fix"]


@pytest.mark.slow
def test_untrained_mobilenet_early_in_training_is_batchnorm_statistics(rng):
    # Keras's MobileNetV2 from scratch: BatchNormalization with momentum
    # 0.999 still holds its initial statistics after a few steps, so in
    # inference mode the model predicts the same for every image and ReLU
    # units look dead, while in training mode it is fine.
    x = rng.normal(size=(64, 32, 32, 3)).astype("float32")
    y = np.arange(64) % 4
    model = keras.applications.MobileNetV2(
        input_shape=(32, 32, 3), alpha=0.35, weights=None, classes=4)
    model.compile("adam", "sparse_categorical_crossentropy")
    # Adam's slots made now, as loading a compiled model makes them: on
    # TensorFlow a first step that creates variables is traced twice, which
    # for this model is 20 s of the test.
    model.optimizer.build(model.trainable_variables)
    monitor = GradientMonitor()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, y, epochs=1, batch_size=32, verbose=0,
                  callbacks=[monitor])
    report = monitor.report()
    assert [f["kind"] for f in report["findings"]] == ["batchnorm_statistics"]
    assert "momentum 0.999" in report["findings"][0]["message"]


def test_an_epoch_loss_that_jumps_a_hundredfold_is_exploding():
    h = _history([1.1, 1.0, 1.4, 0.5], [0, 1, 2, 50])
    found = diagnose(h, TH, final=True,
                     epoch_losses=[0.84, 0.13, 1567.0, 4.2, 1.3],
                     target_spread=1.0)
    assert _kinds(found)[0] == "exploding"
    assert "epoch 3" in found[0]["message"] and "clipnorm" in found[0]["fix"]
    # A noisy but bounded loss is not.
    assert diagnose(h, TH, final=True, epoch_losses=[0.84, 0.13, 0.9, 0.5],
                    target_spread=1.0) == []


def test_a_batchnorm_lag_that_costs_at_the_last_probe_is_named():
    facts = RunFacts(batchnorm=(("bn", 0.99),))
    # Lagging only at the last probe, where inference mode loses 3x.
    h = _history([1.35, 1.2, 1.1, 0.35], [0, 1, 2, 20],
                 pred_spread=[0.007, 0.005, 0.03, 0.02], train_spread=0.26)
    h._rows["eval_loss"][-1] = 1.02
    found = diagnose(h, TH, final=True, epoch_losses=[1.2, 0.6, 0.35],
                     facts=facts, target_spread=0.5)
    assert _kinds(found) == ["batchnorm_statistics"]
    # The same lag without the cost waits for a second probe.
    h._rows["eval_loss"][-1] = 0.36
    assert diagnose(h, TH, final=True, epoch_losses=[1.2, 0.6, 0.35],
                    facts=facts, target_spread=0.5) == []


def test_a_loss_at_chance_under_tiny_updates_is_a_rate_far_too_low():
    facts = RunFacts(baseline=2.3, baseline_what="the entropy")
    losses, epochs = [2.47, 2.45, 2.42, 2.39], [2.46, 2.43, 2.39]
    h = _history(losses, STEPS, update=1e-5)
    found = diagnose(h, TH, final=True, epoch_losses=epochs, facts=facts,
                     target_spread=1.0)
    assert _kinds(found) == ["loss_not_decreasing"]
    assert "far too low" in found[0]["message"]
    # Updates of a healthy size: the loss is slow to fall, not stuck.
    h = _history(losses, STEPS, update=8e-4)
    assert "loss_not_decreasing" not in _kinds(diagnose(
        h, TH, final=True, epoch_losses=epochs, facts=facts,
        target_spread=1.0))


def test_validation_loss_under_class_weight_is_read_unweighted(rng):
    # Keras weighs the training loss by class_weight but not the
    # validation loss: a weighted model that found the signal must not be
    # read as memorising because its validation loss exceeds the weighted
    # level. Weights 1/count make the no-information model predict 0.5.
    model = keras.Sequential([keras.Input((2,)),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    y = (rng.uniform(size=1000) < 0.02).astype("float32")
    weights = {0: 1 / np.sum(y == 0), 1: 1 / np.sum(y == 1)}
    base = _run_facts.unweighted_baseline(model, y, weights)
    assert base == pytest.approx(np.log(2), rel=1e-3)
    assert _run_facts.unweighted_baseline(model, y, None) == pytest.approx(
        _run_facts.baseline(model, y)[0])
    facts = RunFacts(baseline=3.5e-4, baseline_what="the entropy",
                     val_baseline=base, val_losses=(0.45, 0.41, 0.40))
    h = _history([3.5e-4, 2e-4, 1.9e-4, 1.8e-4], STEPS)
    found = diagnose(h, TH, final=True, epoch_losses=[2e-4, 1.9e-4, 1.8e-4],
                     facts=facts, target_spread=0.15)
    assert "no_signal" not in _kinds(found)


def test_a_short_run_whose_loss_still_falls_has_not_stalled():
    # 24 steps, loss 0.692 -> 0.663 and still falling: half a layer dead
    # from initialisation costs nothing yet.
    h = _history([0.693, 0.692, 0.69, 0.652], [0, 1, 2, 24],
                 units=("dense",), shares=[[0.52], [0.53], [0.53], [0.47]])
    found = diagnose(h, TH, final=True, epoch_losses=[0.692, 0.68, 0.663],
                     facts=RunFacts(baseline=0.693), target_spread=0.5)
    assert "dead_units" not in _kinds(found)


@pytest.mark.parametrize("peak,kind", [(np.nan, "nan"), (np.inf, "exploding"),
                                       (1e20, "exploding")])
def test_nan_activations_alone_are_an_operation_not_an_overflow(peak, kind):
    h = ProbeHistory(["a", "b"], ["dense", "out"], ["relu", "relu"],
                     [False, True])
    h.add(0, 1e-3, {
        "loss": np.nan, "eval_loss": np.nan, "pred_spread": np.nan,
        "train_spread": np.nan, "grad_norms": [np.nan, np.nan],
        "weight_norms": [1.0, 1.0], "unit_shares": [0.5, 0.5],
        "act_peaks": [peak, np.nan]})
    found = [f for f in diagnose(h, TH, final=True) if f["kind"] in
             ("nan", "exploding")]
    assert [f["kind"] for f in found] == [kind]
    if kind == "exploding":
        assert found[0]["layer"] == "dense" and "overflow" in found[0]["message"]


def _jump(losses, grads, shares):
    """Probes of a two-layer model whose ReLU layer 'hidden' has the given
    dead shares; `grads` scale both layers' gradient norms."""
    h = ProbeHistory(["hidden", "out"], ["hidden"], ["relu"], [False])
    for i, step in enumerate([0, 1, 2, 50, 100, 150]):
        h.add(step, 1.0, {
            "loss": losses[i], "eval_loss": losses[i], "pred_spread": 0.0,
            "train_spread": 0.0, "grad_norms": [grads[i], grads[i]],
            "weight_norms": [1.0, 1.0], "unit_shares": [shares[i]],
            "act_peaks": [1.0]})
        h.set_update_ratios([1e-3, 1e-3])
    return h


def test_units_killed_by_a_jump_of_the_loss_are_an_explosion():
    # A rate of 1: the loss jumps 85x and the gradients 100x in the first
    # steps, then the ReLU layer dies and the model predicts one class.
    alive_then_dead = [0.0, 0.2, 0.1, 1.0, 1.0, 1.0]
    h = _jump([0.64, 8.5, 54.6, 0.59, 0.63, 0.65],
              [0.2, 5.0, 20.0, 0.0, 0.0, 0.0], alive_then_dead)
    found = diagnose(h, TH, final=True, epoch_losses=[0.57, 0.57, 0.57],
                     facts=RunFacts(baseline=0.56), target_spread=0.45)
    assert _kinds(found)[:2] == ["exploding", "dead_units"]
    assert "step 1" in found[0]["message"] and "'hidden'" in (
        found[0]["message"])
    assert "learning rate" in found[0]["fix"]
    # Units dead from the first probe were not killed by a step.
    h = _jump([0.64, 8.5, 54.6, 0.59, 0.63, 0.65],
              [0.2, 5.0, 20.0, 0.0, 0.0, 0.0], [1.0] * 6)
    assert "exploding" not in _kinds(diagnose(
        h, TH, final=True, epoch_losses=[0.57, 0.57, 0.57],
        facts=RunFacts(baseline=0.56), target_spread=0.45))
    # Nor were units that died without a jump (a loss that only fell).
    h = _jump([0.64, 0.62, 0.61, 0.59, 0.60, 0.60],
              [0.2, 0.3, 0.25, 0.0, 0.0, 0.0], alive_then_dead)
    assert "exploding" not in _kinds(diagnose(
        h, TH, final=True, epoch_losses=[0.57, 0.57, 0.57],
        facts=RunFacts(baseline=0.56), target_spread=0.45))


def _inference_nan(eval_losses, peak):
    h = ProbeHistory(["a", "b"], ["act", "out"], ["other", "other"],
                     [False, True])
    for i, step in enumerate([0, 50, 100, 150]):
        h.add(step, 1e-3, {
            "loss": 0.5, "eval_loss": eval_losses[i], "pred_spread": 0.3,
            "train_spread": 0.3, "grad_norms": [0.1, 0.1],
            "weight_norms": [1.0, 1.0], "unit_shares": [0.0, 0.0],
            "act_peaks": [peak, 1.0]})
        h.set_update_ratios([1e-3, 1e-3])
    return h


def test_nan_in_inference_mode_only_is_named_with_its_layer():
    # Exponential activations after BatchNormalization: finite in training
    # mode, where the batch's statistics keep them small; inf in inference.
    facts = RunFacts(batchnorm=(("bn", 0.99),))
    h = _inference_nan([np.nan] * 4, np.inf)
    found = diagnose(h, TH, final=True, epoch_losses=[0.6, 0.5],
                     facts=facts, target_spread=1.0)
    assert _kinds(found) == ["nan"] and found[0]["layer"] == "act"
    assert "inference mode" in found[0]["message"]
    assert "moving statistics" in found[0]["message"]
    assert "'exponential'" in found[0]["fix"]
    # Without an overflow, an operation is named; NaN that went away (the
    # moving statistics warmed up) is no finding, nor is NaN mid-training.
    found = diagnose(_inference_nan([np.nan] * 4, 3.0), TH, final=True,
                     epoch_losses=[0.6, 0.5], target_spread=1.0)
    assert _kinds(found) == ["nan"] and "division by 0" in found[0]["fix"]
    h = _inference_nan([np.nan, np.nan, 0.6, 0.5], np.inf)
    assert "nan" not in _kinds(diagnose(h, TH, final=True,
                                        epoch_losses=[0.6, 0.5],
                                        target_spread=1.0))
    assert diagnose(_inference_nan([np.nan] * 4, np.inf), TH, final=False,
                    epoch_losses=[0.6], target_spread=1.0) == []


def test_a_loss_that_stays_at_chance_under_no_update_blames_the_gradient():
    # Updates of exactly 0 are a blocked gradient, not a rate to raise.
    facts = RunFacts(baseline=np.log(10), baseline_what="the entropy")
    h = _history([2.31, 2.26, 2.29, 2.31], [0, 100, 300, 504], update=0.0)
    found = [f for f in diagnose(h, TH, final=True,
                                 epoch_losses=[2.315, 2.315, 2.315],
                                 facts=facts, target_spread=3.0)
             if f["kind"] == "loss_not_decreasing"]
    assert found and "do not move at all" in found[0]["message"]
    assert "Raise the learning rate" not in found[0]["fix"]


def test_a_probe_loss_that_rose_is_said_not_to_fall():
    # The probe loss ends above where it started: "did not fall", not a
    # fall of -0.0%.
    h = _history([0.700, 0.702, 0.705, 0.707], [0, 100, 300, 500],
                 update=2e-5)
    found = [f for f in diagnose(h, TH, final=True,
                                 epoch_losses=[0.70, 0.70, 0.70],
                                 target_spread=0.5)
             if f["kind"] == "loss_not_decreasing"]
    assert found and found[0]["message"].startswith(
        "The probe loss did not fall over steps 0-500")


@pytest.mark.parametrize("update, raised", [(2e-4, "0.01"), (1e-5, "0.1")])
def test_a_loss_at_chance_under_a_third_of_healthy_updates_names_the_rate(
        update, raised):
    # Updates a fifth of the healthy 1e-3 at chance level after 300 steps
    # (Adagrad at its default rate), the small probe's loss dipping 2.9%:
    # the fix raises the rate by the power of ten that brings the updates
    # to about 1e-3 (from 1e-3 here).
    facts = RunFacts(baseline=np.log(2), baseline_what="the entropy")
    h = _history([0.70, 0.68, 0.69, 0.697], STEPS, update=update)
    found = diagnose(h, TH, final=True, epoch_losses=[0.699, 0.698, 0.697],
                     facts=facts, target_spread=0.5)
    assert _kinds(found) == ["loss_not_decreasing"]
    assert f"e.g. to {raised}," in found[0]["fix"]


def test_a_loss_that_barely_left_chance_under_tiny_updates_names_the_rate():
    # Adam at 1e-5 (updates 4e-5 of the weights): after 750 steps the loss
    # has come down only to 95% of ln 2, still falling at its first pace.
    facts = RunFacts(baseline=np.log(2), baseline_what="the entropy")
    probes = [0.70, 0.69, 0.68, 0.667, 0.66]
    steps = [0, 150, 300, 450, 750]
    h = _history(probes, steps, update=4e-5)
    epochs = [0.678, 0.672, 0.666, 0.660]
    found = diagnose(h, TH, final=True, epoch_losses=epochs, facts=facts,
                     target_spread=0.5)
    assert _kinds(found) == ["loss_not_decreasing"]
    assert "95% of the level" in found[0]["message"]
    assert "far too low" in found[0]["message"]
    # Healthy updates at the same losses: a slow but sound run.
    assert "loss_not_decreasing" not in _kinds(diagnose(
        _history(probes, steps), TH, final=True, epoch_losses=epochs,
        facts=facts, target_spread=0.5))
    # Tiny updates, but a loss already at 80% of chance: it is learning.
    low = [p * 0.84 for p in probes]
    assert "loss_not_decreasing" not in _kinds(diagnose(
        _history(low, steps, update=4e-5), TH, final=True,
        epoch_losses=[e * 0.84 for e in epochs], facts=facts,
        target_spread=0.5))
