import keras
import numpy as np
import pytest

import kerasnn
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.transfer.cosine_classifier import CosineClassifier
from kerasnn.transfer.fine_tuning import fine_tune
from kerasnn.transfer.fine_tuning import freeze
from kerasnn.transfer.heads import imprint
from kerasnn.transfer.heads import swap_head
from kerasnn.transfer.fine_tuning import unfreeze


def _tiny_cnn(n_classes=4):
    return kerasnn.build_image_model(
        "multiclass", (12, 12, 1), n_classes=n_classes, blocks=1, filters=4,
        convs_per_block=1, head_units=8, dropout=0.0, head_dropout=0.0, seed=0,
    )


def _data(rng, n=48, n_classes=3):
    x = rng.random((n, 12, 12, 1)).astype("float32")
    y = rng.integers(0, n_classes, n)
    return x, y


def _snapshot(model):
    return {layer.name: [np.array(w) for w in layer.get_weights()]
            for layer in model.layers}


def _changed(before, model, name):
    after = model.get_layer(name).get_weights()
    return any(not np.array_equal(a, b) for a, b in zip(before[name], after))


def _user_sequential():
    return keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(8, activation="relu", name="features"),
        keras.layers.Dense(2, activation="softmax", name="scores"),
    ])


def test_swap_head_reuses_body_and_adds_problem_head():
    model = _tiny_cnn()
    swapped = swap_head(model, "multiclass", n_classes=3, seed=0)
    names = [layer.name for layer in swapped.layers]
    # The default cut is the input of the output layer: the whole body stays.
    assert names[:-1] == [layer.name for layer in model.layers[:-1]]
    assert names[-1] == "output"
    assert swapped.output_shape == (None, 3)
    assert swapped.layers[-1].activation.__name__ == "softmax"
    assert swapped.loss == "sparse_categorical_crossentropy"
    assert [l.trainable for l in swapped.layers] == [False] * (len(names) - 1) + [True]
    for name in ("block1_conv1", "head_dense", "head_bn"):
        for a, b in zip(model.get_layer(name).get_weights(),
                        swapped.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)


def test_swap_head_takes_the_builders_optimizer_and_metrics():
    swapped = swap_head(_tiny_cnn(), "binary", optimizer="sgd",
                        learning_rate=0.05, momentum=0.5, clipnorm=1.0,
                        metrics=["accuracy"])
    opt = swapped.optimizer
    assert isinstance(opt, keras.optimizers.SGD) and opt.nesterov
    assert float(opt.learning_rate) == pytest.approx(0.05)
    assert opt.momentum == 0.5 and opt.clipnorm == 1.0
    assert swapped.get_compile_config()["metrics"] == ["accuracy"]
    default = swap_head(_tiny_cnn(), "binary").optimizer  # as before: Adam 1e-3
    assert isinstance(default, keras.optimizers.Adam)
    assert float(default.learning_rate) == pytest.approx(1e-3)


def test_swap_head_leaves_the_callers_model_alone(rng):
    model = _tiny_cnn()
    before = _snapshot(model)
    swapped = swap_head(model, "binary", seed=0, freeze=False)
    x, y = _data(rng, n_classes=2)
    swapped.fit(x, y.astype("float32"), epochs=1, verbose=0)
    assert all(layer.trainable for layer in model.layers)
    assert not any(_changed(before, model, layer.name) for layer in model.layers)
    assert _changed(before, swapped, "block1_conv1")


def test_frozen_body_is_bit_identical_after_head_training(rng):
    swapped = swap_head(_tiny_cnn(), "multiclass", n_classes=3, hidden=[6],
                        dropout=0.2, seed=0)
    before = _snapshot(swapped)
    x, y = _data(rng)
    swapped.fit(x, y, epochs=2, batch_size=16, verbose=0)
    body = ["block1_conv1", "block1_bn1", "head_dense", "head_bn"]
    assert not any(_changed(before, swapped, name) for name in body)
    # BatchNorm statistics (moving mean/variance) are part of the weights.
    assert len(before["block1_bn1"]) == 4
    assert _changed(before, swapped, "swap_dense_1")
    assert _changed(before, swapped, "output")


