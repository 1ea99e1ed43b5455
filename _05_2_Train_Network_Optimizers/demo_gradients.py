# %% [markdown]
# # Vanishing and exploding gradients: per-layer gradient norms, and gradient clipping
#
# Part 1 measures the norm of the loss gradient with respect to every Dense kernel of five
# 10-hidden-layer churn networks, before training and after each of 4 epochs of plain SGD:
# sigmoid units with Glorot initialization (the Keras default), tanh units with Glorot, ReLU
# units with He initialization, and sigmoid units with batch normalization placed before the
# activation (as in the original paper) or after it. With sigmoid and Glorot the gradient shrinks
# by orders of magnitude on its way back to the first layer; the other four keep it within about
# one order of magnitude.
#
# Part 2 trains an 8-layer ReLU network on Ames log prices (standardised) with plain SGD at a
# learning rate too large for it: without clipping the loss becomes NaN in the first epoch; with
# `global_clipnorm=1.0` or `clipnorm=1.0`, the same rate, weights and batches train to a
# validation error far below that of predicting the mean price. Two reference runs say what
# clipping does not do: a ten times smaller rate without clipping does about as well, and clipping
# alone does not make the network train on the raw, unscaled log prices.
#
# Run it as a script, `python demo_gradients.py` (or `course run 5.2 gradients`), or as a
# notebook: `course notebook 5.2`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.2")  # --seed and --figures from a shell; the defaults in a notebook

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

import data
from coursekit.training import pipelines

# %% [markdown]
# ## Set-up
#
# The churn data, and two helpers: the gradient norm of every Dense kernel, and a deep
# network in one of five designs.

# %%
coursekit.set_seed(args.seed)
churn = data.prepare_churn()


def kernel_gradient_norms(model, X, y, loss_fn) -> list[float]:
    """||d loss / d kernel|| of every Dense layer, on one fixed batch, in training mode (so batch
    normalization uses the batch's statistics, as it does while training)."""
    kernels = [layer.kernel for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(X, training=True))
    return [float(tf.norm(g)) for g in tape.gradient(loss, kernels)]


def deep_net(kind: str, depth: int = 10, width: int = 32) -> keras.Model:
    layers = [keras.Input(shape=(churn.n_features,))]
    for _ in range(depth):
        if kind == "sigmoid":  # Keras's default initializer is Glorot uniform
            layers.append(keras.layers.Dense(width, activation="sigmoid"))
        elif kind == "tanh":
            layers.append(keras.layers.Dense(width, activation="tanh"))
        elif kind == "relu_he":
            layers.append(keras.layers.Dense(width, activation="relu", kernel_initializer="he_normal"))
        elif kind == "bn_before":
            # affine map -> BN -> sigmoid: BN standardises the sigmoid's input. The Dense bias is
            # left out because BN subtracts the mean and adds its own learned shift (beta).
            layers += [keras.layers.Dense(width, use_bias=False),
                       keras.layers.BatchNormalization(momentum=0.9),
                       keras.layers.Activation("sigmoid")]
        else:  # "bn_after": sigmoid -> BN, which standardises the next layer's input instead
            layers += [keras.layers.Dense(width, activation="sigmoid"),
                       keras.layers.BatchNormalization(momentum=0.9)]
    layers.append(keras.layers.Dense(1, activation="sigmoid"))
    return keras.Sequential(layers)


# %% [markdown]
# ## Part 1: vanishing gradients
#
# The same depth, five designs, plain SGD (lr 0.01, batch 64), 4 epochs. The gradient
# norms are measured on a fixed probe batch of 512 training rows before training and after
# every epoch (one epoch per call to `fit`). BatchNormalization's moving averages use momentum
# 0.9 instead of the default 0.99: in a run of 4 x 67 steps, averages that slow still lag the
# batch statistics, and the validation loss (computed with the averages) would not show what
# the network has learned.

