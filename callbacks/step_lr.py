"""`StepLR`: decay the learning rate by `gamma` every `step_size` epochs."""

import weakref

from ._base import CallbackValueError
from ._base import _LearningRateCallback
from .validation import check_float
from .validation import check_int
from ._base import _print


class StepLR(_LearningRateCallback):
    """Multiplies the learning rate by `gamma` every `step_size` epochs.

    The PyTorch `StepLR` rule: at the start of epoch `e` (0-based) the
    learning rate is set to `initial_lr * gamma ** (e // step_size)`. It is
    computed from the absolute epoch, so it stays right when training resumes
    with `fit(..., initial_epoch=e)`. The rate is also written to
    `logs["learning_rate"]` at the end of each epoch, where `History`,
    `CSVLogger` and `TensorBoard` see it.

    `initial_lr` is read from the optimizer the first time the callback sees
    a model and is remembered across `fit` calls on that model, so reusing
    the instance to resume training continues the schedule. When resuming with
    a new instance on an optimizer whose rate was already decayed (e.g. a
    model loaded from a checkpoint), pass `initial_lr` explicitly.

    Args:
        step_size: Integer. Number of epochs between two decays. Must be
            `>= 1`.
        gamma: Float. Multiplicative factor of each decay, in `(0, 1]`.
            Defaults to `0.1`.
        verbose: Integer. `0`: quiet, `1`: print the rate at the start of
            each epoch. Defaults to `0`.
        initial_lr: Float or `None`. Learning rate of epoch 0. `None` reads
            it from the optimizer. Defaults to `None`.

    Raises:
        CallbackValueError: if an argument is out of range.
        CallbackTypeError: at the start of `fit`, if the optimizer's learning
            rate is a `LearningRateSchedule` (it cannot be overwritten).

    Example:

    ```python
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, epochs=10, callbacks=[StepLR(step_size=5, gamma=0.1)])
    # epochs 0-4 use 0.1, epochs 5-9 use 0.01
    ```
    """

    def __init__(self, step_size, gamma=0.1, verbose=0, *, initial_lr=None):
        super().__init__()
        self.step_size = check_int("StepLR", "step_size", step_size)
        self.gamma = check_float("StepLR", "gamma", gamma, high=1.0, closed="right")
        self.verbose = check_int("StepLR", "verbose", verbose, minimum=0)
        if initial_lr is not None:
            initial_lr = check_float("StepLR", "initial_lr", initial_lr)
        self.initial_lr = initial_lr
        self._explicit_initial_lr = initial_lr is not None
        self._model_ref = None

    def lr_at(self, epoch):
        """Returns the learning rate of (0-based) `epoch` under this schedule.

        Args:
            epoch: Integer. The epoch, counted from 0.

        Returns:
            Float. `initial_lr * gamma ** (epoch // step_size)`.

        Raises:
            CallbackValueError: if `initial_lr` is not known yet (no `fit`
                has started and none was passed).
        """
        if self.initial_lr is None:
            raise CallbackValueError(
                "StepLR: `initial_lr` is not known before the first `fit`. "
                "Received: initial_lr=None; pass `initial_lr=` or start `fit`."
            )
        epoch = check_int("StepLR.lr_at", "epoch", epoch, minimum=0)
        return self.initial_lr * self.gamma ** (epoch // self.step_size)

    def on_train_begin(self, logs=None):
        model = self.model
        self._check_settable_lr(model)
        known = self._model_ref is not None and self._model_ref() is model
        if not self._explicit_initial_lr and not known:
            self.initial_lr = self._get_lr(model)
        self._model_ref = weakref.ref(model)

    def on_epoch_begin(self, epoch, logs=None):
        lr = self.lr_at(epoch)
        self._set_lr(self.model, lr)
        if self.verbose > 0:
            _print(f"Epoch {epoch + 1}: StepLR setting learning rate to {lr:g}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self._get_lr(self.model)