def test_unfreeze_moves_body_and_keeps_batchnorm_in_inference_mode(rng):
    swapped = swap_head(_tiny_cnn(), "multiclass", n_classes=3, seed=0)
    assert unfreeze(swapped, learning_rate=1e-3) is swapped
    assert float(swapped.optimizer.learning_rate) == pytest.approx(1e-3)
    before = _snapshot(swapped)
    x, y = _data(rng)
    swapped.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert _changed(before, swapped, "block1_conv1")
    assert _changed(before, swapped, "head_dense")
    for name in ("block1_bn1", "head_bn"):
        assert not swapped.get_layer(name).trainable
        assert not _changed(before, swapped, name)


def test_unfreeze_can_train_batchnorm_on_the_new_data(rng):
    swapped = swap_head(_tiny_cnn(), "multiclass", n_classes=3, seed=0)
    unfreeze(swapped, learning_rate=1e-3, train_batchnorm=True)
    assert swapped.get_layer("block1_bn1").trainable
    before = _snapshot(swapped)
    x, y = _data(rng)
    swapped.fit(x + 3.0, y, epochs=1, batch_size=16, verbose=0)
    # Scale and offset learnt; the moving mean followed the new data, which
    # the untrained CNN's statistics (mean 0) are far from.
    gamma, beta, mean, variance = swapped.get_layer("block1_bn1").get_weights()
    old_gamma, old_beta, old_mean, _ = before["block1_bn1"]
    assert not np.array_equal(gamma, old_gamma)
    assert not np.array_equal(beta, old_beta)
    assert np.abs(mean - old_mean).max() > 0.1
    # Frozen again on the next unfreeze that does not ask for it.
    unfreeze(swapped)
    assert not swapped.get_layer("block1_bn1").trainable


def test_unfreeze_from_layer_and_freeze_move_the_boundary():
    swapped = swap_head(_tiny_cnn(), "multiclass", n_classes=3)
    unfreeze(swapped, from_layer="head_dense")
    trainable = {layer.name: layer.trainable for layer in swapped.layers}
    assert not trainable["block1_conv1"] and not trainable["flatten"]
    assert trainable["head_dense"] and trainable["output"]
    assert not trainable["head_bn"]
    assert float(swapped.optimizer.learning_rate) == pytest.approx(1e-5)
    freeze(swapped, to_layer="head_relu")
    assert [l.name for l in swapped.layers if l.trainable] == ["output"]
    # The learning rate is kept unless given.
    assert float(swapped.optimizer.learning_rate) == pytest.approx(1e-5)
    freeze(swapped, to_layer=0, learning_rate=0.01)
    assert float(swapped.optimizer.learning_rate) == pytest.approx(0.01)


def test_swapped_model_saves_and_reloads_in_safe_mode(tmp_path, rng):
    swapped = swap_head(_tiny_cnn(), "multiclass", n_classes=3, hidden=[6],
                        dropout=0.1)
    x, y = _data(rng)
    swapped.fit(x, y, epochs=1, verbose=0)
    path = str(tmp_path / "swapped.keras")
    swapped.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0),
                               swapped.predict(x, verbose=0), rtol=1e-5,
                               atol=1e-6)
    assert ([l.trainable for l in loaded.layers if l.weights]
            == [l.trainable for l in swapped.layers if l.weights])


def test_swap_head_on_a_user_sequential_model(rng):
    swapped = swap_head(_user_sequential(), "regression", seed=0)
    assert [layer.name for layer in swapped.layers][1:] == ["features", "output"]
    assert swapped.loss == "mean_squared_error"
    x = rng.random((16, 6)).astype("float32")
    swapped.fit(x, x.sum(axis=1), epochs=1, verbose=0)


