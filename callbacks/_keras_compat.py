"""Every private Keras name that the plugin and kerasnn read, in one place.

Keras hands a callback neither the data of the running `fit` nor a public
walk over a functional model's graph, so the plugin reads a few private
names; kerasnn reads two more (an optimizer's variable index, JAX's
multi-process seeding). Each is reached only through a function of this module, which
returns `None` (or an empty result) where the name is missing, so a Keras
release that renames one costs a check, never the user's `fit`;
`tests/test_keras_compat.py` has a test per name that fails, naming it,
when the installed Keras no longer has it. Checked against Keras
`KERAS_CHECKED`.
"""

import inspect

import keras

#: The Keras minor version these names were last checked against.
KERAS_CHECKED = "3.15"


def keras_history(tensor):
    """`(operation, node_index, tensor_index)` of a symbolic tensor (its
    `_keras_history`), or `None`."""
    history = getattr(tensor, "_keras_history", None)
    if history is None or len(history) != 3:
        return None
    return tuple(history)


def inbound_tensors(operation, node_index):
    """The input tensors of `operation`'s node `node_index` (its
    `_inbound_nodes`), or `None`."""
    nodes = getattr(operation, "_inbound_nodes", None)
    if nodes is None or node_index >= len(nodes):
        return None
    return list(nodes[node_index].input_tensors)


def first_consumer(tensor):
    """Name of the first operation that reads the symbolic `tensor` (the
    producer's `_outbound_nodes`), or `None`."""
    history = keras_history(tensor)
    nodes = getattr(history[0], "_outbound_nodes", None) if history else None
    return nodes[0].operation.name if nodes else None


def all_layers(model):
    """Every layer inside `model`, nested ones included (its
    `_flatten_layers`); `model.layers` where that is missing."""
    flatten = getattr(model, "_flatten_layers", None)
    if flatten is None:
        return list(getattr(model, "layers", []))
    return list(flatten(include_self=False, recursive=True))


def is_ops_layer(layer):
    """Whether `layer` wraps a `keras.ops` call made on symbolic tensors in a
    functional model (Keras builds those in `keras.src.ops`)."""
    return type(layer).__module__.startswith("keras.src.ops")


def learning_rate_variable(optimizer):
    """The optimizer's stored learning rate (its `_learning_rate`): a
    `keras.Variable` for a float rate, the `LearningRateSchedule` for a
    schedule; `None` where missing."""
    return getattr(optimizer, "_learning_rate", None)


def swap_out_schedule(optimizer):
    """Puts a float learning rate in place of the optimizer's schedule.

    Returns the `LearningRateSchedule`, now replaced by a variable holding
    its current value; or `None`, changing nothing, when the rate is not a
    schedule. `optimizer.learning_rate = schedule` puts it back.

    The rate lives in `optimizer._learning_rate`, either the schedule object
    itself or a `Variable`, which setting the attribute tracks as one of
    `optimizer.variables`. The public `learning_rate` setter refuses a float
    once a schedule is set, hence the private attribute; given a schedule,
    it stores it and untracks the variable it replaces.
    """
    schedule = learning_rate_variable(optimizer)
    if not isinstance(schedule,
                      keras.optimizers.schedules.LearningRateSchedule):
        return None
    rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    optimizer._learning_rate = keras.Variable(
        rate, name="learning_rate", dtype=keras.config.floatx(),
        trainable=False, aggregation="only_first_replica")
    return schedule


def call_takes_training(model):
    """Whether the model's `call` takes a `training` argument (its
    `_call_has_training_arg`; `True` where that is missing)."""
    return bool(getattr(model, "_call_has_training_arg", True))


def loss_keywords(loss):
    """The keyword arguments a built-in `keras.losses.Loss` passes its
    function (its `_fn_kwargs`; `get_config` leaves some out, e.g.
    `Huber`'s `delta`), or `{}`."""
    keywords = getattr(loss, "_fn_kwargs", None)
    return dict(keywords) if isinstance(keywords, dict) else {}


def fit_locals(model):
    """The local variables of the running `model.fit` call, read from the
    stack, or `None` when no `fit` of `model` is running.

    Keras passes callbacks neither the data nor `class_weight`; at
    `on_train_begin`, `fit` has cut a `validation_split` off its `x`, `y`
    and `sample_weight` and holds the cut-off part as `val_x`, `val_y`.
    """
    frame = inspect.currentframe()
    try:
        while frame is not None:
            if (frame.f_code.co_name == "fit"
                    and frame.f_locals.get("self") is model):
                return dict(frame.f_locals)
            frame = frame.f_back
        return None
    finally:
        del frame


def variable_index(optimizer, variable):
    """Position of `variable` among the variables `optimizer` was built on
    (its `_get_variable_index`), or `None` where Keras lacks it."""
    get = getattr(optimizer, "_get_variable_index", None)
    return None if get is None else get(variable)


def initialize_jax_rng():
    """Makes every JAX process draw the same initial weights, as
    `keras.distribution.initialize` does after starting JAX (its
    `distribution_lib.initialize_rng`). Returns whether it could."""
    try:
        from keras.src.backend.jax import distribution_lib
    except ImportError:
        return False
    init = getattr(distribution_lib, "initialize_rng", None)
    if init is None:
        return False
    init()
    return True
