"""Seeing overfitting, and four cures side by side.

An over-sized MLP (3 x 256 ReLU units, 142,337 weights) learns from only 400 churn
customers. Without help it memorises them: the training loss falls towards 0 while the
validation loss turns around after a few epochs and climbs. The same network with an L2 penalty,
with dropout, and with both plus early stopping, on the same rows with the same seed.
The curves show the cross-entropy WITHOUT the L2 penalty (a metric), so they are comparable.
"""

# %%
import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import keras
import matplotlib.pyplot as plt
import numpy as np

import data
from _lesson53 import bce, churn_subset
from coursekit.training import predict

args = coursekit.script_args(__doc__)
churn = data.prepare_churn()
X_small, y_small = churn_subset(churn)
print(f"training rows: {len(X_small)} of {len(churn.X_train)}; validation rows: {len(churn.X_val)}")

# %% [markdown]
# One builder for all four variants: an L2 factor for every hidden kernel and a dropout rate
# after every hidden layer. ``BinaryCrossentropy`` as a *metric* records the plain loss each epoch
# (the ``loss`` Keras reports includes the L2 penalty).


# %%
def build(l2: float = 0.0, rate: float = 0.0) -> keras.Model:
    reg = keras.regularizers.L2(l2) if l2 else None
    layers = [keras.Input(shape=(churn.n_features,))]
    for _ in range(3):
        layers.append(keras.layers.Dense(256, activation="relu", kernel_regularizer=reg))
        if rate:
            layers.append(keras.layers.Dropout(rate))
    layers.append(keras.layers.Dense(1, activation="sigmoid"))
    model = keras.Sequential(layers)
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy",
                  metrics=[keras.metrics.BinaryCrossentropy(name="bce")], steps_per_execution=32)
    return model


print(f"weights of the over-sized MLP: {build().count_params():,}")
EPOCHS = 30
variants = {
    "plain": dict(l2=0.0, rate=0.0),
    "L2 0.03": dict(l2=0.03, rate=0.0),
    "dropout 0.5": dict(l2=0.0, rate=0.5),
    "L2 0.01 + dropout 0.3 + early stopping": dict(l2=0.01, rate=0.3),
}
histories, rows = {}, []
for name, kw in variants.items():
    coursekit.set_seed(args.seed)
    model = build(**kw)
    callbacks = []
    if "early" in name:
        callbacks = [keras.callbacks.EarlyStopping(monitor="val_bce", patience=5, restore_best_weights=True)]
    h = model.fit(X_small, y_small[:, None], validation_data=(churn.X_val, churn.y_val[:, None]),
                  epochs=EPOCHS, batch_size=64, validation_batch_size=2048, callbacks=callbacks, verbose=0)
    histories[name] = h.history
    train_loss = bce(y_small, predict(model, X_small))
    val_loss = bce(churn.y_val, predict(model, churn.X_val))
    rows.append((name, len(h.epoch), train_loss, val_loss))

print(f"\n{'variant':<40} {'epochs':>6} {'train loss':>10} {'val loss':>9} {'gap':>7}")
for name, epochs, tr, va in rows:
    print(f"{name:<40} {epochs:>6} {tr:>10.3f} {va:>9.3f} {va - tr:>7.3f}")
plain = histories["plain"]["val_bce"]
print(f"\nplain model: lowest validation loss {min(plain):.3f} at epoch {int(np.argmin(plain)) + 1}, "
      f"{plain[-1]:.3f} after {EPOCHS} epochs")

# %% [markdown]
# Solid lines: validation loss; dashed: training loss (with dropout active, as Keras measures it
# during ``fit``). The gap between a pair of lines is the overfitting.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
colors = dict(zip(variants, ["tab:red", "tab:blue", "tab:green", "tab:purple"]))
for name, hist in histories.items():
    epochs = np.arange(1, len(hist["bce"]) + 1)
    axes[0].plot(epochs, hist["val_bce"], color=colors[name], label=name)
    axes[1].plot(epochs, hist["bce"], color=colors[name], linestyle="--", label=name)
axes[0].set_title("validation loss (1,409 customers)")
axes[1].set_title("training loss (400 customers)")
for ax in axes:
    ax.set_xlabel("epoch")
    ax.set_ylim(0, 1.6)
    ax.grid(alpha=0.3)
axes[0].set_ylabel("binary cross-entropy (no penalty)")
axes[0].legend(fontsize=8)
coursekit.save_figure(fig, "overfitting_curves", __file__)
