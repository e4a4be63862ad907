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

The column encodings are in `_ctgan_columns.py`, the conditional vector and
the training batches in `_ctgan_sampling.py`, the networks and their
training step in `_ctgan_networks.py`.
"""

import warnings

import keras
import numpy as np
import pandas as pd

from kerasnn._progress import check_verbose
from kerasnn._random import derived_seed
from kerasnn._validation import check_callbacks
from kerasnn._validation import check_float
from kerasnn._validation import check_int
from kerasnn.errors import KerasnnValueError
from kerasnn.extras._ctgan_columns import _Categorical
from kerasnn.extras._ctgan_columns import _Numeric
from kerasnn.extras._ctgan_networks import CTGANGenerator
from kerasnn.extras._ctgan_networks import _draw
from kerasnn.extras._ctgan_networks import _Trainer
from kerasnn.extras._ctgan_sampling import _Batches
from kerasnn.extras._ctgan_sampling import _Conditions
from kerasnn.tabular.model import column_kinds
from kerasnn.tabular.tables import check_frame


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
        verbose: `"auto"`, 0, 1 or 2: `fit`'s progress, as in
            `Model.fit` (0 silent, 1 a `keras.utils.Progbar` per epoch with
            the generator's and the critic's losses, 2 one line per epoch;
            `"auto"` is 1). `keras.config.disable_interactive_logging()`
            sends it to the log instead of stdout. Defaults to `"auto"`.

    Example:

    >>> gan = CTGAN(epochs=50, seed=0).fit(df)  # doctest: +SKIP
    >>> gan.sample(1000, condition={"sex": "Female"})  # doctest: +SKIP
    >>> gan.save("gan.keras")  # doctest: +SKIP
    >>> CTGAN.load("gan.keras").sample(10)  # doctest: +SKIP
    """

    def __init__(self, *, epochs=100, batch_size=500, pac=10, noise_dim=128,
                 width=256, max_modes=10, learning_rate=2e-4,
                 categorical=None, numeric=None, seed=None, verbose="auto"):
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
        self.verbose = check_verbose(verbose)
        self.history = None
        self._columns = None

    def fit(self, X, *, callbacks=None, verbose=None):
        """Fits the encoders and trains the networks on the rows of `X`.

        Args:
            X: pandas DataFrame. Not modified.
            callbacks: List of Keras callbacks, passed to the training's
                `fit`. `sample` works inside them (e.g. to score rows as
                training goes on).
            verbose: `None`, `"auto"`, 0, 1 or 2: the progress shown, as
                the constructor's `verbose` (which `None` uses; it defaults
                to `"auto"`, a progress bar per epoch).

        Returns:
            `self`; `.history` holds the `History` of the training.
        """
        X = check_frame(X)
        callbacks = check_callbacks(callbacks)
        verbose = self.verbose if verbose is None else check_verbose(verbose)
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
        self._rng = np.random.default_rng(derived_seed(self.seed, offset=1))
        self.history = self._model.fit(batches, epochs=self.epochs,
                                       verbose=verbose,
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
