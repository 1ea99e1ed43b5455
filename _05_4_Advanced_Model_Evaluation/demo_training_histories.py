# %% [markdown]
# # Reading training histories: three real churn runs that went wrong in three different ways
#
# A history (`History.history`: the training and validation loss after every epoch) is the first
# evaluation of any network, before a single test number. Three runs on churn, each trained with
# `coursekit.training.fast_fit` (`tf.data` pipelines) without early stopping, so that the whole
# story shows:
#
# - SGD at a small learning rate for 20 epochs: both losses still falling at the end (under-fitting);
# - a 128-128 network with Adam for 40 epochs: the validation loss turns up early while the training
#   loss keeps falling (over-fitting);
# - SGD at a learning rate of 3: the training loss jumps up and down (a learning rate too high).
#
# Run it as a script, `python demo_training_histories.py` (or `course run 5.4 training_histories`), or as a
# notebook: `course notebook 5.4`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.4")  # --seed and --figures from a shell; the defaults in a notebook

import keras
import matplotlib.pyplot as plt
import numpy as np

from _models_5_4 import churn
from coursekit.training import fast_fit

# %% [markdown]
# ## Three runs

# %%
coursekit.set_seed(args.seed)
prepared = churn()
runs = {
    "SGD 3e-3, 64-32, 20 epochs": ((64, 32), lambda: keras.optimizers.SGD(3e-3), 20),
    "Adam 1e-3, 128-128, 40 epochs": ((128, 128), lambda: keras.optimizers.Adam(1e-3), 40),
    "SGD 3, 64-32, 20 epochs": ((64, 32), lambda: keras.optimizers.SGD(3.0), 20),
}
histories = {}
for name, (hidden, optimizer, epochs) in runs.items():
    coursekit.set_seed(args.seed)
    model = keras.Sequential([keras.Input(shape=(prepared.n_features,))]
                             + [keras.layers.Dense(w, activation="relu") for w in hidden]
                             + [keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizer(), loss="binary_crossentropy", steps_per_execution=32)
    histories[name] = fast_fit(model, prepared.X_train, prepared.y_train, prepared.X_val, prepared.y_val,
                               epochs=epochs, batch_size=128, seed=args.seed).history

# %% [markdown]
# ## What to read off each history
#
# Where the validation loss is lowest (the epoch early stopping would keep), how far it rose after
# that, whether the training loss kept falling, and its largest jump up from one epoch to the next.

# %%
for name, h in histories.items():
    loss, val = np.asarray(h["loss"]), np.asarray(h["val_loss"])
    best = int(np.argmin(val))
    print(f"{name}: training loss {loss[0]:.3f} -> {loss[-1]:.3f}, largest rise between epochs "
          f"{np.max(loss[1:] / loss[:-1]) - 1:.0%}; validation loss lowest at epoch {best + 1} ({val[best]:.3f}), "
          f"{val[-1]:.3f} at the end ({val[-1] / val[best] - 1:+.1%})")

fig, axes = plt.subplots(1, 3, figsize=(14, 3.9))
titles = ["under-fitting: both still falling", "over-fitting: validation turns up", "learning rate too high: jumps"]
for ax, (name, h), title in zip(axes, histories.items(), titles):
    epochs = np.arange(1, len(h["loss"]) + 1)
    ax.plot(epochs, h["loss"], label="training")
    ax.plot(epochs, h["val_loss"], label="validation")
    best = int(np.argmin(h["val_loss"])) + 1
    ax.axvline(best, color="gray", ls=":", label=f"lowest validation loss (epoch {best})")
    ax.set(xlabel="epoch", ylabel="binary cross-entropy", title=f"{title}\n{name}")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
coursekit.save_figure(fig, "training_histories")