def test_swap_head_on_a_keras_applications_model(tmp_path):
    base = keras.applications.MobileNetV2(
        input_shape=(32, 32, 3), include_top=False, weights=None, alpha=0.35)
    swapped = swap_head(base, "multiclass", n_classes=5, cut=-1)
    assert swapped.layers[-2].name == "swap_pool"  # feature map -> pooled
    assert swapped.output_shape == (None, 5)
    assert not any(l.trainable for l in swapped.layers[:-2])
    # The usual transfer model wraps the base as one layer: unfreezing it
    # reaches inside, and its BatchNorm layers stay frozen.
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.GlobalAveragePooling2D()(base(inputs))
    user = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    swapped = swap_head(user, "binary")
    unfreeze(swapped)
    inner = swapped.layers[1].layers
    assert all(l.trainable != isinstance(l, keras.layers.BatchNormalization)
               for l in inner if l.weights)
    path = str(tmp_path / "mobilenet.keras")
    swapped.save(path)
    assert keras.models.load_model(path, safe_mode=True).output_shape == (None, 1)


def test_fine_tune_runs_both_phases(rng):
    swapped = swap_head(_tiny_cnn(), "multiclass", n_classes=3, seed=0)
    before = _snapshot(swapped)
    x, y = _data(rng)
    result = fine_tune(swapped, x, y, head_epochs=2, epochs=1,
                       learning_rate=1e-3, batch_size=16)
    assert result.head.epoch == [0, 1]
    assert result.fine_tune.epoch == [2]
    assert _changed(before, swapped, "block1_conv1")
    assert not _changed(before, swapped, "block1_bn1")
    assert float(swapped.optimizer.learning_rate) == pytest.approx(1e-3)
    only_head = fine_tune(swap_head(_tiny_cnn(), "multiclass", n_classes=3),
                          x, y, head_epochs=1, epochs=0)
    assert only_head.fine_tune is None and only_head.head.epoch == [0]


@pytest.mark.backend_neutral
@pytest.mark.parametrize("cut, error, message", [
    ("block1_con1", KerasnnValueError,
     "`cut` must name a layer of model 'multiclass_cnn'. Received: "
     "cut='block1_con1'. Did you mean 'block1_conv1'?"),
    (42, KerasnnValueError,
     "`cut` must be a layer index in [-10, 9] for model 'multiclass_cnn' "
     "with 10 layers. Received: cut=42."),
    (1.5, KerasnnTypeError,
     "`cut` must be a layer name or an integer index. Received: cut=1.5 "
     "(of type float)."),
    (0, KerasnnValueError,
     "`cut` must name a layer after the input, or the model has no body to "
     "reuse. Received: cut=0, the input layer 'image'."),
])
def test_swap_head_rejects_a_bad_cut(cut, error, message):
    with pytest.raises(error) as info:
        swap_head(_tiny_cnn(), "multiclass", n_classes=3, cut=cut)
    assert message in str(info.value)


@pytest.mark.backend_neutral
def test_swap_head_rejects_a_model_with_no_body():
    model = keras.Sequential([keras.Input((6,)),
                              keras.layers.Dense(1, name="linear")])
    with pytest.raises(KerasnnValueError, match=(
        r"`model` has no body to reuse: its output layer 'linear' reads the "
        r"model's input directly")):
        swap_head(model, "binary")


