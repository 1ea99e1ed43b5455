"""Wrong answers to exercise 5.1.2: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_1_2.py``)."""

from __future__ import annotations

import keras

from coursekit.graders.ex_5_1_2 import EX, sigmoid_baseline
from coursekit.graders.lesson_5_1 import mlp
from coursekit.grading import assert_fails

ARCHITECTURE = ["the given architecture"]


def test_5_1_2_rejects_keeping_sigmoid(reference, seed):
    wrong = reference("5.1.2").replaced(build_deep_narrow=lambda n: sigmoid_baseline(n))
    assert_fails(EX.grade(wrong, seed), "test_auc", "sigmoid")


def test_5_1_2_rejects_linear_layers_and_a_shallower_network(reference, seed):
    linear = reference("5.1.2").replaced(build_deep_narrow=lambda n: mlp(n, [16] * 12, act="linear"))
    assert_fails(EX.grade(linear, seed, only=ARCHITECTURE), "network hidden non-linearities", "linear")
    shallow = reference("5.1.2").replaced(build_deep_narrow=lambda n: mlp(n, [64, 32], init="he_normal"))
    assert_fails(EX.grade(shallow, seed, only=ARCHITECTURE), "hidden widths", "depth")


def test_5_1_2_rejects_one_linear_layer_among_relus(reference, seed):
    """Depth is the point: one hidden layer left without an activation is named, not only a stack of them."""
    def one_linear(n):
        layers = [keras.Input(shape=(n,))] + [keras.layers.Dense(16, activation=None if i == 5 else "relu",
                                                                 kernel_initializer="he_normal") for i in range(12)]
        model = keras.Sequential(layers + [keras.layers.Dense(1, activation="sigmoid")])
        model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
        return model
    verdict = EX.grade(reference("5.1.2").replaced(build_deep_narrow=one_linear), seed, only=ARCHITECTURE)
    assert_fails(verdict, "network hidden non-linearities", "without an activation")
    assert "[6]" in next(c.measured for c in verdict.failures if c.name == "network hidden non-linearities")


def _with_shortcut(merge):
    """The 12 sigmoid layers kept, and the input joined to their output just before the output unit: the
    shallow path does the work."""
    def build(n):
        inputs = x = keras.Input(shape=(n,))
        for _ in range(12):
            x = keras.layers.Dense(16, activation="sigmoid")(x)
        if merge == "concatenate":
            x = keras.layers.Concatenate()([inputs, x])
        else:
            x = keras.layers.Add()([keras.layers.Dense(16, activation="relu")(inputs), x])
        model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
        model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
        return model
    return build


def test_5_1_2_rejects_a_shortcut_from_the_input_to_the_output(reference, seed):
    ref = reference("5.1.2")
    concat = EX.grade(ref.replaced(build_deep_narrow=_with_shortcut("concatenate")), seed, only=ARCHITECTURE)
    assert_fails(concat, "no path around the hidden layers", "shortcut")
    # an Add through a 13th Dense layer: the widths check fails too, the shortcut is still named
    assert_fails(EX.grade(ref.replaced(build_deep_narrow=_with_shortcut("add")), seed, only=ARCHITECTURE),
                 "no path around the hidden layers", "shortcut")


def test_5_1_2_rejects_residual_connections_around_hidden_layers(reference, seed):
    """Skips inside the stack also let paths around some hidden layers: the depth is no longer the task's."""
    def residual(n):
        inputs = keras.Input(shape=(n,))
        x = keras.layers.Dense(16, activation="relu", kernel_initializer="he_normal")(inputs)
        for _ in range(11):
            x = keras.layers.Add()([x, keras.layers.Dense(16, activation="relu", kernel_initializer="he_normal")(x)])
        model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
        model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
        return model
    verdict = EX.grade(reference("5.1.2").replaced(build_deep_narrow=residual), seed, only=ARCHITECTURE)
    assert_fails(verdict, "no path around the hidden layers", "shortcut")


def test_5_1_2_grades_the_logits_form_as_the_same_classifier(reference, seed):
    """Dense(1) without activation and BinaryCrossentropy(from_logits=True): the same classifier, graded correct."""
    def logits(n):
        return mlp(n, [16] * 12, 1, None, act="relu", init="he_normal",
                   loss=keras.losses.BinaryCrossentropy(from_logits=True))
    verdict = EX.grade(reference("5.1.2").replaced(build_deep_narrow=logits), seed)
    assert not verdict.failures, verdict.report()
