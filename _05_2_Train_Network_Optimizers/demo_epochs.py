# %% [markdown]
# # Epochs: reading under- and over-fitting off learning curves, and early stopping
#
# Trains churn networks and plots training and validation loss per epoch:
# a learning rate so small that 25 epochs are too few (both curves still falling: under-fitting),
# and a large network with Adam that over-fits after a handful of epochs (validation loss turns up
# while training loss keeps falling). Then `EarlyStopping(restore_best_weights=True)` picks the epoch
# on the validation split by itself.
#
# Run it as a script, `python demo_epochs.py` (or `course run 5.2 epochs`), or as a notebook:
# `course notebook 5.2`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.2")  # --seed and --figures from a shell; the defaults in a notebook

import keras
import matplotlib.pyplot as plt
import numpy as np

import data

# %% [markdown]
# ## Set-up
#
# The seed, the churn arrays (preprocessing fit on the training split only).

# %%
coursekit.set_seed(args.seed)
churn = data.prepare_churn()
EPOCHS = 25


def build(optimizer) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input(shape=(churn.n_features,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=optimizer, loss="binary_crossentropy", steps_per_execution=32)
    return model


def fit(model, epochs, callbacks=()):
    return model.fit(churn.X_train, churn.y_train, validation_data=(churn.X_val, churn.y_val),
                     epochs=epochs, batch_size=128, callbacks=list(callbacks), verbose=0)


# %% [markdown]
# ## Too few epochs
#
# Plain SGD with a tiny learning rate. After 25 epochs both losses are still falling -- the model
# has not finished learning (under-fitting). More epochs, or a larger learning rate, would help.

# %%
coursekit.set_seed(args.seed)
slow = fit(build(keras.optimizers.SGD(learning_rate=0.001)), EPOCHS).history
print(f"SGD lr=0.001: val loss after 1 epoch {slow['val_loss'][0]:.3f}, after {EPOCHS} epochs {slow['val_loss'][-1]:.3f}")

# %% [markdown]
# ## Too many epochs
#
# Adam fits the training split ever better, while the validation loss is lowest after a few epochs
# and then climbs (over-fitting: the network memorises training customers).

# %%
coursekit.set_seed(args.seed)
fast = fit(build(keras.optimizers.Adam(learning_rate=0.001)), EPOCHS).history
best = int(np.argmin(fast["val_loss"])) + 1
print(f"Adam lr=0.001: best val loss {min(fast['val_loss']):.3f} at epoch {best}; "
      f"after {EPOCHS} epochs {fast['val_loss'][-1]:.3f} (train loss {fast['loss'][-1]:.3f})")

# %% [markdown]
# ## Early stopping
#
# Stop once `val_loss` has not improved for `patience` epochs and put the best epoch's weights
# back. Same seed, so the same curve -- it stops `patience` epochs after the best.

# %%
coursekit.set_seed(args.seed)
model = build(keras.optimizers.Adam(learning_rate=0.001))
stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
history = fit(model, EPOCHS, [stop])
restored = model.evaluate(churn.X_val, churn.y_val, batch_size=2048, verbose=0)
print(f"EarlyStopping(patience=5): ran {len(history.epoch)} of {EPOCHS} epochs, "
      f"best epoch {stop.best_epoch + 1}, restored val loss {restored:.3f}")

# %% [markdown]
# ## The figure
#
# Learning curves of both runs, with the early-stopping epoch marked.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
epochs = np.arange(1, EPOCHS + 1)
for ax, hist, title in [(axes[0], slow, "SGD lr=0.001: too few epochs (under-fitting)"),
                        (axes[1], fast, "Adam lr=0.001: too many epochs (over-fitting)")]:
    ax.plot(epochs, hist["loss"], label="training loss")
    ax.plot(epochs, hist["val_loss"], label="validation loss")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)
axes[1].axvline(best, color="green", ls="--", label=f"best epoch ({best})")
axes[1].axvline(len(history.epoch), color="gray", ls=":", label=f"EarlyStopping stops ({len(history.epoch)})")
axes[0].set_ylabel("binary cross-entropy")
axes[1].legend(fontsize=8)
coursekit.save_figure(fig, "epochs_learning_curves")
