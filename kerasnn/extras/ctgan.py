"""A conditional tabular GAN in Keras, after CTGAN (Xu et al., NeurIPS 2019).

The parts of CTGAN's design, each in the paper's terms:

- **mode-specific normalization** of numeric columns: a variational Gaussian
  mixture (scikit-learn's `BayesianGaussianMixture`) per column; a value is
  encoded as the one-hot of a mode drawn from its posterior and its offset
  within that mode, `(v - mean) / (4 std)`. A missing number is one more
  "mode" of its own, so the generator learns where values are missing;
- categorical columns one-hot, missing values a category of their own;
- a **conditional vector** over the categorical columns' values, and
  **training-by-sampling**: each training row is picked by first drawing a
  categorical column, then one of its values with probability proportional to
  the log of its frequency, then a real row holding it; the generator is
  penalized when its output misses the condition, so rare values are learned;
- a **PacGAN** critic that scores `pac` rows at once, trained with the WGAN
  loss and a gradient penalty (WGAN-GP); Gumbel-softmax outputs for the
  one-hot parts and `tanh` for the offsets.

The networks are Keras models and the training step is Keras's
`Model.train_step`, written with TensorFlow's `GradientTape`, as the keras.io
WGAN-GP example does: like the rest of the tabular side, TensorFlow only.
"""

import warnings

import keras
import numpy as np
import pandas as pd

from kerasnn._validation import check_callbacks
from kerasnn._validation import check_float
from kerasnn._validation import check_int
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.tabular.model import column_kinds
from kerasnn.tabular.tables import check_frame
from kerasnn.tabular.tables import is_whole


