"""Exercise 5.2.4 -- A callback that monitors gradient flow, layer by layer.

Goal: write a Keras callback that measures the size of the loss gradient with respect to every
layer's weight matrix (kernel) at the end of each epoch, then use it to see vanishing gradients
in a deep stack of sigmoid layers and healthy gradient flow with ReLU and He initialization.

Steps:
1. ``kernel_gradient_norms(model, X, y, loss_fn)``: inside a ``tf.GradientTape``, compute
   ``loss_fn(y, model(X, training=False))``, take the gradient with respect to the ``kernel`` of
   every layer that has one (input side first) and return the list of their L2 norms (floats).
2. ``GradientNormLogger(X, y, loss_fn)``: a ``keras.callbacks.Callback`` with a list ``norms``
   that gets one row, ``kernel_gradient_norms(self.model, ...)``, at the start of training
   (``on_train_begin``) and one at the end of every epoch (``on_epoch_end``).
3. ``run()`` (given) trains two 10-hidden-layer networks on churn with plain SGD, logging a fixed
   probe batch of 512 training rows: sigmoid units with Glorot initialization, and ReLU units
   with He initialization.

Targets the grader checks (seeds 0-4):
- the logger has ``EPOCHS + 1`` rows of one positive norm per Dense layer (11 layers);
- its last row equals the gradient norms the grader computes itself for the trained model;
- sigmoid net: the first layer's gradient norm is at least 100 times smaller than the last
  layer's (median over the rows): the gradient vanishes on its way back;
- ReLU + He net: the first layer's norm is at least 0.1 times the last layer's.

Hints: ``layer.kernel`` exists for Dense layers; ``tape.gradient(loss, kernels)`` returns one
tensor per kernel; ``float(tf.norm(g))``. The callback reaches the model as ``self.model``.
"""

import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import keras
import numpy as np
import tensorflow as tf

import data

EPOCHS = 4
DEPTH = 10
WIDTH = 32
PROBE_ROWS = 512


def _build(n_features: int, activation: str, initializer: str) -> keras.Model:
    layers = [keras.Input(shape=(n_features,))]
    layers += [keras.layers.Dense(WIDTH, activation=activation, kernel_initializer=initializer) for _ in range(DEPTH)]
    layers += [keras.layers.Dense(1, activation="sigmoid")]
    model = keras.Sequential(layers, name=f"deep_{activation}")
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="binary_crossentropy", steps_per_execution=32)
    return model


def kernel_gradient_norms(model: keras.Model, X, y, loss_fn) -> list:
    """L2 norm of d loss / d kernel for every layer with a kernel, input side first."""
    kernels = [layer.kernel for layer in model.layers if hasattr(layer, "kernel")]
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(X, training=False))
    grads = tape.gradient(loss, kernels)
    return [float(tf.norm(g)) for g in grads]


class GradientNormLogger(keras.callbacks.Callback):
    """Records the per-layer kernel gradient norms on a fixed batch before training and after each epoch."""

    def __init__(self, X, y, loss_fn):
        super().__init__()
        self.X, self.y, self.loss_fn = X, y, loss_fn
        self.norms = []

    def on_train_begin(self, logs=None):
        self.norms = [kernel_gradient_norms(self.model, self.X, self.y, self.loss_fn)]

    def on_epoch_end(self, epoch, logs=None):
        self.norms.append(kernel_gradient_norms(self.model, self.X, self.y, self.loss_fn))


def run(seed: int = 0) -> dict:
    """Train a deep sigmoid net and a deep ReLU+He net with the logger; return the recorded norms."""
    churn = data.prepare_churn()
    X_probe, y_probe = churn.X_train[:PROBE_ROWS], churn.y_train[:PROBE_ROWS].reshape(-1, 1)
    loss_fn = keras.losses.BinaryCrossentropy()
    result = {"epochs": EPOCHS, "X_probe": X_probe, "y_probe": y_probe, "loss_fn": loss_fn}
    for name, activation, init in [("sigmoid", "sigmoid", "glorot_uniform"), ("relu", "relu", "he_normal")]:
        coursekit.set_seed(seed)
        model = _build(churn.n_features, activation, init)
        logger = GradientNormLogger(X_probe, y_probe, loss_fn)
        model.fit(churn.X_train, churn.y_train, epochs=EPOCHS, batch_size=64, callbacks=[logger], verbose=0)
        norms = np.asarray(logger.norms, dtype=float)
        result[f"norms_{name}"] = norms
        result[f"first_over_last_{name}"] = float(np.median(norms[:, 0] / norms[:, -1])) if norms.ndim == 2 else float("nan")
        result[f"model_{name}"] = model
    return result


if __name__ == "__main__":
    args = coursekit.script_args(__doc__)
    result = run(args.seed)
    coursekit.print_metrics("Gradient flow in deep networks", result, "5.2.4")
    for name in ("sigmoid", "relu"):
        print(f"first / last layer gradient norm, {name} (median over rows): {result[f'first_over_last_{name}']:.2e}")
    for name in ("sigmoid", "relu"):
        print(f"\n{name}: kernel gradient norms per layer (rows: start, then each epoch)")
        print(np.array2string(result[f"norms_{name}"], precision=2, max_line_width=140))