# %%
X_probe, y_probe = churn.X_train[:512], churn.y_train[:512].reshape(-1, 1)
bce = keras.losses.BinaryCrossentropy()
EPOCHS = 4
labels = {"sigmoid": "sigmoid, Glorot", "tanh": "tanh, Glorot", "relu_he": "ReLU, He",
          "bn_before": "sigmoid, BN before it", "bn_after": "sigmoid, BN after it"}
churn_rate = float(np.mean(churn.y_train))
y_val = np.asarray(churn.y_val, dtype=float)
baseline = -float(np.mean(y_val * np.log(churn_rate) + (1 - y_val) * np.log(1 - churn_rate)))
print(f"predict the training churn rate for everyone: val loss {baseline:.3f}")
recorded = {}
for kind in labels:
    coursekit.set_seed(args.seed)
    model = deep_net(kind)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="binary_crossentropy", steps_per_execution=32)
    norms = [kernel_gradient_norms(model, X_probe, y_probe, bce)]
    for _ in range(EPOCHS):
        model.fit(churn.X_train, churn.y_train, epochs=1, batch_size=64, verbose=0)
        norms.append(kernel_gradient_norms(model, X_probe, y_probe, bce))
    norms = recorded[kind] = np.array(norms)
    val_loss = float(bce(churn.y_val.reshape(-1, 1), model(churn.X_val, training=False)))
    print(f"{labels[kind]:<22} gradient norm, first layer / last layer: before training "
          f"{norms[0, 0] / norms[0, -1]:.1e}, after {EPOCHS} epochs {norms[-1, 0] / norms[-1, -1]:.1e}; "
          f"val loss {val_loss:.3f}")

# %% [markdown]
# ## Part 2: exploding gradients and clipping on Ames log prices
#
# The targets are standardised with the training split's mean and standard deviation; every error
# below is converted back to the MSE of the log price, so it compares with predicting the training
# mean for every house.

# %%
housing = data.prepare_housing()
mu, sd = float(housing.y_train.mean()), float(housing.y_train.std())
z_train, z_val = (housing.y_train - mu) / sd, (housing.y_val - mu) / sd
mean_mse = float(np.mean((housing.y_val - mu) ** 2))
print(f"predict the training mean log price for every house: validation MSE {mean_mse:.3f}")

CLIP_EPOCHS = 12


def housing_net() -> keras.Model:
    coursekit.set_seed(args.seed)
    layers = [keras.Input(shape=(housing.n_features,))]
    layers += [keras.layers.Dense(64, activation="relu", kernel_initializer="he_normal") for _ in range(8)]
    layers.append(keras.layers.Dense(1))
    return keras.Sequential(layers)


def global_gradient_norm(model, X, y) -> float:
    """The norm of the gradient over all weights together, on the whole training split."""
    with tf.GradientTape() as tape:
        loss = keras.losses.MeanSquaredError()(y, model(X, training=True))
    return float(tf.linalg.global_norm(tape.gradient(loss, model.trainable_variables)))


class Probe(keras.callbacks.Callback):
    """Before training and after every epoch: the gradient norm on the whole training split and
    the validation MSE (computed here directly, which is cheaper than fit's validation pass)."""

    def __init__(self, X, y, X_val, y_val):
        super().__init__()
        self.X, self.y, self.X_val, self.y_val = X, y.reshape(-1, 1), X_val, y_val.reshape(-1, 1)
        self.mse = keras.losses.MeanSquaredError()

    def _record(self):
        self.norms.append(global_gradient_norm(self.model, self.X, self.y))
        self.val_mse.append(float(self.mse(self.y_val, self.model(self.X_val, training=False))))

    def on_train_begin(self, logs=None):
        self.norms, self.val_mse = [], []
        self._record()

    def on_epoch_end(self, epoch, logs=None):
        self._record()