class CTGAN:
    """Fits a conditional GAN on a DataFrame and samples new rows from it.

    Args:
        epochs: Integer >= 1. Passes over the rows. Defaults to `100`.
        batch_size: Integer >= 1, a multiple of `pac`. Defaults to `500`.
        pac: Integer >= 1. Rows the critic scores together (PacGAN).
            Defaults to `10`.
        noise_dim: Integer >= 1. Size of the generator's noise. Defaults to
            `128`.
        width: Integer >= 1. Width of the generator's residual layers and of
            the critic's layers. Defaults to `256`.
        max_modes: Integer >= 1. Most mixture modes per numeric column.
            Defaults to `10`.
        learning_rate: Float > 0. Adam's rate for both networks. Defaults to
            `2e-4`.
        categorical, numeric: Column kinds, as in
            `kerasnn.build_tabular_model`; inferred from the dtypes otherwise.
        seed: Integer or `None`. Seeds the mixtures, the sampling of training
            rows and the networks' weights.
        verbose: Integer. Passed to `fit`. Defaults to `0`.

    Example:

    >>> gan = CTGAN(epochs=50, seed=0).fit(df)  # doctest: +SKIP
    >>> gan.sample(1000, condition={"sex": "Female"})  # doctest: +SKIP
    >>> gan.save("gan.keras")  # doctest: +SKIP
    >>> CTGAN.load("gan.keras").sample(10)  # doctest: +SKIP
    """

    def __init__(self, *, epochs=100, batch_size=500, pac=10, noise_dim=128,
                 width=256, max_modes=10, learning_rate=2e-4,
                 categorical=None, numeric=None, seed=None, verbose=0):
        self.epochs = check_int("epochs", epochs, minimum=1)
        self.pac = check_int("pac", pac, minimum=1)
        self.batch_size = check_int("batch_size", batch_size, minimum=1)
        if self.batch_size % self.pac:
            raise KerasnnValueError(
                "`batch_size` must be a multiple of `pac` (the critic scores "
                f"`pac` rows at a time). Received: batch_size={batch_size}, "
                f"pac={pac}.")
        self.noise_dim = check_int("noise_dim", noise_dim, minimum=1)
        self.width = check_int("width", width, minimum=1)
        self.max_modes = check_int("max_modes", max_modes, minimum=1)
        self.learning_rate = check_float("learning_rate", learning_rate,
                                         low=0.0, low_inclusive=False)
        self.categorical, self.numeric = categorical, numeric
        self.seed = check_int("seed", seed, minimum=0, allow_none=True)
        self.verbose = verbose
        self.history = None
        self._columns = None

    def fit(self, X, *, callbacks=None):
        """Fits the encoders and trains the networks on the rows of `X`.

        Args:
            X: pandas DataFrame. Not modified.
            callbacks: List of Keras callbacks, passed to the training's
                `fit`. `sample` works inside them (e.g. to score rows as
                training goes on).

        Returns:
            `self`; `.history` holds the `History` of the training.
        """
        X = check_frame(X)
        callbacks = check_callbacks(callbacks)
        kinds = column_kinds(X, categorical=self.categorical,
                             numeric=self.numeric)
        rng = np.random.default_rng(self.seed)
        self._dtypes = X.dtypes
        with warnings.catch_warnings():
            # A column with few distinct values converges early or not at
            # all; the mixture is still usable either way.
            warnings.simplefilter("ignore")
            self._columns = [
                _Categorical(name, X[name]) if kind == "categorical"
                else _Numeric(name, X[name], self.max_modes, self.seed)
                for name, kind in kinds.items()]
        categorical = [c for c in self._columns if isinstance(c, _Categorical)]
        if not categorical:
            raise KerasnnValueError(
                "CTGAN conditions on categorical columns and needs at least "
                f"one. Received: only numeric columns {list(X.columns)}. Pass "
                "`categorical=[...]` to treat a column as categorical.")
        data = np.concatenate([c.encode(X[c.name], rng) for c in self._columns],
                              axis=1).astype("float32")
        self._spans = []
        start = 0
        for column in self._columns:
            for size, kind in column.spans:
                self._spans.append((start, size, kind))
                start += size
        self._cond = _Conditions(categorical, self._columns, X)
        batches = _Batches(self._cond, data, self.batch_size,
                           max(1, len(X) // self.batch_size), rng)
        if self.seed is not None:
            keras.utils.set_random_seed(self.seed)
        # What sampling needs, kept in the generator's config for `save`.
        sampling = {
            "noise_dim": self.noise_dim,
            "spans": self._spans, "cond_spans": self._cond.spans,
            "columns": [c.get_config() for c in self._columns],
            "dtypes": [str(dtype) for dtype in self._dtypes],
        }
        self._model = _Trainer(
            data_dim=data.shape[1], cond_dim=self._cond.size,
            spans=self._spans, cond_spans=self._cond.spans,
            noise_dim=self.noise_dim, width=self.width, pac=self.pac,
            sampling=sampling)
        self._generator = self._model.generator
        self._model.compile(
            g_optimizer=keras.optimizers.Adam(self.learning_rate, beta_1=0.5,
                                              beta_2=0.9),
            d_optimizer=keras.optimizers.Adam(self.learning_rate, beta_1=0.5,
                                              beta_2=0.9))
        self._rng = np.random.default_rng(None if self.seed is None
                                          else self.seed + 1)
        self.history = self._model.fit(batches, epochs=self.epochs,
                                       verbose=self.verbose,
                                       callbacks=callbacks)
        return self

    def save(self, filepath):
        """Saves the fitted generator, with what `sample` needs, to a
        `.keras` file that `CTGAN.load` (or `keras.saving.load_model`, safe
        mode, once `kerasnn` is imported) reads back.

        Args:
            filepath: String or `pathlib.Path` ending in `.keras`.
        """
        self._check_fitted("save(filepath)")
        if not str(filepath).endswith(".keras"):
            raise KerasnnValueError(
                "`filepath` must end in '.keras' (Keras's saving format). "
                f"Received: filepath={str(filepath)!r}.")
        self._generator.save(filepath)

    @classmethod
    def load(cls, filepath, *, seed=None):
        """Loads a CTGAN saved with `save`, ready to `sample` (not to train
        on: `fit` starts afresh).

        Args:
            filepath: String or `pathlib.Path` of a file written by `save`.
            seed: Integer or `None`. Seeds the rows `sample` draws.

        Returns:
            A `CTGAN` whose `sample` gives rows like the fitted one's.
        """
        generator = keras.saving.load_model(filepath)
        if not isinstance(generator, CTGANGenerator):
            raise KerasnnValueError(
                "`filepath` must hold a generator saved by CTGAN.save. "
                f"Received: a {type(generator).__name__} in {str(filepath)!r}.")
        sampling = generator.sampling
        gan = cls(noise_dim=sampling["noise_dim"], seed=seed)
        gan._columns = [
            (_Numeric if c["kind"] == "numeric" else _Categorical).from_config(c)
            for c in sampling["columns"]]
        gan._dtypes = pd.Series(
            [pd.api.types.pandas_dtype(d) for d in sampling["dtypes"]],
            index=[c.name for c in gan._columns], dtype=object)
        gan._spans = [tuple(span) for span in sampling["spans"]]
        gan._cond = _Conditions(
            [c for c in gan._columns if isinstance(c, _Categorical)],
            gan._columns)
        gan._generator = generator
        gan._rng = np.random.default_rng(seed)
        return gan

    def _check_fitted(self, call):
        if self._columns is None:
            raise KerasnnValueError(
                f"This CTGAN is not fitted yet. Call `fit(X)` before "
                f"`{call}`.")

    def sample(self, n, *, condition=None, max_tries=20):
        """Returns `n` new rows as a DataFrame with the columns and dtypes of
        the fitted one. Successive calls give new rows; with `seed`, the
        same sequence of calls gives the same rows.

        Args:
            n: Integer >= 1. Rows to make.
            condition: `None`, or a dict `{column: value}` of one categorical
                column: every row returned holds that value (rows are made
                under the conditional vector of the value, and those that
                miss it are drawn again).
            max_tries: Integer >= 1. Rounds of drawing again for `condition`
                before giving up. Defaults to `20`.

        Raises:
            KerasnnValueError: If not fitted, for an unknown column or value,
                or if `max_tries` rounds give too few rows holding the value.
        """
        self._check_fitted("sample(n)")
        n = check_int("n", n, minimum=1)
        max_tries = check_int("max_tries", max_tries, minimum=1)
        rng = self._rng
        if condition is None:
            return self._decode(self._generate(n, None, rng))
        column, value = self._cond.check(condition)
        kept = []
        for _ in range(max_tries):
            frame = self._decode(self._generate(n, (column, value), rng))
            kept.append(frame[_equals(frame[column], value)])
            if sum(len(k) for k in kept) >= n:
                return pd.concat(kept, ignore_index=True).iloc[:n]
        raise KerasnnValueError(
            f"Only {sum(len(k) for k in kept)} of {n} rows held "
            f"{column}={value!r} after max_tries={max_tries} rounds. Train "
            "for more epochs, or raise max_tries.")

    def _generate(self, n, condition, rng):
        cond = self._cond.sample_vectors(n, rng, condition)
        noise = rng.standard_normal((n, self.noise_dim)).astype("float32")
        raw = np.asarray(self._generator(np.concatenate([noise, cond], axis=1),
                                         training=False), dtype="float64")
        return _draw(raw, self._spans, rng)

    def _decode(self, data):
        out, start = {}, 0
        for column in self._columns:
            width = sum(size for size, _ in column.spans)
            out[column.name] = column.decode(data[:, start:start + width])
            start += width
        frame = pd.DataFrame(out)
        for name, dtype in self._dtypes.items():
            if dtype.kind in "iu" and frame[name].isna().any():
                continue  # an int column cannot hold the missing values made
            frame[name] = frame[name].astype(dtype)
        return frame


def _equals(values, value):
    if value is None or (isinstance(value, float) and value != value):
        return values.isna()
    return values == value


class _Numeric:
    """Mode-specific normalization of one numeric column."""

    def __init__(self, name, values, max_modes, seed):
        from sklearn.mixture import BayesianGaussianMixture

        self.name = name
        numbers_ = pd.to_numeric(values).astype("float64")
        finite = numbers_.dropna().to_numpy()
        self.has_missing = bool(numbers_.isna().any())
        self.whole = is_whole(numbers_)
        self.low, self.high = (float(finite.min()), float(finite.max())) \
            if len(finite) else (0.0, 0.0)
        modes = int(min(max_modes, max(1, len(np.unique(finite)))))
        self.mixture = BayesianGaussianMixture(
            n_components=modes, weight_concentration_prior_type="dirichlet_process",
            weight_concentration_prior=0.001, max_iter=100, n_init=1,
            random_state=seed)
        sample = finite if len(finite) <= 20_000 else np.random.default_rng(
            seed).choice(finite, 20_000, replace=False)
        self.mixture.fit(sample.reshape(-1, 1))
        self.active = self.mixture.weights_ > 1e-3
        self.means = self.mixture.means_.reshape(-1)[self.active]
        self.stds = np.sqrt(self.mixture.covariances_.reshape(-1))[self.active]
        self._set_modes()

    def _set_modes(self):
        self.n_modes = len(self.means) + int(self.has_missing)
        self.spans = [(1, "tanh"), (self.n_modes, "softmax")]

    def get_config(self):
        """What `decode` needs, as plain JSON (the mixture is for `fit`)."""
        return {"kind": "numeric", "name": _plain(self.name),
                "means": self.means.tolist(), "stds": self.stds.tolist(),
                "low": self.low, "high": self.high, "whole": self.whole,
                "has_missing": self.has_missing}

    @classmethod
    def from_config(cls, config):
        column = cls.__new__(cls)
        column.name, column.low, column.high = (config["name"], config["low"],
                                                config["high"])
        column.whole, column.has_missing = (config["whole"],
                                            config["has_missing"])
        column.means = np.asarray(config["means"], dtype="float64")
        column.stds = np.asarray(config["stds"], dtype="float64")
        column.mixture = column.active = None
        column._set_modes()
        return column

    def encode(self, values, rng):
        numbers_ = pd.to_numeric(values).astype("float64").to_numpy()
        out = np.zeros((len(numbers_), 1 + self.n_modes))
        present = ~np.isnan(numbers_)
        if present.any():
            probs = self.mixture.predict_proba(
                numbers_[present].reshape(-1, 1))[:, self.active]
            probs = probs + 1e-6
            probs /= probs.sum(axis=1, keepdims=True)
            draws = rng.random((len(probs), 1))
            picks = np.minimum((probs.cumsum(axis=1) < draws).sum(axis=1),
                               probs.shape[1] - 1)
            offset = (numbers_[present] - self.means[picks]) / (
                4 * self.stds[picks])
            rows = np.flatnonzero(present)
            out[rows, 0] = np.clip(offset, -0.99, 0.99)
            out[rows, 1 + picks] = 1.0
        if self.has_missing:
            out[~present, self.n_modes] = 1.0
        return out

    def decode(self, block):
        offset = np.clip(block[:, 0], -1, 1)
        mode = block[:, 1:].argmax(axis=1)
        n_active = len(self.means)
        picked = np.minimum(mode, n_active - 1)
        values = offset * 4 * self.stds[picked] + self.means[picked]
        values = np.clip(values, self.low, self.high)
        if self.whole:
            values = np.round(values)
        if self.has_missing:
            values = np.where(mode == n_active, np.nan, values)
        return values


class _Categorical:
    """One-hot of one categorical column; missing values a category."""

    def __init__(self, name, values):
        self.name = name
        counts = values.value_counts(dropna=False)
        self.values = list(counts.index)
        self.frequencies = counts.to_numpy().astype("float64")
        self.spans = [(len(self.values), "softmax")]

    def get_config(self):
        return {"kind": "categorical", "name": _plain(self.name),
                # A missing value is saved as None (JSON has no NaN).
                "values": [None if pd.isna(v) else _plain(v)
                           for v in self.values],
                "frequencies": self.frequencies.tolist()}

    @classmethod
    def from_config(cls, config):
        column = cls.__new__(cls)
        column.name = config["name"]
        column.values = list(config["values"])
        column.frequencies = np.asarray(config["frequencies"], "float64")
        column.spans = [(len(column.values), "softmax")]
        return column

    def index_of(self, values):
        lookup = {_key(v): i for i, v in enumerate(self.values)}
        return np.array([lookup[_key(v)] for v in values])

    def encode(self, values, rng):
        out = np.zeros((len(values), len(self.values)))
        out[np.arange(len(values)), self.index_of(values)] = 1.0
        return out

    def decode(self, block):
        return np.asarray(self.values, dtype=object)[block.argmax(axis=1)]


def _key(value):
    return "__missing__" if pd.isna(value) else value


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


class _Conditions:
    """The conditional vector and training-by-sampling."""

    def __init__(self, categorical, columns, X=None):
        """`X`, the training rows, is needed for `training_sample` only."""
        self.columns = categorical
        self.spans, offset, data_offset = [], 0, 0
        self.data_offsets = {}
        for column in columns:
            if isinstance(column, _Categorical):
                self.data_offsets[column.name] = data_offset
            data_offset += sum(size for size, _ in column.spans)
        for column in categorical:
            size = len(column.values)
            # (offset in the condition, size, offset in the data)
            self.spans.append((offset, size, self.data_offsets[column.name]))
            offset += size
        self.size = offset
        self.rows = None if X is None else [
            [np.flatnonzero(column.index_of(X[column.name]) == i)
             for i in range(len(column.values))]
            for column in categorical]

    def training_sample(self, n, rng):
        """Condition vectors, their column masks and real rows that match."""
        cond = np.zeros((n, self.size), dtype="float32")
        mask = np.zeros((n, len(self.columns)), dtype="float32")
        rows = np.zeros(n, dtype="int64")
        which = rng.integers(0, len(self.columns), n)
        for j, column in enumerate(self.columns):
            chosen = np.flatnonzero(which == j)
            weights = np.log(column.frequencies + 1)
            values = rng.choice(len(column.values), len(chosen),
                                p=weights / weights.sum())
            cond[chosen, self.spans[j][0] + values] = 1.0
            mask[chosen, j] = 1.0
            for i in np.unique(values):
                at = chosen[values == i]
                rows[at] = rng.choice(self.rows[j][i], len(at))
        return cond, mask, rows

    def sample_vectors(self, n, rng, condition):
        """Conditions at the data's frequencies, or all on one value."""
        cond = np.zeros((n, self.size), dtype="float32")
        if condition is not None:
            column, value = condition
            j = [c.name for c in self.columns].index(column)
            i = self.columns[j].index_of([value])[0]
            cond[:, self.spans[j][0] + i] = 1.0
            return cond
        which = rng.integers(0, len(self.columns), n)
        for j, column in enumerate(self.columns):
            chosen = np.flatnonzero(which == j)
            p = column.frequencies / column.frequencies.sum()
            values = rng.choice(len(column.values), len(chosen), p=p)
            cond[chosen, self.spans[j][0] + values] = 1.0
        return cond

    def check(self, condition):
        if not isinstance(condition, dict) or len(condition) != 1:
            raise KerasnnTypeError(
                "`condition` must be a dict of one categorical column and a "
                f"value, e.g. {{'sex': 'Female'}}. Received: {condition!r}.")
        (column, value), = condition.items()
        names = [c.name for c in self.columns]
        if column not in names:
            raise KerasnnValueError(
                f"`condition` must name a categorical column: one of {names}. "
                f"Received: {column!r}.")
        known = self.columns[names.index(column)].values
        if _key(value) not in {_key(v) for v in known}:
            raise KerasnnValueError(
                f"`condition` value {value!r} never occurs in column "
                f"{column!r}; its values are {known[:10]}.")
        return column, value


class _Batches(keras.utils.PyDataset):
    """Training-by-sampling batches, drawn afresh for each epoch."""

    def __init__(self, conditions, data, batch_size, steps, rng):
        super().__init__()
        self.conditions, self.data = conditions, data
        self.batch_size, self.steps, self.rng = batch_size, steps, rng
        self.on_epoch_end()

    def __len__(self):
        return self.steps

    def __getitem__(self, index):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return {"real": self.real[part], "cond": self.cond[part],
                "mask": self.mask[part]}

    def on_epoch_end(self):
        cond, mask, rows = self.conditions.training_sample(
            self.steps * self.batch_size, self.rng)
        self.real, self.cond, self.mask = self.data[rows], cond, mask


@keras.saving.register_keras_serializable(package="kerasnn")
class CTGANGenerator(keras.Model):
    """CTGAN's generator network (noise and conditional vector in, raw
    outputs out), whose config also holds what sampling needs: the columns'
    decoding, the output spans and the dtypes (`sampling`)."""

    def __init__(self, *args, sampling=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Plain JSON, kept out of Keras's attribute tracking.
        object.__setattr__(self, "sampling", sampling or {})

    def get_config(self):
        return {**super().get_config(), "sampling": self.sampling}


def _activate(raw, spans):
    """Raw generator outputs -> training rows: `tanh` offsets, and one-hot
    parts as Gumbel-softmax samples."""
    import tensorflow as tf

    parts = []
    for start, size, kind in spans:
        block = raw[:, start:start + size]
        if kind == "tanh":
            parts.append(tf.tanh(block))
        else:  # Gumbel-softmax, temperature 0.2
            u = tf.random.uniform(tf.shape(block), 1e-10, 1.0)
            parts.append(tf.nn.softmax(
                (block - tf.math.log(-tf.math.log(u))) / 0.2))
    return tf.concat(parts, axis=1)


def _draw(raw, spans, rng):
    """Raw generator outputs -> rows, as CTGAN samples them: each one-hot
    part is a draw from the softmax of its logits (the argmax of the
    Gumbel-perturbed logits, so the draw that training's Gumbel-softmax
    stands for), not its most likely value, which would lose every value
    the generator makes through the noise."""
    parts = []
    for start, size, kind in spans:
        block = raw[:, start:start + size]
        if kind == "tanh":
            parts.append(np.tanh(block))
            continue
        gumbel = -np.log(-np.log(rng.uniform(1e-10, 1.0, block.shape)))
        parts.append(np.eye(size)[np.argmax(block + gumbel, axis=1)])
    return np.concatenate(parts, axis=1)


class _Trainer(keras.Model):
    """The generator and the PacGAN critic, trained by WGAN-GP."""

    def __init__(self, *, data_dim, cond_dim, spans, cond_spans, noise_dim,
                 width, pac, sampling=None, **kwargs):
        super().__init__(**kwargs)
        self.spans, self.cond_spans = spans, cond_spans
        self.noise_dim, self.pac = noise_dim, pac
        z = keras.Input((noise_dim + cond_dim,))
        h = z
        for i in range(2):  # residual layers: concat(h, relu(bn(dense(h))))
            r = keras.layers.Dense(width, name=f"g_dense{i}")(h)
            r = keras.layers.BatchNormalization(name=f"g_bn{i}")(r)
            r = keras.layers.ReLU(name=f"g_relu{i}")(r)
            h = keras.layers.Concatenate(name=f"g_cat{i}")([h, r])
        raw = keras.layers.Dense(data_dim, name="g_out")(h)
        self.generator = CTGANGenerator(z, raw, name="generator",
                                        sampling=sampling)
        x = keras.Input(((data_dim + cond_dim) * pac,))
        h = x
        for i in range(2):
            h = keras.layers.Dense(width, name=f"d_dense{i}")(h)
            h = keras.layers.LeakyReLU(0.2, name=f"d_leaky{i}")(h)
            h = keras.layers.Dropout(0.5, name=f"d_dropout{i}")(h)
        score = keras.layers.Dense(1, name="d_out")(h)
        self.critic = keras.Model(x, score, name="critic")

    def compile(self, g_optimizer, d_optimizer):
        super().compile()
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.g_loss_tracker = keras.metrics.Mean(name="generator_loss")
        self.d_loss_tracker = keras.metrics.Mean(name="critic_loss")

    @property
    def metrics(self):
        return [self.g_loss_tracker, self.d_loss_tracker]

    def _activate(self, raw):
        return _activate(raw, self.spans)

    def _pack(self, rows, cond):
        import tensorflow as tf

        joined = tf.concat([rows, cond], axis=1)
        return tf.reshape(joined, (-1, joined.shape[1] * self.pac))

    def train_step(self, batch):
        import tensorflow as tf

        if isinstance(batch, tuple):
            batch = batch[0]
        real, cond, mask = batch["real"], batch["cond"], batch["mask"]
        n = tf.shape(real)[0]
        noise = tf.random.normal((n, self.noise_dim))
        # The critic: WGAN loss and gradient penalty on packed rows.
        fake = self._activate(self.generator(
            tf.concat([noise, cond], axis=1), training=True))
        with tf.GradientTape() as tape:
            real_packed = self._pack(real, cond)
            fake_packed = self._pack(fake, cond)
            alpha = tf.random.uniform((tf.shape(real_packed)[0], 1))
            mixed = real_packed + alpha * (fake_packed - real_packed)
            with tf.GradientTape() as inner:
                inner.watch(mixed)
                mixed_score = self.critic(mixed, training=True)
            grads = inner.gradient(mixed_score, mixed)
            penalty = tf.reduce_mean(
                (tf.norm(grads + 1e-12, axis=1) - 1.0) ** 2)
            d_loss = (tf.reduce_mean(self.critic(fake_packed, training=True))
                      - tf.reduce_mean(self.critic(real_packed, training=True))
                      + 10.0 * penalty)
        d_grads = tape.gradient(d_loss, self.critic.trainable_weights)
        self.d_optimizer.apply(d_grads, self.critic.trainable_weights)
        # The generator: fool the critic and honour the condition.
        noise = tf.random.normal((n, self.noise_dim))
        with tf.GradientTape() as tape:
            raw = self.generator(tf.concat([noise, cond], axis=1),
                                 training=True)
            fake = self._activate(raw)
            score = self.critic(self._pack(fake, cond), training=True)
            missed = []
            for j, (c_start, size, d_start) in enumerate(self.cond_spans):
                logits = raw[:, d_start:d_start + size]
                target = cond[:, c_start:c_start + size]
                missed.append(mask[:, j] * tf.nn.softmax_cross_entropy_with_logits(
                    labels=target, logits=logits))
            cond_loss = tf.reduce_mean(tf.add_n(missed))
            g_loss = -tf.reduce_mean(score) + cond_loss
        g_grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply(g_grads, self.generator.trainable_weights)
        self.g_loss_tracker.update_state(g_loss)
        self.d_loss_tracker.update_state(d_loss)
        return {m.name: m.result() for m in self.metrics}
