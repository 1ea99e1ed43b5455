# %% [markdown]
# # Seeing overfitting: an over-sized network on 400 churn customers
#
# Three hidden layers of 256 ReLU units (142,337 weights) learn from 400 customers of the churn
# training split, without any regularisation, for 40 epochs, three times (three seeds). The
# training loss falls towards zero while the validation loss (on all 1,409 validation customers)
# reaches its lowest value after a few epochs and then climbs: the network memorises its 400 rows.
# The curves also show what early stopping would have kept: the epoch with the lowest validation
# loss, found by watching the validation curve.
#
# Run it as a script, `python demo_overfitting_curves.py` (or `course run 5.3 overfitting_curves`), or as a
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
# ## The data and the network
#
# One fixed sample of 400 customers from the churn training split, and every validation customer;
# three hidden layers of 256 ReLU units, without any regularisation.

# %%
churn = data.prepare_churn()
rows = np.random.default_rng(3).choice(len(churn.X_train), 400, replace=False)  # one fixed sample of customers
X, y = churn.X_train[rows], churn.y_train[rows]
print(f"training rows: {len(X)} of {len(churn.X_train):,}; validation rows: {len(churn.X_val):,}")


def oversized() -> keras.Sequential:
    model = keras.Sequential([keras.Input(shape=(churn.n_features,))]
                             + [keras.layers.Dense(256, activation="relu") for _ in range(3)]
                             + [keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
    return model


print(f"weights of the network: {oversized().count_params():,}")

# %% [markdown]
# ## Training, three seeds
#
# Without a penalty, Keras's `loss` is the plain binary cross-entropy; the training value is the
# mean over the epoch's batches (as `fit` reports it), the validation value is measured after
# the epoch.

# %%
EPOCHS, PATIENCE = 40, 5
seeds = [args.seed, args.seed + 1, args.seed + 2]
curves = {}
print(f"\n{'seed':>4} {'best epoch':>10} {'best val loss':>13} {'val loss, epoch 40':>18} {'train loss, epoch 40':>20} "
      f"{'early stopping ends':>19}")
for seed in seeds:
    coursekit.set_seed(seed)
    model = oversized()
    fast_compile(model)
    history = fast_fit(model, X, y, churn.X_val, churn.y_val, epochs=EPOCHS, batch_size=64, seed=seed).history
    val, train = np.array(history["val_loss"]), np.array(history["loss"])
    curves[seed] = (train, val)
    best = int(np.argmin(val))
    # EarlyStopping(patience=5) stops after the first run of 5 epochs without a new lowest validation loss
    stop = next((e for e in range(len(val)) if e - int(np.argmin(val[: e + 1])) >= PATIENCE), len(val) - 1)
    print(f"{seed:>4} {best + 1:>10} {val[best]:>13.3f} {val[-1]:>18.3f} {train[-1]:>20.3f} {'epoch ' + str(stop + 1):>19}")

# %% [markdown]
# ## The figure
#
# Training and validation loss of each seed against the epoch, and the epoch with the lowest
# validation loss.

# %%
fig, ax = plt.subplots(figsize=(7.5, 4.4))
for seed, (train, val) in curves.items():
    epochs = np.arange(1, len(val) + 1)
    ax.plot(epochs, val, color="tab:red", alpha=0.8, label="validation (1,409 customers)" if seed == seeds[0] else None)
    ax.plot(epochs, train, color="tab:blue", linestyle="--", alpha=0.8, label="training (400 customers)" if seed == seeds[0] else None)
    best = int(np.argmin(val))
    ax.plot(best + 1, val[best], "o", color="black", label="lowest validation loss" if seed == seeds[0] else None)
ax.set_xlabel("epoch")
ax.set_ylabel("binary cross-entropy")
ax.set_title("3 x 256 ReLU units, 400 training customers, 3 seeds")
ax.grid(alpha=0.3)
ax.legend()
coursekit.save_figure(fig, "overfitting_curves")
