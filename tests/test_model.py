"""The network is exactly the original project's."""

import math

from digits.training.model import build_model


def test_layer_order_and_shapes_match_the_original_network():
    model = build_model()
    layers = [(type(layer).__name__, tuple(layer.output.shape[1:])) for layer in model.layers]
    assert layers == [
        ("Conv2D", (26, 26, 32)),
        ("MaxPooling2D", (13, 13, 32)),
        ("Conv2D", (11, 11, 64)),
        ("MaxPooling2D", (5, 5, 64)),
        ("Conv2D", (3, 3, 64)),
        ("Flatten", (576,)),
        ("Dense", (64,)),
        ("Dropout", (64,)),
        ("Dense", (10,)),
    ]
    assert model.layers[-1].activation.__name__ == "softmax"
    assert all(layer.activation.__name__ == "relu" for layer in model.layers if type(layer).__name__ == "Conv2D")


def test_parameter_count_is_93322_all_trainable():
    model = build_model()
    assert model.count_params() == 93_322
    assert sum(math.prod(weight.shape) for weight in model.trainable_weights) == 93_322


def test_dropout_rate_is_configurable():
    assert build_model(dropout=0.3).layers[7].rate == 0.3