@pytest.mark.backend_neutral
@pytest.mark.parametrize("kwargs, error, message", [
    (dict(problem="multiclass"), KerasnnValueError,
     "`n_classes` is required when problem='multiclass'. Received: "
     "n_classes=None."),
    (dict(problem="multiclass", n_classes=2), KerasnnValueError,
     "`n_classes` must be >= 3 when problem='multiclass'. Received: "
     "n_classes=2."),
    (dict(problem="binary", n_classes=5), KerasnnValueError,
     "`n_classes` applies to problem='multiclass' only. Received: "
     "n_classes=5 with problem='binary'."),
    (dict(problem="binary", freeze="yes"), KerasnnTypeError,
     "`freeze` must be True or False. Received: freeze='yes'."),
    (dict(problem="binary", dropout=1.0), KerasnnValueError,
     "`dropout` must be a finite number in the range [0.0, 1.0). Received: "
     "dropout=1.0."),
    (dict(problem="binary", hidden=[8, 0]), KerasnnValueError,
     "`hidden[1]` must be an integer >= 1. Received: hidden[1]=0."),
    (dict(problem="binary", learning_rate=0), KerasnnValueError,
     "`learning_rate` must be a finite number in the range (0.0, inf). Received: "
     "learning_rate=0.0."),
])
def test_swap_head_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error) as info:
        swap_head(_tiny_cnn(), **kwargs)
    assert message in str(info.value)


@pytest.mark.backend_neutral
def test_swap_head_rejects_what_is_not_a_layer_graph():
    with pytest.raises(KerasnnTypeError, match=(
        r"`model` must be a keras.Model \(functional or Sequential\). "
        r"Received: model='net' \(of type str\).")):
        swap_head("net", "binary")
    unbuilt = keras.Sequential([keras.layers.Dense(2)], name="unbuilt")
    with pytest.raises(KerasnnValueError, match=(
        r"`model` must have defined inputs: .* Received: model 'unbuilt' of "
        r"type Sequential with no inputs.")):
        swap_head(unbuilt, "binary")


@pytest.mark.backend_neutral
def test_unfreeze_and_freeze_reject_bad_arguments():
    model = _user_sequential()
    with pytest.raises(KerasnnValueError, match=(
        r"`model` must be compiled \(with an optimizer and a loss\). "
        r"Received: model 'sequential.*', not compiled.")):
        unfreeze(model)
    swapped = swap_head(_tiny_cnn(), "binary")
    with pytest.raises(KerasnnValueError, match=(
        r"`from_layer` must name a layer of model 'multiclass_cnn_swapped'. "
        r"Received: from_layer='head'.")):
        unfreeze(swapped, from_layer="head")
    with pytest.raises(KerasnnValueError, match=(
        r"`to_layer` must be a layer index in \[-10, 9\] .* Received: "
        r"to_layer=-11.")):
        freeze(swapped, to_layer=-11)
    with pytest.raises(TypeError, match="to_layer"):
        freeze(swapped)
    with pytest.raises(KerasnnTypeError, match=(
        r"`train_batchnorm` must be True or False. Received: "
        r"train_batchnorm='yes'.")):
        unfreeze(swapped, train_batchnorm="yes")
    assert not swapped.get_layer("block1_conv1").trainable  # raised first


@pytest.mark.backend_neutral
def test_fine_tune_rejects_mismatched_labels_and_unfrozen_models(rng):
    x, y = _data(rng, n_classes=5)
    y[0] = 4
    swapped = swap_head(_tiny_cnn(), "multiclass", n_classes=3)
    with pytest.raises(KerasnnValueError, match=(
        r"`y` must hold class labels in \[0, 2\] for a head with 3 classes. "
        r"Received: labels from 0 to 4. Pass n_classes=5 to swap_head, or "
        r"relabel y to 0..2.")):
        fine_tune(swapped, x, y)
    loose = swap_head(_tiny_cnn(), "multiclass", n_classes=3, freeze=False)
    with pytest.raises(KerasnnValueError, match=(
        r"`model` must have a frozen body for the head-only phase, but every "
        r"layer is trainable.")):
        fine_tune(loose, x, y % 3)
    with pytest.raises(KerasnnValueError, match=(
        r"`head_epochs` and `epochs` must not both be 0.")):
        fine_tune(swapped, x, y % 3, head_epochs=0, epochs=0)


