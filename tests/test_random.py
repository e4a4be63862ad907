from kerasnn import build_autoencoder
from kerasnn import build_image_model
from kerasnn import build_model
from kerasnn._random import derived_seed


def test_derived_seed_keeps_the_arithmetic_saved_models_were_made_with():
    # Changing these values changes every seeded model's starting weights.
    assert derived_seed(7, layer=3) == 3007
    assert derived_seed(7, layer=3, offset=2) == 3009
    assert derived_seed(7, offset=500) == 507
    assert derived_seed(0, layer=50, offset=1) == 50_001
    assert derived_seed(None, layer=3, offset=2) is None


def test_builders_seed_their_layers_from_the_one_helper():
    model = build_model("binary", 4, hidden=[8], dropout=0.5, seed=7)
    assert model.get_layer("hidden_1_dropout").seed == derived_seed(7, layer=1,
                                                              offset=1)
    image = build_image_model("binary", (8, 8, 1), blocks=1, augment=True,
                              seed=7)
    for offset, name in enumerate(("augment_translation", "augment_rotation",
                                   "augment_zoom"), start=1):
        assert image.get_layer(name).seed == 7 + 50_000 + offset
    autoencoder = build_autoencoder(16, code_size=2, hidden=[8], dropout=0.5,
                                    seed=7)
    decoder = autoencoder.get_layer("decoder")
    dropout = [layer for layer in decoder.layers if "dropout" in layer.name]
    assert dropout[0].seed == 7 + 500 + 1000 + 1
