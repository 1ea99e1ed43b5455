"""What the graders of lesson 5.1 (MLPs for classification and regression) share.

The graders own the harness: they call the student's functions, train every network themselves with
the optimizer and loss the student compiled (on ``tf.data`` pipelines, early stopping on the
validation loss), and score the test split themselves. The student's functions see training and
validation data only.

Here: the prepared data sets, the training protocol, and :func:`mlp`, the builder of the networks
the graders and their wrong answers compare with.
"""

from __future__ import annotations

import keras

from coursekit.grading import train


def train_or_fail(v, name, model, *args, **kwargs) -> bool:
    try:
        train(model, *args, **kwargs)
        return True
    except Exception as exc:  # noqa: BLE001 -- a model that cannot train on the task fails the check
        text = " ".join(str(exc).split())[:160]
        return v.check(f"{name} trains", False, f"{type(exc).__name__}: {text}", "training runs",
                       "the output layer and the loss must match the targets' format")


def mlp(n_features, hidden, out_units=1, out_act="sigmoid", act="relu", loss="binary_crossentropy", init="glorot_uniform"):
    layers = [keras.Input(shape=(n_features,))]
    layers += [keras.layers.Dense(w, activation=act, kernel_initializer=init) for w in hidden]
    model = keras.Sequential(layers + [keras.layers.Dense(out_units, activation=out_act)])
    model.compile(keras.optimizers.Adam(1e-3), loss)
    return model


def layers_gone_around(model, X, layers) -> list[int]:
    """The positions (1-based) of the ``layers`` (Dense layers of ``model``) that some path from the input to
    the output goes around. Setting a Dense layer's kernel to zero makes its output the same for every row;
    if every path runs through the layer, the model's output is then the same for every row too. An output
    that still varies has reached the input by another path: a shortcut (a Concatenate or an Add) around the
    layer. Works for any Keras model (Sequential, functional or subclassed); the weights are put back."""
    import numpy as np

    X = np.asarray(X, dtype="float32")
    spread = float(np.ptp(np.asarray(model(X, training=False))))
    if not spread > 0:
        return []  # an output that does not vary at all says nothing about its paths
    around = []
    for i, layer in enumerate(layers, start=1):
        saved = layer.kernel.numpy()
        layer.kernel.assign(np.zeros_like(saved))
        try:
            still = float(np.ptp(np.asarray(model(X, training=False))))
        finally:
            layer.kernel.assign(saved)
        if not still <= 1e-4 * spread:
            around.append(i)
    return around
