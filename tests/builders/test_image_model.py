import keras
import numpy as np
import pytest

import kerasnn


def _images(rng, n=16, shape=(12, 12, 1)):
    return rng.uniform(0, 255, size=(n, *shape)).astype("float32")


@pytest.mark.parametrize(
    "problem, kwargs, shape, units, activation",
    [
        ("multiclass", {"n_classes": 10}, (28, 28, 1), 10, "softmax"),
        ("binary", {}, (32, 32, 3), 1, "sigmoid"),
        ("regression", {"n_outputs": 2}, (16, 20), 2, "linear"),
    ],
)
def test_image_model_head_and_shapes(problem, kwargs, shape, units, activation):
    model = kerasnn.build_image_model(problem, shape, blocks=2, filters=8,
                                      head_units=16, **kwargs)
    out = model.layers[-1]
    assert out.units == units
    assert out.activation.__name__ == activation
    channels = shape[2] if len(shape) == 3 else 1
    assert model.input_shape == (None, shape[0], shape[1], channels)
    assert model.output_shape == (None, units)


def test_blocks_are_conv_bn_relu_with_doubling_filters():
    model = kerasnn.build_image_model("multiclass", (16, 16, 1), n_classes=3,
                                      blocks=3, filters=8, convs_per_block=1)
    convs = [l for l in model.layers if isinstance(l, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [8, 16, 32]
    assert all(c.use_bias is False for c in convs)
    names = [l.name for l in model.layers]
    for b in (1, 2, 3):
        order = [names.index(f"block{b}_{s}") for s in ("conv1", "bn1", "relu1", "pool")]
        assert order == sorted(order)


def test_fit_a_few_steps_and_round_trip(tmp_path, rng):
    x = _images(rng)
    y = rng.integers(0, 3, size=len(x))
    model = kerasnn.build_image_model("multiclass", x.shape[1:], n_classes=3,
                                      filters=8, head_units=8, rescale=1 / 255,
                                      augment=True, seed=1)
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    path = tmp_path / "cnn.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_augmentation_is_active_only_in_training(rng):
    x = _images(rng, n=4)
    model = kerasnn.build_image_model("binary", x.shape[1:], filters=8,
                                      head_units=0, head_dropout=0.0, dropout=0.0,
                                      augment=True, seed=2)
    augment = keras.Sequential([
        model.get_layer(n) for n in
        ("augment_translation", "augment_rotation", "augment_zoom")
    ])
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(augment(x, training=False)), x)
    assert not np.allclose(keras.ops.convert_to_numpy(augment(x, training=True)), x)


def test_no_augmentation_layers_by_default():
    model = kerasnn.build_image_model("binary", (8, 8, 1), filters=8)
    assert not [l for l in model.layers if l.name.startswith("augment_")]


def test_seed_gives_same_weights():
    a = kerasnn.build_image_model("binary", (8, 8, 1), filters=8, seed=5)
    b = kerasnn.build_image_model("binary", (8, 8, 1), filters=8, seed=5)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


@pytest.mark.backend_neutral
@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"input_shape": 28}, ValueError, "2 to 3 dimensions"),
        ({"input_shape": (28, 28, 1, 1)}, ValueError, "height, width and channels"),
        ({"filters": 24}, ValueError, "power of 2"),
        ({"blocks": 6}, ValueError, "at most 4 for images of 28x28"),
        ({"blocks": 0}, ValueError, "Received: blocks=0"),
        ({"dropout": 1.5}, ValueError, "Received: dropout=1.5"),
        ({"augment": 1}, TypeError, "augment"),
        ({"rescale": 0}, ValueError, "rescale"),
        ({"problem": "multiclas"}, ValueError, "Did you mean 'multiclass'"),
        ({"n_classes": None}, ValueError, "n_classes=10"),
    ],
)
def test_image_model_errors(kwargs, error, message):
    args = {"problem": "multiclass", "input_shape": (28, 28, 1), "n_classes": 10,
            **kwargs}
    problem, shape = args.pop("problem"), args.pop("input_shape")
    with pytest.raises(error, match=message):
        kerasnn.build_image_model(problem, shape, **args)
