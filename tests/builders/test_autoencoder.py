"""Autoencoders: the two halves, reconstruction error, pretraining."""

import keras
import numpy as np
import pytest

import kerasnn


def _blobs(rng, n=128, d=16):
    """Rows on a 2-D plane inside 16-D: an autoencoder with a code of 2
    can rebuild them; rows off the plane it cannot."""
    basis = rng.normal(size=(2, d))
    on_plane = rng.normal(size=(n, 2)) @ basis
    return on_plane.astype("float32"), basis


def test_dense_autoencoder_halves_and_defaults():
    model = kerasnn.build_autoencoder(784, seed=0)
    encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
    # code_size "auto": 784 / 16 -> 32; one hidden layer between 784 and 32.
    assert encoder.output_shape == (None, 32)
    assert decoder.output_shape == (None, 784)
    assert model.output_shape == (None, 784)
    assert [layer.units for layer in encoder.layers
            if isinstance(layer, keras.layers.Dense)] == [128, 32]
    assert [layer.units for layer in decoder.layers
            if isinstance(layer, keras.layers.Dense)] == [128, 784]
    assert model.loss == "mean_squared_error"


def test_compile_options_are_those_of_the_other_builders():
    model = kerasnn.build_autoencoder(
        16, code_size=2, optimizer="sgd", learning_rate=0.05, momentum=0.5,
        clipnorm=1.0, metrics=["mae"])
    optimizer = model.optimizer
    assert isinstance(optimizer, keras.optimizers.SGD)
    assert float(optimizer.momentum) == pytest.approx(0.5)
    assert optimizer.clipnorm == 1.0
    assert model.get_compile_config()["metrics"] == ["mae"]
    adamw = kerasnn.build_autoencoder(16, code_size=2, optimizer="adamw",
                                      weight_decay=1e-3)
    assert float(adamw.optimizer.weight_decay) == pytest.approx(1e-3)
    # Without `metrics`, the loss only, as before.
    clipped = kerasnn.build_autoencoder(16, clipvalue=0.5)
    assert clipped.optimizer.clipvalue == 0.5
    assert kerasnn.build_autoencoder(16).get_compile_config()["metrics"] is None


@pytest.mark.tf_only
def test_builds_under_a_strategy_scope():
    import tensorflow as tf

    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    model = kerasnn.build_autoencoder(16, code_size=2, strategy=strategy)
    assert model.distribute_strategy is strategy


def test_image_shaped_inputs_come_back_in_their_shape():
    dense = kerasnn.build_autoencoder((12, 12), code_size=8,
                                      output_activation="sigmoid")
    assert dense.output_shape == (None, 12, 12)
    conv = kerasnn.build_autoencoder((12, 12, 1), kind="conv", code_size=8,
                                     filters=4, blocks=2)
    assert conv.output_shape == (None, 12, 12, 1)
    assert conv.get_layer("encoder").output_shape == (None, 8)
    encoder_layers = [layer.name for layer in conv.get_layer("encoder").layers]
    # The blocks of build_image_model: Conv2D -> BatchNorm -> ReLU, pooling.
    assert encoder_layers[1:5] == ["encoder_block1_conv1", "encoder_block1_bn1",
                                   "encoder_block1_relu1",
                                   "encoder_block1_conv2"]


def test_training_lowers_the_reconstruction_error(rng):
    x, _ = _blobs(rng)
    model = kerasnn.build_autoencoder(16, code_size=2, hidden=[8], seed=0,
                                      activation="tanh", learning_rate=1e-2)
    before = kerasnn.reconstruction_error(model, x)
    model.fit(x, x, epochs=60, batch_size=32, verbose=0)
    after = kerasnn.reconstruction_error(model, x)
    assert after.shape == (len(x),)
    assert after.mean() < 0.3 * before.mean()


