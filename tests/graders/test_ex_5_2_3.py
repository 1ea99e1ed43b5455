"""Wrong answers to exercise 5.2.3: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_2_3.py``)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from coursekit.graders.ex_5_2_3 import EX
from coursekit.grading import assert_fails, dense_layers


class _WeightNorms(keras.callbacks.Callback):
    def __init__(self, X, y):
        super().__init__()
        self.norms = []

    def on_epoch_end(self, epoch, logs=None):
        self.norms.append([float(np.linalg.norm(layer.kernel.numpy())) for layer in dense_layers(self.model)])


class _AllVariables(keras.callbacks.Callback):
    def __init__(self, X, y):
        super().__init__()
        self.X, self.y, self.norms = tf.constant(X), tf.reshape(tf.constant(y, tf.float32), (-1, 1)), []

    def on_epoch_end(self, epoch, logs=None):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(keras.losses.binary_crossentropy(self.y, self.model(self.X)))
        self.norms.append([float(tf.norm(g)) for g in tape.gradient(loss, self.model.trainable_variables)])


def test_5_2_3_rejects_weight_norms_and_bias_gradients(reference, seed):
    ref = reference("5.2.3")
    assert_fails(EX.grade(ref.replaced(gradient_norm_logger=_WeightNorms), seed, only=["the gradient-norm logger"]),
           "last row equals the rubric's gradient norms (relative difference)", "not the norm of the kernel")
    assert_fails(EX.grade(ref.replaced(gradient_norm_logger=_AllVariables), seed, only=["the gradient-norm logger"]),
           "one norm per Dense kernel", "biases")


def _sigmoid_stack(n_features, init="glorot_uniform", act="sigmoid"):
    layers = [keras.Input(shape=(n_features,))] + [keras.layers.Dense(32, activation=act, kernel_initializer=init)
                                                   for _ in range(10)]
    model = keras.Sequential(layers + [keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
    return model


def test_5_2_3_rejects_a_better_initialisation_alone_and_swapping_the_sigmoids(reference, seed):
    ref = reference("5.2.3")
    glorot = ref.replaced(build_fixed=_sigmoid_stack)  # measured: first/last ratio 5e-6-2e-5
    assert_fails(EX.grade(glorot, seed, only=["the fix keeps the architecture", "the fix trains"]),
           "first/last gradient ratio", "initialisation alone")
    relu = ref.replaced(build_fixed=lambda n: _sigmoid_stack(n, "he_normal", "relu"))
    assert_fails(EX.grade(relu, seed, only=["the fix keeps the architecture"]), "every hidden layer is followed by a sigmoid",
           "keeps the sigmoids")


LOGGER = ["the gradient-norm logger"]


class _SharedList(keras.callbacks.Callback):
    """The list of rows as a class attribute: every logger appends to the same list."""

    norms = []

    def __init__(self, X, y):
        super().__init__()
        self.X, self.y = tf.constant(X), tf.reshape(tf.constant(y, tf.float32), (-1, 1))

    def on_epoch_end(self, epoch, logs=None):
        kernels = [layer.kernel for layer in dense_layers(self.model)]
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(keras.losses.binary_crossentropy(self.y, self.model(self.X, training=False)))
        self.norms.append([float(tf.norm(g)) for g in tape.gradient(loss, kernels)])


def test_5_2_3_rejects_rows_kept_in_a_class_attribute(reference, seed):
    """State between loggers: the one-logger run on the given network passes; two loggers at once do not."""
    _SharedList.norms = []
    verdict = EX.grade(reference("5.2.3").replaced(gradient_norm_logger=_SharedList), seed, only=LOGGER)
    assert_fails(verdict, "every row equals the rubric's, two loggers on a small network", "class attribute")


class _FixedRows(keras.callbacks.Callback):
    """The rows kept in a dict keyed by their shape (to convert them once): a later logger for the same
    number of features measures on the first one's rows."""

    probe = {}

    def __init__(self, X, y):
        super().__init__()
        self.X, self.y = _FixedRows.probe.setdefault(X.shape[1], (tf.constant(X), tf.reshape(tf.constant(y, tf.float32), (-1, 1))))
        self.norms = []

    def on_epoch_end(self, epoch, logs=None):
        kernels = [layer.kernel for layer in dense_layers(self.model)]
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(keras.losses.binary_crossentropy(self.y, self.model(self.X, training=False)))
        self.norms.append([float(tf.norm(g)) for g in tape.gradient(loss, kernels)])


def test_5_2_3_rejects_a_logger_that_ignores_the_rows_it_was_given(reference, seed):
    _FixedRows.probe.clear()
    verdict = EX.grade(reference("5.2.3").replaced(gradient_norm_logger=_FixedRows), seed, only=LOGGER)
    assert_fails(verdict, "every row equals the rubric's, two loggers on a small network", "x and y it was given")


def test_5_2_3_rejects_a_shortcut_around_the_sigmoid_stack(reference, seed):
    def shortcut(n):
        inputs = x = keras.Input(shape=(n,))
        for _ in range(10):
            x = keras.layers.Dense(32, activation="sigmoid")(x)
        model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Concatenate()([inputs, x])))
        model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
        return model
    verdict = EX.grade(reference("5.2.3").replaced(build_fixed=shortcut), seed, only=["the fix keeps the architecture"])
    assert_fails(verdict, "every path runs through the first hidden layer", "shortcut")