# name: (learning rate, clipping arguments, standardised targets?)
settings = {
    "lr 0.1, no clipping": (0.1, {}, True),
    "lr 0.1, global_clipnorm=1.0": (0.1, {"global_clipnorm": 1.0}, True),
    "lr 0.1, clipnorm=1.0": (0.1, {"clipnorm": 1.0}, True),
    "lr 0.01, no clipping": (0.01, {}, True),
    "raw log prices, lr 0.1, global_clipnorm=1.0": (0.1, {"global_clipnorm": 1.0}, False),
}
clip_runs = {}
for name, (lr, clip, standardised) in settings.items():
    y_tr, y_va, scale = (z_train, z_val, sd**2) if standardised else (housing.y_train, housing.y_val, 1.0)
    train, _ = pipelines(housing.X_train, y_tr, batch_size=64, seed=args.seed)
    model = housing_net()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr, **clip), loss="mse", steps_per_execution=32)
    probe = Probe(housing.X_train, y_tr, housing.X_val, y_va)
    # TerminateOnNaN stops a run whose loss has become NaN or infinite (nothing more to learn from it).
    history = model.fit(train, epochs=CLIP_EPOCHS, verbose=0, shuffle=False,
                        callbacks=[keras.callbacks.TerminateOnNaN(), probe])
    val_mse = np.array(probe.val_mse[1:], dtype=float) * scale  # after each epoch, as MSE of the log price
    clip_runs[name] = val_mse
    first = history.history["loss"][0]
    if np.isfinite(val_mse[-1]):
        print(f"{name:<44} validation MSE (log price) before training {probe.val_mse[0] * scale:.3g}, "
              f"after {len(val_mse)} epochs {val_mse[-1]:.3f}; training loss in epoch 1: {first:.3g}; gradient norm on the training split: "
              f"{probe.norms[0]:.3g} before training, {min(probe.norms[1:]):.3g}-{max(probe.norms[1:]):.3g} after each epoch")
    else:
        print(f"{name:<44} training loss in epoch 1: {first:.3g} -- stopped by TerminateOnNaN "
              f"after {len(val_mse)} epoch(s); gradient norm before training {probe.norms[0]:.3g}")

# %% [markdown]
# ## Figures
#
# Figure 1: gradient norm per layer (log scale), before training and after each epoch. Figure 2:
# validation MSE of the log price per epoch; a run stopped at NaN is marked at the top.

# %%
fig, axes = plt.subplots(1, len(recorded), figsize=(16, 3.6), sharey=True)
for ax, (kind, norms) in zip(axes, recorded.items()):
    layers = np.arange(1, norms.shape[1] + 1)
    for row, values in enumerate(norms):
        ax.semilogy(layers, values, marker="o", ms=3, alpha=0.4 + 0.6 * row / (len(norms) - 1), color="tab:blue",
                    label="before training" if row == 0 else (f"after epoch {row}" if row == len(norms) - 1 else None))
    ax.set_title(labels[kind], fontsize=10)
    ax.set_xlabel("Dense layer (1 = input side)")
    ax.grid(alpha=0.3, which="both")
axes[0].set_ylabel("||d loss / d kernel||")
axes[0].legend(fontsize=8)
fig.tight_layout()
coursekit.save_figure(fig, "vanishing_gradients")

# Figure 2: validation MSE of the log price per epoch; a run stopped at NaN is marked at the top.
fig, ax = plt.subplots(figsize=(10, 4.2))
top = 50.0
for name, val_mse in clip_runs.items():
    epochs = np.arange(1, len(val_mse) + 1)
    if np.isfinite(val_mse).all():
        ax.semilogy(epochs, val_mse, marker="o", ms=3, label=name)
    else:
        ax.semilogy(epochs, np.full(len(val_mse), top), "x", ms=10, mew=2, color="black", label=f"{name}: NaN")
ax.axhline(mean_mse, color="gray", ls=":", lw=1.5, label=f"predict the training mean ({mean_mse:.3f})")
ax.set_xlabel("epoch")
ax.set_ylabel("validation MSE of the log price")
ax.set_title("Deep ReLU net on Ames, plain SGD: clipping rescues lr 0.1", fontsize=10)
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
ax.xaxis.get_major_locator().set_params(integer=True)
ax.grid(alpha=0.3, which="both")
coursekit.save_figure(fig, "gradient_clipping")
