# %% [markdown]
# # Why depth: one wide hidden layer against three narrow ones, on a target built by composition
#
# What it shows: a target made by composing simple steps (products of input pairs, summed, then
# passed through a sine) in 8 inputs. A network with three hidden layers of 20 ReLU units fits it
# far better than one hidden layer of 128 or of 512 units, although it has fewer parameters than
# either, with the same optimizer, data and number of epochs.
#
# What it does not show: that one hidden layer cannot fit this target. The universal approximation
# theorem says one hidden layer of enough units can approximate any continuous function on a
# bounded domain; it says nothing about how many units, how much data or whether training finds
# them. Nor does it show that depth helps on every data set: the target was chosen to be a
# composition. It is one seed and one training budget.
#
# Figure: training loss per epoch for the three networks, and their test error.
#
# Run it as a script, `python demo_why_depth.py` (or `course run 5.1 why_depth`), or as a
# notebook: `course notebook 5.1`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.1")  # --seed and --figures from a shell; the defaults in a notebook

import keras
import matplotlib.pyplot as plt
import numpy as np

# %% [markdown]
# ## The target
#
# x is uniform in [-1, 1]^8; y = sin(pi * (x1 x2 + x3 x4 + x5 x6 + x7 x8)). A fresh sample of the
# same size is the test set. The error reported is the mean squared error divided by the target's
# variance: the fraction of the variance left unexplained (0 is perfect, 1 is predicting the mean).

# %%
coursekit.set_seed(args.seed)
N_INPUTS, N_ROWS, EPOCHS = 8, 4000, 60
rng = np.random.default_rng(args.seed)


def target(X):
    pairs = X[:, 0::2] * X[:, 1::2]
    return np.sin(np.pi * pairs.sum(axis=1)).astype("float32")


X_train = rng.uniform(-1, 1, (N_ROWS, N_INPUTS)).astype("float32")
X_test = rng.uniform(-1, 1, (N_ROWS, N_INPUTS)).astype("float32")
y_train, y_test = target(X_train), target(X_test)
print(f"{N_ROWS:,} training and {N_ROWS:,} test rows, {N_INPUTS} inputs; target variance {y_train.var():.3f}")

# %% [markdown]
# ## Three networks, one training budget
#
# The same optimizer (Adam, learning rate `3e-3`), batch size and number of epochs for each.

# %%
DESIGNS = {"1 x 128": [128], "1 x 512": [512], "3 x 20": [20, 20, 20]}
results = {}
for name, widths in DESIGNS.items():
    coursekit.set_seed(args.seed)
    model = keras.Sequential(
        [keras.Input(shape=(N_INPUTS,))]
        + [keras.layers.Dense(w, activation="relu") for w in widths]
        + [keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse", steps_per_execution=32)
    history = model.fit(X_train, y_train, epochs=EPOCHS, batch_size=128, verbose=0)
    train_err = model.evaluate(X_train, y_train, verbose=0) / y_train.var()
    test_err = model.evaluate(X_test, y_test, verbose=0) / y_test.var()
    results[name] = (model.count_params(), np.array(history.history["loss"]) / y_train.var(), train_err, test_err)
    print(f"hidden {name}: {model.count_params():,} parameters; unexplained variance: "
          f"training {train_err:.2f}, test {test_err:.2f}")

# %% [markdown]
# ## The figure
#
# Left: the training loss (as a fraction of the variance) per epoch. Right: the test error.

# %%
fig, axes = plt.subplots(1, 2, figsize=(10.5, 4))
for name, (n_params, curve, _, test_err) in results.items():
    axes[0].plot(range(1, EPOCHS + 1), curve, label=f"{name} ({n_params:,} parameters)")
axes[0].set_xlabel("epoch")
axes[0].set_ylabel("training MSE / variance")
axes[0].set_ylim(0, 1.1)
axes[0].legend()
axes[0].set_title("Training loss")
names = list(results)
bars = axes[1].bar(names, [results[n][3] for n in names], color=["tab:blue", "tab:orange", "tab:green"])
axes[1].bar_label(bars, fmt="%.2f")
axes[1].set_ylabel("test MSE / variance")
axes[1].set_ylim(0, 1.1)
axes[1].set_title("Test error (lower is better)")
fig.suptitle("y = sin(pi (x1 x2 + x3 x4 + x5 x6 + x7 x8)): depth against width")
coursekit.save_figure(fig, "why_depth")