def test_fine_tune_moves_the_body_at_its_own_lower_rate(rng, tmp_path):
    # One full-batch step of Adam moves each weight by about lr * sign(grad),
    # so from the same start the body's step scales with its rate while the
    # head's stays the same.
    x, y = _data(rng)
    start = swap_head(_tiny_cnn(), "multiclass", n_classes=3, seed=0)
    moves = {}
    for rates in ((1e-2, None), (1e-4, 1e-2)):
        model = swap_head(_tiny_cnn(), "multiclass", n_classes=3, seed=0)
        model.set_weights(start.get_weights())
        fine_tune(model, x, y, head_epochs=0, epochs=1, learning_rate=rates[0],
                  head_learning_rate=rates[1], batch_size=len(x))
        moves[rates] = {
            name: np.abs(model.get_layer(name).get_weights()[0]
                         - start.get_layer(name).get_weights()[0]).max()
            for name in ("block1_conv1", "head_dense", "output")}
    one_rate, two_rates = moves[(1e-2, None)], moves[(1e-4, 1e-2)]
    for body in ("block1_conv1", "head_dense"):
        assert two_rates[body] == pytest.approx(one_rate[body] / 100, rel=0.05)
    assert two_rates["output"] == pytest.approx(one_rate["output"], rel=1e-3)
    assert two_rates["output"] > 50 * two_rates["block1_conv1"]
    # Afterwards the optimizer is a plain Adam at the body's rate again, so
    # the model saves, loads in safe mode and unfreezes as any other.
    assert type(model.optimizer) is keras.optimizers.Adam
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-4)
    path = str(tmp_path / "tuned.keras")
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0),
                               model.predict(x, verbose=0), atol=1e-6)
    assert type(unfreeze(model).optimizer) is keras.optimizers.Adam


def test_fine_tune_trains_batchnorm_in_phase_two_only_when_asked(rng):
    x, y = _data(rng)
    start = swap_head(_tiny_cnn(), "multiclass", n_classes=3, seed=0)
    moved = {}
    for train_batchnorm in (False, True):
        model = swap_head(_tiny_cnn(), "multiclass", n_classes=3, seed=0)
        model.set_weights(start.get_weights())
        fine_tune(model, x + 3.0, y, head_epochs=1, epochs=1,
                  learning_rate=1e-3, train_batchnorm=train_batchnorm,
                  batch_size=16)
        moved[train_batchnorm] = [
            not np.array_equal(a, b) for a, b in zip(
                model.get_layer("block1_bn1").get_weights(),
                start.get_layer("block1_bn1").get_weights())]
    assert moved == {False: [False] * 4, True: [True] * 4}