def test_reconstruction_error_scores_anomalies_higher(rng):
    x, basis = _blobs(rng, n=256)
    model = kerasnn.build_autoencoder(16, code_size=2, hidden=[8], seed=0,
                                      activation="tanh", learning_rate=1e-2)
    model.fit(x, x, epochs=60, batch_size=32, verbose=0)
    normal = (rng.normal(size=(64, 2)) @ basis).astype("float32")
    odd = (rng.normal(size=(64, 16)) * x.std()).astype("float32")
    scores = kerasnn.reconstruction_error(model, np.concatenate([normal, odd]))
    # Most anomalies score above every-but-a-few normal rows.
    assert np.median(scores[64:]) > np.quantile(scores[:64], 0.9)


def test_reconstruction_error_matches_the_definition(rng):
    x = rng.random((10, 6)).astype("float32")
    before = x.copy()
    model = kerasnn.build_autoencoder(6, code_size=2, seed=0)
    expected = ((model.predict(x, verbose=0) - x) ** 2).mean(axis=1)
    np.testing.assert_allclose(kerasnn.reconstruction_error(model, x),
                               expected, rtol=1e-5)
    np.testing.assert_array_equal(x, before)


def test_pretrained_encoder_is_a_body_for_swap_head(rng, tmp_path):
    x = rng.random((32, 8, 8, 1)).astype("float32")
    model = kerasnn.build_autoencoder((8, 8, 1), kind="conv", code_size=4,
                                      filters=4, blocks=1, seed=0)
    model.fit(x, x, epochs=1, verbose=0)
    encoder = model.get_layer("encoder")
    classifier = kerasnn.swap_head(encoder, "multiclass", n_classes=3, cut=-1)
    assert classifier.output_shape == (None, 3)
    code = classifier.get_layer("code")
    np.testing.assert_array_equal(code.get_weights()[0],
                                  encoder.get_layer("code").get_weights()[0])
    assert not code.trainable
    path = tmp_path / "autoencoder.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-5)
    assert loaded.get_layer("encoder").output_shape == (None, 4)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"kind": "lstm"}, kerasnn.KerasnnValueError, "`kind` must be one of"),
    ({"code_size": 16}, kerasnn.KerasnnValueError, "smaller than the input"),
    ({"code_size": "big"}, kerasnn.KerasnnValueError, "'auto' or a positive"),
    ({"code_size": 0}, kerasnn.KerasnnValueError, "code_size"),
    ({"output_activation": "softmax"}, kerasnn.KerasnnValueError,
     "output_activation"),
    ({"hidden": [0]}, kerasnn.KerasnnValueError, "hidden"),
    ({"dropout": 1.5}, kerasnn.KerasnnValueError, "dropout"),
    ({"momentum": 1.5}, kerasnn.KerasnnValueError, "momentum"),
    ({"clipnorm": 0}, kerasnn.KerasnnValueError, "clipnorm"),
    ({"weight_decay": 1e-4}, kerasnn.KerasnnValueError,
     "applies to optimizer='adamw' only. Received: weight_decay=0.0001"),
    ({"metrics": "mae"}, kerasnn.KerasnnTypeError,
     "must be a list of metric names.*Received: metrics='mae'"),
    ({"strategy": "mirrored"}, kerasnn.KerasnnTypeError,
     "tf.distribute.Strategy"),
])
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        kerasnn.build_autoencoder(16, **kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({"blocks": 3}, "not divisible by 2\\*\\*blocks = 8"),
    ({"filters": 12}, "power of 2"),
    ({"hidden": [32]}, "kind='dense' only"),
])
def test_bad_conv_arguments(kwargs, message):
    with pytest.raises(kerasnn.KerasnnValueError, match=message):
        kerasnn.build_autoencoder((12, 12, 1), kind="conv", **kwargs)


def test_reconstruction_error_checks_its_input(rng):
    model = kerasnn.build_autoencoder(6, code_size=2)
    with pytest.raises(kerasnn.KerasnnValueError, match=r"rows of shape \(6,\)"):
        kerasnn.reconstruction_error(model, rng.random((4, 5)))
    with pytest.raises(kerasnn.KerasnnTypeError, match="keras.Model"):
        kerasnn.reconstruction_error("model.keras", rng.random((4, 6)))
