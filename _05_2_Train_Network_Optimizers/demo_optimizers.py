# %% [markdown]
# # Optimizers on churn: SGD, SGD with momentum, RMSprop and Adam over three seeds
#
# Trains the same network with each optimizer, from the same initial weights for a given seed,
# for the same number of epochs, and plots the validation loss per epoch: the mean over three
# seeds and the band from the best to the worst seed. Plain SGD crawls; momentum gathers
# speed along consistent directions; RMSprop and Adam scale each weight's step by the recent size
# of its gradient. (Nesterov momentum, `SGD(momentum=0.9, nesterov=True)`, and AdamW are drop-in
# variants of the last two; the demo leaves them out to stay within its time budget.)
#
# Run it as a script, `python demo_optimizers.py` (or `course run 5.2 optimizers`), or as a
# notebook: `course notebook 5.2`.

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
# The churn data, the three seeds and the four optimizers.

# %%
coursekit.set_seed(args.seed)
churn = data.prepare_churn()
EPOCHS = 6
SEEDS = [args.seed, args.seed + 1, args.seed + 2]
OPTIMIZERS = {
    "SGD (lr 0.01)": lambda: keras.optimizers.SGD(learning_rate=0.01),
    "SGD + momentum 0.9": lambda: keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
    "RMSprop (lr 0.001)": lambda: keras.optimizers.RMSprop(learning_rate=0.001),
    "Adam (lr 0.001)": lambda: keras.optimizers.Adam(learning_rate=0.001),
}

# %% [markdown]
# ## Each optimizer, each seed
#
# A fresh model and a fresh optimizer (optimizers keep state).

# %%
curves = {}
for name, make in OPTIMIZERS.items():
    runs = []
    for seed in SEEDS:
        coursekit.set_seed(seed)
        model = keras.Sequential(
            [
                keras.Input(shape=(churn.n_features,)),
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(32, activation="relu"),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )
        model.compile(optimizer=make(), loss="binary_crossentropy", steps_per_execution=32)
        history = model.fit(churn.X_train, churn.y_train, validation_data=(churn.X_val, churn.y_val),
                            epochs=EPOCHS, batch_size=256, verbose=0)
        runs.append(history.history["val_loss"])
    curves[name] = np.array(runs)
    last = curves[name][:, -1]
    print(f"{name:<19} val loss after {EPOCHS} epochs: mean {last.mean():.3f} (seeds {last.min():.3f}-{last.max():.3f}); "
          f"mean after epoch 1 {curves[name][:, 0].mean():.3f}, after epoch {EPOCHS - 1} {curves[name][:, -2].mean():.3f}")

# The reference: predict the training churn rate for every validation customer.
churn_rate = float(np.mean(churn.y_train))
y_val = np.asarray(churn.y_val, dtype=float)
baseline = -float(np.mean(y_val * np.log(churn_rate) + (1 - y_val) * np.log(1 - churn_rate)))
print(f"predict the training churn rate ({churn_rate:.1%}) for everyone: val loss {baseline:.3f}")

# %% [markdown]
# ## The figure
#
# Mean validation loss per epoch with the min-max band over the seeds.

# %%
fig, ax = plt.subplots(figsize=(7, 4.2))
epochs = np.arange(1, EPOCHS + 1)
for name, runs in curves.items():
    (line,) = ax.plot(epochs, runs.mean(axis=0), marker="o", ms=3, label=name)
    ax.fill_between(epochs, runs.min(axis=0), runs.max(axis=0), color=line.get_color(), alpha=0.2)
ax.axhline(baseline, color="gray", ls=":", lw=1, label=f"predict the churn rate ({baseline:.3f})")
ax.set_xlabel("epoch")
ax.set_ylabel("validation loss (binary cross-entropy)")
ax.set_title(f"Optimizers on churn: mean and min-max over seeds {SEEDS}", fontsize=10)
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
coursekit.save_figure(fig, "optimizer_comparison")
