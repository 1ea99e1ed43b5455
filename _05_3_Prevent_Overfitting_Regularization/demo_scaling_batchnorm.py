# %% [markdown]
# # Why inputs are scaled, and what BatchNormalization does in training and at inference
#
# The Ames price network (Dense 64 and 32, ReLU, a linear output; Adam, 30 epochs of batches of
# 128) trained three ways: on the inputs as the `data` package prepares them (sizes
# log-transformed, every numeric column standardised on the training split), on the raw numbers
# (lot areas in square feet up to six digits, years near 2000, next to 0/1 columns), and on the raw
# numbers with a `BatchNormalization` layer in front. That layer estimates each input's mean and
# variance from every mini-batch (and keeps moving averages of them for inference), standardises
# the input with them, and only then applies a scale and a shift, the two things it learns by
# gradient descent.
#
# BatchNormalization computes two different things. In training it normalises with the current
# batch's mean and variance and updates its moving averages of them (`momentum` 0.99: each
# update moves them 1% of the way); at inference it normalises with those moving averages. Until
# the moving averages have caught up, the two modes disagree: the demo measures the network's
# validation error in both modes after every epoch.
#
# Run it as a script, `python demo_scaling_batchnorm.py` (or `course run 5.3 scaling_batchnorm`), or as a
# notebook: `course notebook 5.3`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.3")  # --seed and --figures from a shell; the defaults in a notebook

import keras
import matplotlib.pyplot as plt
import numpy as np

import data
from coursekit.training import fast_compile, fast_fit

# %% [markdown]
# ## Prepared and raw inputs
#
# The inputs as the `data` package prepares them, and the same inputs with the preprocessing of
# the numeric columns undone: square feet, years, counts again.

# %%
houses = data.prepare_housing()
size, num = (houses.preprocessor.named_transformers_[k] for k in ("size", "num"))
n_size, n_num = len(size.feature_names_in_), len(num.feature_names_in_)


def unscale(X: np.ndarray) -> np.ndarray:
    """Undo the preprocessing of the numeric columns: square feet, years, counts again."""
    raw = X.astype(np.float64)
    raw[:, :n_size] = np.expm1(size.named_steps["standardscaler"].inverse_transform(X[:, :n_size]))
    raw[:, n_size:n_size + n_num] = num.named_steps["standardscaler"].inverse_transform(X[:, n_size:n_size + n_num])
    return raw.astype(np.float32)


raw = {part: unscale(getattr(houses, f"X_{part}")) for part in ("train", "val")}
living = houses.feature_names.index("Gr_Liv_Area")
largest = int(np.argmax(raw["train"].max(axis=0)))  # the raw column with the largest value
print(f"largest input, training split: prepared {np.abs(houses.X_train).max():.1f} standard deviations; "
      f"raw {raw['train'][:, largest].max():,.0f} ({houses.feature_names[largest]}, square feet)")
print(f"living area (Gr_Liv_Area), training split: mean {raw['train'][:, living].mean():,.0f} square feet; "
      f"lot area ({houses.feature_names[largest]}): mean {raw['train'][:, largest].mean():,.0f}")

# %% [markdown]
# ## Three ways to train the same network
#
# On the prepared inputs, on the raw inputs, and on the raw inputs with a `BatchNormalization`
# layer first. For the last one a callback measures after every epoch the validation error at
# inference and in training mode, and the layer's moving mean of the living area.


# %%
def network(batchnorm_first: bool) -> keras.Sequential:
    layers = [keras.Input(shape=(houses.n_features,))]
    if batchnorm_first:
        layers.append(keras.layers.BatchNormalization())
    layers += [keras.layers.Dense(64, activation="relu"), keras.layers.Dense(32, activation="relu"),
               keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(float(houses.y_train.mean())))]
    model = keras.Sequential(layers)
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    return model


def rmse(pred, y) -> float:
    return float(np.sqrt(np.mean((np.ravel(pred) - y) ** 2)))


class BothModes(keras.callbacks.Callback):
    """After every epoch: validation RMSE at inference and in training mode, and the BatchNormalization
    layer's moving mean of the living area."""

    def __init__(self, X_val):
        super().__init__()
        self.X_val, self.rows = X_val, []

    def on_epoch_end(self, epoch, logs=None):
        bn = self.model.layers[0]
        self.rows.append((rmse(self.model(self.X_val, training=False), houses.y_val),
                          rmse(self.model(self.X_val, training=True), houses.y_val),
                          float(np.asarray(bn.moving_mean)[living])))


EPOCHS = 30
curves, both = {}, None
for name, X_train, X_val, bn in [("prepared inputs", houses.X_train, houses.X_val, False),
                                 ("raw inputs", raw["train"], raw["val"], False),
                                 ("raw inputs, BatchNormalization first", raw["train"], raw["val"], True)]:
    coursekit.set_seed(args.seed)
    model = network(bn)
    fast_compile(model)
    callbacks = [BothModes(X_val)] if bn else []
    history = fast_fit(model, X_train, houses.y_train, X_val, houses.y_val, epochs=EPOCHS, batch_size=128,
                       seed=args.seed, callbacks=callbacks)
    curves[name] = np.sqrt(history.history["val_loss"])
    if bn:
        both = np.array(callbacks[0].rows)
    print(f"{name:<38} validation RMSE after epoch 1 {curves[name][0]:>8.3f}, after epoch {EPOCHS} {curves[name][-1]:.3f}")

steps = int(np.ceil(len(houses.X_train) / 128))
print(f"\nBatchNormalization first, {steps} updates per epoch: moving mean of the living area after epoch 1 "
      f"{both[0, 2]:,.0f} (training mean {raw['train'][:, living].mean():,.0f}); after epoch {EPOCHS} {both[-1, 2]:,.0f}")
print(f"validation RMSE at inference / in training mode: epoch 1 {both[0, 0]:.3f} / {both[0, 1]:.3f}; "
      f"epoch {EPOCHS} {both[-1, 0]:.3f} / {both[-1, 1]:.3f}")

# %% [markdown]
# ## The figure
#
# Left: the validation error of the three trainings, epoch by epoch. Right: with BatchNormalization
# first, the validation error at inference and in training mode.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
for name, curve in curves.items():
    axes[0].plot(np.arange(1, EPOCHS + 1), curve, label=name)
axes[0].set_yscale("log")
axes[0].set_xlabel("epoch")
axes[0].set_ylabel("validation RMSE of the log price (log scale)")
axes[0].set_title("prepared vs raw inputs")
axes[0].legend(fontsize=8)
epochs = np.arange(1, EPOCHS + 1)
axes[1].plot(epochs, both[:, 0], label="at inference (moving statistics)")
axes[1].plot(epochs, both[:, 1], label="training mode (the batch's statistics)")
axes[1].set_yscale("log")
axes[1].set_xlabel("epoch")
axes[1].set_title("BatchNormalization first: the two modes")
axes[1].legend(fontsize=8)
for ax in axes:
    ax.grid(alpha=0.3)
coursekit.save_figure(fig, "scaling_batchnorm")
