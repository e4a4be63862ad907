"""`GradientMonitor`: detect vanishing, exploding and NaN gradients."""

import importlib.util
import math
import warnings

import keras
import numpy as np

from ._base import CallbackValueError
from ._base import CallbackWarning
from ._base import GradientHealthError
from ._base import _check_choice
from ._base import _check_float
from ._base import _check_int
from ._base import _print
from ._grads import ActivationLayers
from ._grads import Prober
from ._grads import layer_groups
from ._grads import probe_from_fit

_SEVERITY = {"healthy": 0, "vanishing": 1, "exploding": 2, "nan": 3}
LOG_KEYS = ("grad_norm_first", "grad_norm_last", "grad_norm_ratio")


class GradientMonitor(keras.callbacks.Callback):
    """Watches per-layer gradients and says when and how training goes wrong.

    Keras gives callbacks no gradients, so the monitor computes them itself,
    with the backend's autodiff and the model's compiled loss, on a small
    fixed probe batch: at each of the first `patience` steps (so problems of
    the initialisation show at once) and then every `every` steps. For each
    layer with weights it records the gradient norm and the update-to-weight
    ratio `||w_{t+1} - w_t|| / ||w_t||` of the step after the probe, and the
    ratio between the first and the last layer's gradient norms. The probe
    is stateless: it updates no BatchNorm statistics, metrics or RNG state.

    A probe is *vanishing* when the first layer's gradient norm is below
    `vanishing_ratio` times the last layer's, or below `grad_floor` while
    the last layer's is not; *exploding* when some layer's norm exceeds
    `grad_ceiling`, grows more than `growth` times its value at the first
    probe, or its update ratio exceeds `max_update_ratio`. A finding needs
    `patience` consecutive bad probes. A NaN/Inf loss or gradient is acted
    on at once (it never recovers): reported as `"exploding"` when the
    preceding probes already showed exploding signs, else as `"nan"`. On
    Sequential and functional models the probe also counts dead ReLU units
    (zero on the whole probe) and saturated sigmoid/tanh units (flat on 95%
    of it); subclassed models skip that check and the report says so.

    At the end of each epoch the latest figures go into `logs` under
    `"grad_norm_first"`, `"grad_norm_last"` and `"grad_norm_ratio"`
    (first / last), so place the monitor before `CSVLogger` or
    `EarlyStopping` in the callback list. The status is sticky: once a
    finding is confirmed, `report()` keeps it for the rest of the run.

    The probe batch is taken from the data passed to `fit` (a seeded random
    sample of NumPy/tensor inputs, or the first batch of a `tf.data.Dataset`)
    unless `probe` is given; it must be given for generators and
    `PyDataset`, whose batches cannot be read twice.

    Args:
        every: Integer. Probe every `every` training steps. Defaults to `50`.
        probe: Tuple `(x, y)` or `(x, y, sample_weight)`, or `None`. Fixed
            probe batch; `x` may be a list or dict for several inputs.
            Defaults to `None` (taken from the training data).
        probe_size: Integer. Rows in the probe batch. Defaults to `32`.
        policy: String. What to do on a finding: `"warn"` (one
            `CallbackWarning` per kind of finding), `"stop"` (warn and set
            `model.stop_training`) or `"raise"` (raise
            `GradientHealthError`). Defaults to `"warn"`.
        patience: Integer. Consecutive bad probes needed for a finding.
            Defaults to `3`.
        vanishing_ratio: Float. First/last gradient-norm ratio below which
            gradients vanish (AUTOTRAINER-style). Defaults to `1e-3`.
        grad_floor: Float. Absolute gradient norm below which a layer's
            gradient vanishes. Defaults to `1e-7`.
        grad_ceiling: Float. Gradient norm above which it explodes.
            Defaults to `1e3`.
        growth: Float. Growth of a layer's gradient norm over its value at
            the first probe above which it explodes. Defaults to `1e3`.
        max_update_ratio: Float. Update-to-weight ratio above which a layer
            explodes (CS231n: healthy is about `1e-3`). Defaults to `1.0`.
        min_update_ratio: Float. Update ratio below which the report
            suggests a higher learning rate. Defaults to `1e-6`.
        dead_share: Float. Share of dead ReLU or saturated units in a layer
            that is reported. Defaults to `0.5`.
        log_dir: String or `None`. If given, per-layer gradient norms and
            update ratios are written there as TensorBoard scalars.
            Defaults to `None`.
        verbose: Integer. `1` prints the first/last ratio after each epoch.
            Defaults to `0`.

    Raises:
        CallbackValueError: if an argument is out of range, or (at the start
            of `fit`) no probe batch can be taken from the data.
        GradientHealthError: during `fit`, with `policy="raise"`.

    Example:

    ```python
    monitor = GradientMonitor()
    model.fit(x, y, epochs=10, callbacks=[monitor])
    print(monitor.report()["status"])  # "healthy", "vanishing", ...
    monitor.plot("gradient_norms.png")
    ```
    """

    def __init__(self, *, every=50, probe=None, probe_size=32, policy="warn",
                 patience=3, vanishing_ratio=1e-3, grad_floor=1e-7,
                 grad_ceiling=1e3, growth=1e3, max_update_ratio=1.0,
                 min_update_ratio=1e-6, dead_share=0.5, log_dir=None,
                 verbose=0):
        super().__init__()
        name = "GradientMonitor"
        self.every = _check_int(name, "every", every)
        self.probe_size = _check_int(name, "probe_size", probe_size)
        self.policy = _check_choice(name, "policy", policy,
                                    ("warn", "stop", "raise"))
        self.patience = _check_int(name, "patience", patience)
        self.vanishing_ratio = _check_float(name, "vanishing_ratio",
                                            vanishing_ratio, high=1.0)
        self.grad_floor = _check_float(name, "grad_floor", grad_floor)
        self.grad_ceiling = _check_float(name, "grad_ceiling", grad_ceiling)
        self.growth = _check_float(name, "growth", growth, low=1.0)
        self.max_update_ratio = _check_float(name, "max_update_ratio",
                                             max_update_ratio)
        self.min_update_ratio = _check_float(name, "min_update_ratio",
                                             min_update_ratio)
        self.dead_share = _check_float(name, "dead_share", dead_share,
                                       high=1.0 + 1e-12)
        self.verbose = _check_int(name, "verbose", verbose, minimum=0)
        if probe is not None and (not isinstance(probe, (tuple, list))
                                  or len(probe) not in (2, 3)):
            raise CallbackValueError(
                "GradientMonitor: `probe` must be a tuple (x, y) or "
                f"(x, y, sample_weight). Received: probe of type "
                f"{type(probe).__name__}"
                + (f" with {len(probe)} items" if isinstance(
                    probe, (tuple, list)) else "")
            )
        self.probe = None if probe is None else tuple(probe)
        if log_dir is not None and importlib.util.find_spec(
                "tensorflow") is None:
            raise CallbackValueError(
                "GradientMonitor: `log_dir` writes TensorBoard summaries and "
                f"needs TensorFlow installed. Received: log_dir={log_dir!r}; "
                "install tensorflow or pass log_dir=None."
            )
        self.log_dir = log_dir
        self._reset()

    def report(self):
        """Summarises the run so far as a JSON-serialisable dict.

        Returns:
            Dict with `"status"` (`"healthy"`, `"vanishing"`, `"exploding"`
            or `"nan"`), `"step"` (of the latest probe), `"probes"`,
            `"first_last_ratio"`, `"layers"` (one dict per layer with
            weights: `name`, latest `grad_norm`, `update_ratio` and `flag`
            among `"ok"`, `"vanishing"`, `"exploding"`, `"nan"`, `"dead"`,
            `"saturated"`), `"units"` (dead/saturated share per activation
            layer), `"units_checked"`, `"notes"` and `"advice"` (sentences
            naming the layer and the fix). Non-finite numbers are `None`.
        """
        layers = []
        for i, name in enumerate(self._names):
            layers.append({
                "name": name,
                "grad_norm": _num(self._grads[i]) if self._probes else None,
                "update_ratio": _num(self._updates[i]),
                "flag": self._flags.get(name, "ok"),
            })
        units = [{"name": n, "activation": k, "bad_share": _num(s)}
                 for n, k, s in zip(self._unit_names, self._unit_kinds,
                                    self._unit_shares)]
        return {
            "status": self._status,
            "step": self._last_step,
            "probes": self._probes,
            "first_last_ratio": _num(self._ratio),
            "layers": layers,
            "units": units,
            "units_checked": self._units is not None,
            "notes": list(self._notes),
            "advice": self._advice(),
        }

    def plot(self, path):
        """Draws per-layer gradient norms over training (log scale).

        Args:
            path: String or path-like. Image file to write (e.g. a `.png`).

        Returns:
            The `path` written.

        Raises:
            CallbackValueError: if no probe has run yet.
        """
        if not self._history_steps:
            raise CallbackValueError(
                "GradientMonitor.plot needs at least one probe. Received: a "
                "monitor with no recorded probe; run `fit` with it first."
            )
        # A bare Figure draws off-screen without touching pyplot's global
        # backend or its list of open figures.
        from matplotlib import colormaps
        from matplotlib.figure import Figure

        norms = np.asarray(self._history_norms, dtype="float64")
        fig = Figure(figsize=(6, 3.6), dpi=80)
        ax = fig.subplots()
        cmap = colormaps["viridis"]
        for i, name in enumerate(self._names):
            color = cmap(i / max(1, len(self._names) - 1))
            ax.plot(self._history_steps, norms[:, i], label=name, color=color)
        ax.set_yscale("log")
        ax.set_xlabel("training step")
        ax.set_ylabel("gradient norm")
        ax.set_title(f"GradientMonitor: {self._status}")
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        fig.savefig(path)
        return path

    def on_train_begin(self, logs=None):
        self._reset()
        model = self.model
        if self.probe is not None:
            x, y, sw = (tuple(self.probe) + (None,))[:3]
        else:
            batch = probe_from_fit(model, self.probe_size)
            if batch is None:
                raise CallbackValueError(
                    "GradientMonitor could not take a probe batch from the "
                    "data passed to `fit` (generators and PyDataset cannot "
                    "be read twice). Received: probe=None; pass "
                    "`GradientMonitor(probe=(x_batch, y_batch))`."
                )
            x, y, sw = batch
        self._batch = (x, y, sw)
        if self.log_dir is not None:
            import tensorflow as tf

            self._writer = tf.summary.create_file_writer(str(self.log_dir))

    def on_train_batch_begin(self, batch, logs=None):
        step = self._step
        self._step += 1
        if self._batch is None:
            return
        pending = self._prober is not None and self._prober._snapshot is not None
        due = (step < self.patience or step % self.every == 0
               or self._prober is None)
        if not (pending or due):
            return
        model = self.model  # On JAX this syncs the trainer's state.
        if self._prober is None:
            if not model.built or not model.trainable_variables:
                return  # Subclassed models build in their first step.
            self._setup(model)
        if pending:
            self._record_updates(self._prober.update_norms())
        if due:
            self._probe(model, step)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        loss = logs.get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self._nonfinite(self.model, self._step, "the epoch's loss")
        first = self._grads[0] if self._probes and len(self._grads) else math.nan
        last = self._grads[-1] if self._probes and len(self._grads) else math.nan
        logs["grad_norm_first"] = float(first)
        logs["grad_norm_last"] = float(last)
        logs["grad_norm_ratio"] = float(self._ratio)
        if self.verbose > 0:
            _print(f"Epoch {epoch + 1}: GradientMonitor first/last gradient "
                   f"norm ratio {self._ratio:.2e} ({self._status}).")

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.flush()

    def _reset(self):
        self._step, self._probes, self._last_step = 0, 0, None
        self._status, self._flags, self._notes = "healthy", {}, []
        self._names, self._index, self._updates = [], [], []
        self._grads, self._weights = np.zeros(0), np.zeros(0)
        self._baseline, self._ratio = None, math.nan
        self._first_loss, self._stuck = None, False
        self._counts = {"vanishing": 0, "exploding": 0}
        self._unit_counts, self._unit_shares = {}, []
        self._unit_names, self._unit_kinds = [], []
        self._units, self._units_reason = None, None
        self._acted, self._findings = set(), {}
        self._history_steps, self._history_norms = [], []
        self._prober, self._batch, self._writer = None, None, None

    def _setup(self, model):
        groups = layer_groups(model)
        self._names = [name for name, _ in groups]
        self._index = [ids for _, ids in groups]
        self._updates = [None] * len(groups)
        units = ActivationLayers(model)
        self._prober = Prober(model, units)
        self._units = units if units.reason is None else None
        self._units_reason = units.reason
        self._unit_names, self._unit_kinds = units.layers, units.kinds
        if units.reason is not None:
            self._notes.append(f"Dead/saturated unit check skipped: "
                               f"{units.reason}.")

    def _probe(self, model, step):
        x, y, sw = self._batch
        loss, var_grads, var_weights, shares = self._prober.probe(x, y, sw)
        grads = _group(var_grads, self._index)
        self._weights = _group(var_weights, self._index)
        self._grads, self._probes, self._last_step = grads, self._probes + 1, step
        self._history_steps.append(step)
        self._history_norms.append(grads.tolist())
        self._ratio = _safe_div(grads[0], grads[-1]) if len(grads) else math.nan
        self._write_summaries(step)
        if not (math.isfinite(loss) and np.all(np.isfinite(grads))):
            bad = [n for n, g in zip(self._names, grads) if not math.isfinite(g)]
            self._flags = {n: "nan" for n in bad}
            self._nonfinite(model, step, "the probe loss" if not bad
                            else f"the gradients of {_quote(bad)}")
            return
        if self._baseline is None:
            self._baseline, self._first_loss = grads.copy(), loss
        self._flags = {}
        vanishing = self._vanishing_layers(grads)
        exploding = self._exploding_layers(grads)
        self._flags.update({n: "vanishing" for n in vanishing})
        self._flags.update({n: "exploding" for n in exploding})
        self._check_units(shares)
        # All gradients ~0 while the loss has not moved: a saturated output.
        self._stuck = bool(len(grads)) and grads[-1] < self.grad_floor and (
            loss > 0.5 * self._first_loss > 0)
        if self._stuck:
            self._flags.update({n: "vanishing" for n in self._names})
        first_vanishes = self._stuck or (
            bool(self._names) and self._names[0] in vanishing)
        self._count("vanishing", first_vanishes, model, step)
        self._count("exploding", bool(exploding), model, step)

    def _vanishing_layers(self, grads):
        last = grads[-1]
        return [n for n, g in zip(self._names[:-1], grads[:-1])
                if g < self.vanishing_ratio * last
                or (g < self.grad_floor <= last)]

    def _exploding_layers(self, grads):
        out = []
        for i, (name, g) in enumerate(zip(self._names, grads)):
            base = self._baseline[i]
            update = self._updates[i]
            if (g > self.grad_ceiling
                    or (base > 0 and g / base > self.growth)
                    or (update is not None and update > self.max_update_ratio)):
                out.append(name)
        return out

    def _check_units(self, shares):
        if self._units is None:
            return
        self._unit_shares = shares.tolist()
        for name, kind, share in zip(self._unit_names, self._unit_kinds, shares):
            bad = share >= self.dead_share
            self._unit_counts[name] = self._unit_counts.get(name, 0) + 1 if bad else 0
            if bad and self._flags.get(name, "ok") == "ok":
                self._flags[name] = "dead" if kind == "relu" else "saturated"

    def _count(self, kind, bad, model, step):
        self._counts[kind] = self._counts[kind] + 1 if bad else 0
        if self._counts[kind] >= self.patience:
            self._finding(kind, model, step)

    def _nonfinite(self, model, step, where):
        kind = "exploding" if self._counts["exploding"] > 0 else "nan"
        self._findings["nan_where"] = where
        self._finding(kind, model, step, nonfinite=True)

    def _finding(self, kind, model, step, nonfinite=False):
        if _SEVERITY[kind] > _SEVERITY[self._status]:
            self._status = kind
        key = kind + ("_nan" if nonfinite else "")
        self._findings.setdefault(kind, step)
        if key in self._acted:
            return
        self._acted.add(key)
        advice = self._advice()
        message = (f"GradientMonitor: {kind} gradients at step {step}"
                   + (f" (NaN/Inf in {self._findings['nan_where']})"
                      if nonfinite else "")
                   + ". " + (advice[0] if advice else ""))
        if self.policy == "raise":
            raise GradientHealthError(message)
        warnings.warn(message, CallbackWarning, stacklevel=2)
        if self.policy == "stop":
            model.stop_training = True

    def _record_updates(self, var_updates):
        updates = _group(var_updates, self._index)
        self._updates = [_safe_div(u, w) for u, w in zip(updates, self._weights)]

    def _advice(self):
        out = []
        names, grads = self._names, self._grads
        status = self._status
        if status == "vanishing" and names and self._stuck:
            out.append(
                f"All gradients, even of '{names[-1]}', are below "
                f"{self.grad_floor:g} while the loss stays high: the output "
                "saturates. Use a linear output with from_logits=True in the "
                "loss, smaller initial weights (He or Glorot), "
                "BatchNormalization, or a lower learning rate.")
        elif status == "vanishing" and names:
            out.append(
                f"Gradients vanish before the early layers: '{names[0]}' gets "
                f"{self._ratio:.1e} of the gradient norm of '{names[-1]}'. Use "
                "ReLU activations with He initialisation "
                "(kernel_initializer='he_normal'), add BatchNormalization, add "
                "residual connections, or raise the learning rate.")
        if status == "exploding" and names:
            worst = names[int(np.nanargmax(np.where(np.isfinite(grads), grads,
                                                    -1)))] if len(grads) else names[0]
            out.append(
                f"Gradients explode (largest in '{worst}'): clip them with the "
                "optimizer's clipnorm=1.0, lower the learning rate (e.g. 10x) "
                "or add a learning-rate warm-up, and check the weight "
                "initialisation (He or Glorot, not larger).")
        if status == "nan":
            out.append(
                f"The loss or gradients became NaN/Inf (first in "
                f"{self._findings.get('nan_where', 'the probe')}): check the "
                "inputs and targets for NaN/Inf, use from_logits=True rather "
                "than a softmax followed by a log, lower the learning rate and "
                "clip gradients with clipnorm=1.0.")
        for name, kind, share in zip(self._unit_names, self._unit_kinds,
                                     self._unit_shares):
            if self._unit_counts.get(name, 0) < self.patience:
                continue
            if kind == "relu":
                out.append(
                    f"{share:.0%} of the ReLU units of '{name}' output zero on "
                    "the whole probe batch (dead units): use LeakyReLU, He "
                    "initialisation or a lower learning rate.")
            else:
                out.append(
                    f"{share:.0%} of the {kind} units of '{name}' are "
                    "saturated: use ReLU, standardise the inputs or add "
                    "BatchNormalization before the activation.")
        if status == "healthy":
            slow = [n for n, u in zip(names, self._updates)
                    if u is not None and u < self.min_update_ratio]
            if slow:
                out.append(
                    f"The updates of {_quote(slow)} are below "
                    f"{self.min_update_ratio:g} of their weights (healthy is "
                    "about 1e-3): the learning rate may be too low.")
        return out

    def _write_summaries(self, step):
        if self._writer is None:
            return
        import tensorflow as tf

        with self._writer.as_default(step=step):
            for name, g, u in zip(self._names, self._grads, self._updates):
                tf.summary.scalar(f"grad_norm/{name}", g)
                if u is not None:
                    tf.summary.scalar(f"update_ratio/{name}", u)
            tf.summary.scalar("grad_norm_ratio", self._ratio)


def _group(values, index):
    values = np.asarray(values, dtype="float64")
    return np.array([math.sqrt(float(np.sum(values[ids] ** 2)))
                     if np.all(np.isfinite(values[ids])) else
                     float(np.sum(values[ids]))  # keeps NaN / Inf visible
                     for ids in index])


def _safe_div(a, b):
    a, b = float(a), float(b)
    if b == 0.0:
        return math.nan if a == 0.0 else math.inf
    return a / b


def _num(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _quote(names):
    return ", ".join(f"'{n}'" for n in names)
