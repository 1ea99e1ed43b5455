# %% [markdown]
# # The learning rate: a sweep on a log scale, and learning-rate schedules
#
# First, Adam on churn with learning rates from 1e-5 to 1 for the same few epochs: too low and
# the loss hardly moves, too high and it is no better than predicting the churn rate; on this
# grid, one rate per power of ten, three neighbouring rates are good. Then three ways to change
# the rate during training: a constant rate, ReduceLROnPlateau (halve it when the validation
# loss stalls) and a warm-up followed by cosine decay (`keras.optimizers.schedules.CosineDecay`
# with `warmup_target`).
#
# Run it as a script, `python demo_learning_rate.py` (or `course run 5.2 learning_rate`), or as a
# notebook: `course notebook 5.2`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.2")  # --seed and --figures from a shell; the defaults in a notebook

import math

import keras
import matplotlib.pyplot as plt
import numpy as np

import data

# %% [markdown]
# ## Set-up
#
# The churn data, and the network, built from the same seed (the same initial weights) for
# every run.

# %%
coursekit.set_seed(args.seed)
churn = data.prepare_churn()
BATCH = 256
STEPS_PER_EPOCH = math.ceil(len(churn.X_train) / BATCH)


def build(optimizer) -> keras.Model:
    coursekit.set_seed(args.seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(churn.n_features,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=optimizer, loss="binary_crossentropy", steps_per_execution=32)
    return model


# %% [markdown]
# ## The sweep
#
# One model per learning rate, same initial weights, 5 epochs each, then the validation loss
# (non-finite losses -- divergence -- are drawn at the top of the plot).

# %%
SWEEP_EPOCHS = 5
rates = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
sweep = []
for lr in rates:
    model = build(keras.optimizers.Adam(learning_rate=lr))
    model.fit(churn.X_train, churn.y_train, epochs=SWEEP_EPOCHS, batch_size=BATCH, verbose=0)
    val_loss = model.evaluate(churn.X_val, churn.y_val, batch_size=2048, verbose=0)
    sweep.append(val_loss)
    print(f"Adam lr={lr:g}: val loss after {SWEEP_EPOCHS} epochs {val_loss:.3f}")

# The baseline the sweep is compared with: predict the training churn rate for every validation customer.
churn_rate = float(np.mean(churn.y_train))
y_val = np.asarray(churn.y_val, dtype=float)
baseline = -float(np.mean(y_val * np.log(churn_rate) + (1 - y_val) * np.log(1 - churn_rate)))
print(f"predict the training churn rate ({churn_rate:.1%}) for everyone: val loss {baseline:.3f}")

# %% [markdown]
# ## Schedules
#
# A callback records the rate the optimizer used in each epoch.

# %%
class RateLog(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.rates = []

    def on_epoch_end(self, epoch, logs=None):
        self.rates.append(float(np.asarray(self.model.optimizer.learning_rate)))


EPOCHS = 10
warm = 2 * STEPS_PER_EPOCH
cosine = keras.optimizers.schedules.CosineDecay(
    initial_learning_rate=1e-4, warmup_target=1e-2, warmup_steps=warm,
    decay_steps=EPOCHS * STEPS_PER_EPOCH - warm, alpha=0.01,
)
plans = {
    "constant 1e-2": (keras.optimizers.Adam(1e-2), []),
    "ReduceLROnPlateau from 1e-2": (
        keras.optimizers.Adam(1e-2),
        [keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=1e-5)],
    ),
    "warm-up 2 epochs + cosine decay": (keras.optimizers.Adam(cosine), []),
}
schedules = {}
for name, (optimizer, callbacks) in plans.items():
    log = RateLog()
    history = build(optimizer).fit(
        churn.X_train, churn.y_train, validation_data=(churn.X_val, churn.y_val),
        epochs=EPOCHS, batch_size=BATCH, callbacks=[*callbacks, log], verbose=0,
    )
    schedules[name] = (log.rates, history.history["val_loss"])
    v = history.history["val_loss"]
    print(f"{name:<32} best val loss {min(v):.3f} (epoch {int(np.argmin(v)) + 1}), last {v[-1]:.3f}")

# %% [markdown]
# ## Figures
#
# The sweep, and the schedules (rate per epoch above, validation loss below).

# %%
fig, ax = plt.subplots(figsize=(6, 4))
shown = [v if np.isfinite(v) and v < 1.5 else 1.5 for v in sweep]
ax.semilogx(rates, shown, "o-")
ax.axhline(baseline, color="gray", ls=":", lw=1, label=f"predict the churn rate ({baseline:.3f})")
ax.set_xlabel("Adam learning rate (log scale)")
ax.set_ylabel(f"validation loss after {SWEEP_EPOCHS} epochs")
ax.set_title("Learning-rate sweep on churn (values above 1.5 clipped)", fontsize=10)
ax.legend(fontsize=8)
ax.grid(alpha=0.3, which="both")
coursekit.save_figure(fig, "learning_rate_sweep")

fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
epochs = np.arange(1, EPOCHS + 1)
for name, (lrs, val) in schedules.items():
    top.semilogy(epochs, lrs, marker="o", ms=3, label=name)
    bottom.plot(epochs, val, marker="o", ms=3, label=name)
top.set_ylabel("learning rate (end of epoch)")
bottom.set_ylabel("validation loss")
bottom.set_xlabel("epoch")
top.legend(fontsize=8)
for a in (top, bottom):
    a.grid(alpha=0.3, which="both")
top.set_title("Learning-rate schedules with Adam on churn", fontsize=10)
coursekit.save_figure(fig, "lr_schedules")
