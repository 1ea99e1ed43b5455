"""Vanishing and exploding gradients: per-layer gradient norms, and gradient clipping.

Part 1 records, with a callback, the norm of the loss gradient with respect to every Dense
kernel of three 10-hidden-layer churn networks, before training and after each epoch: sigmoid
units with Glorot initialization (the gradient shrinks by orders of magnitude on its way back to
the first layer), ReLU units with He initialization, and sigmoid units with batch normalization
before each activation (both keep the first layers learning).

Part 2 trains a deep ReLU network on Ames log prices with SGD at a learning rate that is too
large for it: without clipping the loss explodes to inf/NaN within the first epoch; with
``clipnorm=1.0`` (rescale any gradient whose norm exceeds 1) or ``clipvalue=0.5`` (clip each
entry) the same optimizer trains.

Run:  python demo_gradients.py   (or: course run 5.2 gradients)
"""

# %%
# Set-up.
import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

import data

args = coursekit.script_args(__doc__)
churn = data.prepare_churn()


class GradientNorms(keras.callbacks.Callback):
    """Per-kernel gradient norms on a fixed batch, before training and after every epoch.

    It runs the model in training mode, so batch normalization uses the batch's statistics as it
    does during training (exercise 5.2.4 builds a callback like this one).
    """

    def __init__(self, X, y):
        super().__init__()
        self.X, self.y = X, y
        self.loss_fn = keras.losses.BinaryCrossentropy()

    def _norms(self):
        kernels = [layer.kernel for layer in self.model.layers if isinstance(layer, keras.layers.Dense)]
        with tf.GradientTape() as tape:
            loss = self.loss_fn(self.y, self.model(self.X, training=True))
        return [float(tf.norm(g)) for g in tape.gradient(loss, kernels)]

    def on_train_begin(self, logs=None):
        self.norms = [self._norms()]

    def on_epoch_end(self, epoch, logs=None):
        self.norms.append(self._norms())


def deep_net(kind: str, depth: int = 10, width: int = 32) -> keras.Model:
    layers = [keras.Input(shape=(churn.n_features,))]
    for _ in range(depth):
        if kind == "sigmoid":
            layers.append(keras.layers.Dense(width, activation="sigmoid"))
        elif kind == "relu_he":
            layers.append(keras.layers.Dense(width, activation="relu", kernel_initializer="he_normal"))
        else:  # sigmoid with batch normalization between the affine map and the activation
            layers += [keras.layers.Dense(width), keras.layers.BatchNormalization(), keras.layers.Activation("sigmoid")]
    layers.append(keras.layers.Dense(1, activation="sigmoid"))
    return keras.Sequential(layers)


# %%
# Part 1: the same depth, three designs, plain SGD, 4 epochs, a probe batch of 512 rows.
X_probe, y_probe = churn.X_train[:512], churn.y_train[:512].reshape(-1, 1)
labels = {"sigmoid": "sigmoid, Glorot", "relu_he": "ReLU, He", "sigmoid_bn": "sigmoid + BatchNorm"}
recorded = {}
for kind in labels:
    coursekit.set_seed(args.seed)
    model = deep_net(kind)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="binary_crossentropy", steps_per_execution=32)
    logger = GradientNorms(X_probe, y_probe)
    model.fit(churn.X_train, churn.y_train, epochs=4, batch_size=64, callbacks=[logger], verbose=0)
    norms = np.array(logger.norms)
    recorded[kind] = norms
    print(f"{labels[kind]:<20} gradient norm, first layer / last layer (after training): "
          f"{norms[-1, 0] / norms[-1, -1]:.1e}")

# %%
# Part 2: exploding gradients. A 10-layer ReLU network on Ames log prices (values near 12, so
# the first squared errors are ~140) with SGD at learning rate 0.05.
housing = data.prepare_housing()


def housing_net() -> keras.Model:
    coursekit.set_seed(args.seed)
    layers = [keras.Input(shape=(housing.n_features,))]
    layers += [keras.layers.Dense(64, activation="relu", kernel_initializer="he_normal") for _ in range(10)]
    layers.append(keras.layers.Dense(1))
    return keras.Sequential(layers)


clip_runs = {}
for name, kwargs in [("no clipping", {}), ("clipnorm=1.0", {"clipnorm": 1.0}), ("clipvalue=0.5", {"clipvalue": 0.5})]:
    model = housing_net()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, **kwargs), loss="mse", steps_per_execution=32)
    history = model.fit(housing.X_train, housing.y_train, validation_data=(housing.X_val, housing.y_val),
                        epochs=8, batch_size=64, verbose=0)
    clip_runs[name] = history.history
    last = history.history["val_loss"][-1]
    print(f"SGD lr=0.05, {name:<14} training loss after epoch 1: {history.history['loss'][0]:.3g}, "
          f"validation MSE (log price) after 8 epochs: {last:.3g}")

# %%
# Figure 1: gradient norm per layer (log scale), before training and after each epoch.
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
for ax, (kind, norms) in zip(axes, recorded.items()):
    layers = np.arange(1, norms.shape[1] + 1)
    for row, values in enumerate(norms):
        ax.semilogy(layers, values, marker="o", ms=3, alpha=0.4 + 0.6 * row / (len(norms) - 1),
                    color="tab:blue", label="before training" if row == 0 else (f"after epoch {row}" if row == len(norms) - 1 else None))
    ax.set_title(labels[kind], fontsize=10)
    ax.set_xlabel("Dense layer (1 = input side)")
    ax.grid(alpha=0.3, which="both")
axes[0].set_ylabel("||d loss / d kernel||")
axes[0].legend(fontsize=8)
coursekit.save_figure(fig, "vanishing_gradients", __file__)

# Figure 2: training loss per epoch with and without clipping (inf/NaN drawn at the top).
fig, ax = plt.subplots(figsize=(6.5, 4))
for name, hist in clip_runs.items():
    losses = np.array(hist["loss"], dtype=float)
    top = 1e6
    shown = np.where(np.isfinite(losses) & (losses < top), losses, top)
    ax.semilogy(np.arange(1, len(losses) + 1), shown, marker="o", ms=3, label=name)
ax.set_xlabel("epoch")
ax.set_ylabel("training MSE of log price (inf/NaN shown at 1e6)")
ax.set_title("Exploding gradients in a deep ReLU net, SGD lr=0.05", fontsize=10)
ax.legend(fontsize=8)
ax.grid(alpha=0.3, which="both")
coursekit.save_figure(fig, "gradient_clipping", __file__)