class _Recorder(keras.layers.Layer):
    """An augmentation that blanks the images and records how it was called."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def call(self, images, training=None):
        self.calls.append((int(images.shape[0]), training))
        return images * 0.0


def test_fine_tune_augments_training_batches_only(rng):
    x, y = _data(rng)
    x_val, y_val = _data(rng, n=12)
    model = swap_head(_tiny_cnn(), "multiclass", n_classes=3, seed=0)
    n_layers = len(model.layers)
    augment = _Recorder()
    result = fine_tune(model, x, y, head_epochs=2, epochs=1, learning_rate=1e-3,
                       batch_size=20, augment=augment,
                       validation_data=(x_val, y_val))
    # 48 images in batches of 20: 20, 20, 8, in each of 3 epochs (Keras
    # reads some batches ahead, or once more to learn their shape); always in
    # training mode; never on the 12 validation images.
    assert sorted(set(augment.calls)) == [(8, True), (20, True)]
    assert augment.calls.count((8, True)) == 3
    assert augment.calls.count((20, True)) >= 6
    assert result.head.epoch == [0, 1] and result.fine_tune.epoch == [2]
    # The validation loss is that of the images as they are, not blanked.
    loss = model.evaluate(x_val, y_val, verbose=0)[0]
    blank = model.evaluate(x_val * 0.0, y_val, verbose=0)[0]
    assert result.fine_tune.history["val_loss"][-1] == pytest.approx(loss,
                                                                     rel=1e-5)
    assert abs(loss - blank) > 1e-4
    assert len(model.layers) == n_layers  # the model itself is unchanged


def test_fine_tune_augment_holds_out_the_last_rows_as_keras_does(rng):
    x, y = _data(rng)
    augment = _Recorder()
    result = fine_tune(swap_head(_tiny_cnn(), "multiclass", n_classes=3),
                       x, y, head_epochs=1, epochs=0, batch_size=64,
                       augment=augment, validation_split=0.25)
    assert set(augment.calls) == {(36, True)}  # 48 rows less the last 12
    assert "val_loss" in result.head.history


@pytest.mark.backend_neutral
@pytest.mark.parametrize("kwargs, error, message", [
    (dict(head_learning_rate=0), KerasnnValueError,
     "`head_learning_rate` must be a finite number in the range (0.0, inf) "
     "or None. Received: head_learning_rate=0.0."),
    (dict(head_learning_rate="fast"), KerasnnTypeError,
     "`head_learning_rate` must be"),
    (dict(train_batchnorm=1), KerasnnTypeError,
     "`train_batchnorm` must be True or False. Received: train_batchnorm=1."),
    (dict(augment="flip"), KerasnnTypeError,
     "`augment` must be a Keras layer (e.g. keras.Sequential([keras.layers."
     "RandomRotation(0.05)])) or None. Received: augment='flip' (of type "
     "str)."),
    (dict(augment=keras.layers.RandomRotation(0.1), validation_split=1.5),
     KerasnnValueError,
     "`validation_split` must be a finite number in the range [0.0, 1.0). "
     "Received: validation_split=1.5."),
])
def test_fine_tune_rejects_bad_new_arguments(rng, kwargs, error, message):
    x, y = _data(rng)
    model = swap_head(_tiny_cnn(), "multiclass", n_classes=3)
    before = _snapshot(model)
    with pytest.raises(error) as info:
        fine_tune(model, x, y, **kwargs)
    assert message in str(info.value)
    assert not _changed(before, model, "output")  # raised before training


@pytest.mark.backend_neutral
def test_fine_tune_augment_needs_arrays(rng):
    x, y = _data(rng)
    batches = ((x[i:i + 16], y[i:i + 16]) for i in range(0, 48, 16))
    with pytest.raises(KerasnnTypeError, match=(
        r"`augment` needs `x` and `y` as arrays, so that fine_tune can batch "
        r"them. Received: x of type generator and y of type NoneType.")):
        fine_tune(swap_head(_tiny_cnn(), "multiclass", n_classes=3), batches,
                  augment=keras.layers.RandomRotation(0.1))


def _separable(rng, shots=3, n_classes=3):
    """A few images per class whose classes light up different corners.

    The corners are far apart on the 12x12 grid, so a random-but-fixed conv
    body keeps them apart, while the noise makes the images differ.
    """
    x = rng.random((shots * n_classes, 12, 12, 1)).astype("float32") * 0.2
    y = np.repeat(np.arange(n_classes), shots)
    for row, label in enumerate(y):
        top, left = [(0, 0), (6, 6), (0, 6), (6, 0)][label]
        x[row, top:top + 6, left:left + 6] += 1.0
    return x, rng.permutation(y.size), y


def _cosine_body():
    # Features straight from the conv block, so the toy classes stay apart.
    return swap_head(_tiny_cnn(), "multiclass", n_classes=3,
                     cut="block1_relu1", head="cosine", seed=0)


def test_imprinted_cosine_head_is_right_before_any_training(rng):
    x, order, y = _separable(rng)
    x, y = x[order], y[order]
    model = _cosine_body()
    assert isinstance(model.layers[-1], CosineClassifier)
    before = model.layers[-1].get_weights()[0].copy()
    body = _snapshot(model)
    assert imprint(model, x, y) is model
    kernel = model.layers[-1].get_weights()[0]
    assert not np.allclose(kernel, before)
    np.testing.assert_allclose(np.linalg.norm(kernel, axis=0), 1.0, rtol=1e-5)
    probabilities = model.predict(x, verbose=0)
    np.testing.assert_array_equal(probabilities.argmax(axis=1), y)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    # Nothing trained: the body is as swap_head left it.
    assert not any(_changed(body, model, layer.name)
                   for layer in model.layers[:-1])


def test_cosine_head_scores_scaled_cosines():
    layer = CosineClassifier(2, scale=4.0)
    layer.build((None, 2))
    layer.kernel.assign(np.array([[1.0, 0.0], [0.0, 2.0]], "float32"))
    scores = keras.ops.convert_to_numpy(
        layer(np.array([[3.0, 0.0], [1.0, 1.0]], "float32")))
    np.testing.assert_allclose(
        scores, [[4.0, 0.0], [4.0 / np.sqrt(2), 4.0 / np.sqrt(2)]], rtol=1e-5)


def test_cosine_head_saves_and_reloads_in_safe_mode(tmp_path, rng):
    x, order, y = _separable(rng)
    model = swap_head(_tiny_cnn(), "multiclass", n_classes=3, head="cosine",
                      scale=16.0, dropout=0.1, seed=0)
    imprint(model, x, y)
    fine_tune(model, x, y, head_epochs=1, epochs=1, learning_rate=1e-4,
              head_learning_rate=1e-3)
    path = str(tmp_path / "cosine.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded.layers[-1], CosineClassifier)
    assert loaded.layers[-1].scale == 16.0
    np.testing.assert_allclose(loaded.predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.backend_neutral
@pytest.mark.parametrize("kwargs, error, message", [
    (dict(problem="multiclass", n_classes=3, head="arcface"), KerasnnValueError,
     "`head` must be one of"),
    (dict(problem="binary", head="cosine"), KerasnnValueError,
     "`head='cosine'` needs problem 'multiclass': a cosine head scores one "
     "direction per class. Received: head='cosine', problem='binary'."),
    (dict(problem="multiclass", n_classes=3, scale=10.0), KerasnnValueError,
     "`scale` applies to head='cosine' only. Received: scale=10.0 with "
     "head='dense'."),
    (dict(problem="multiclass", n_classes=3, head="cosine", scale=0),
     KerasnnValueError,
     "`scale` must be a finite number in the range (0.0, inf). Received: "
     "scale=0"),
])
def test_swap_head_rejects_bad_cosine_arguments(kwargs, error, message):
    with pytest.raises(error) as info:
        swap_head(_tiny_cnn(), **kwargs)
    assert message in str(info.value)


@pytest.mark.backend_neutral
def test_imprint_rejects_bad_arguments_before_changing_the_head(rng):
    x, order, y = _separable(rng)
    model = _cosine_body()
    before = model.layers[-1].get_weights()[0].copy()
    dense = swap_head(_tiny_cnn(), "multiclass", n_classes=3)
    for call, error, message in [
        (lambda: imprint(dense, x, y), KerasnnValueError,
         "`model` must have a CosineClassifier head to imprint."),
        (lambda: imprint(model, x, y.astype("float32")), KerasnnTypeError,
         "`y` must be integer class labels, one per row. Received: y of "
         "dtype float32"),
        (lambda: imprint(model, x, y[:-1]), KerasnnValueError,
         "`x` and `y` must have one label per row. Received: 9 rows of x "
         "and 8 labels."),
        (lambda: imprint(model, x[y < 2], y[y < 2]), KerasnnValueError,
         "`y` must hold at least one row of every class 0-2 of the head and "
         "no other label. Received: labels [0, 1]."),
        (lambda: imprint(model, x, y + 1), KerasnnValueError,
         "Received: labels [1, 2, 3]."),
        (lambda: imprint(model, x, y, batch_size=0), KerasnnValueError,
         "`batch_size` must be an integer >= 1. Received: batch_size=0."),
    ]:
        with pytest.raises(error) as info:
            call()
        assert message in str(info.value)
    np.testing.assert_array_equal(model.layers[-1].get_weights()[0], before)
