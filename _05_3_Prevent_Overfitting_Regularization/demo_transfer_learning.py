# %% [markdown]
# # Transfer learning when target data are scarce: Ames houses of other neighbourhoods
#
# Source task: the training sales of 20 Ames neighbourhoods (plentiful). Target task: sales in eight
# other neighbourhoods (Old Town, Edwards, Somerset, Northridge Heights, Crawford, Mitchell,
# Timberland, Stone Brook), of which only 25, 100 or 400 are labelled for training, with half as
# many again for validation (the validation set is never larger than the training set: in a scarce
# setting validation labels are as scarce as training labels). Three models per size and draw:
#
# - the same network trained from scratch on the target sales;
# - the source network used as it is (no target sale at all);
# - the textbook recipe: the source network's hidden layers frozen under a new output layer, which
#   trains alone (Adam 1e-2), then everything fine-tuned with a small learning rate (Adam 1e-4).
#
# Each is scored on all target test houses (RMSE of the log price; 0.10 is roughly a 10% error),
# over two draws of the target sales per size.
#
# Run it as a script, `python demo_transfer_learning.py` (or `course run 5.3 transfer_learning`), or as a
# notebook: `course notebook 5.3`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.3")  # --seed and --figures from a shell; the defaults in a notebook

import keras
import matplotlib.pyplot as plt
import numpy as np

import data
from coursekit.training import fast_compile, fast_fit, predict

# %% [markdown]
# ## Source and target houses
#
# Each split of the Ames table, divided into the sales of the eight target neighbourhoods and the
# sales of all the others (the source).

# %%
TARGET = ["Old_Town", "Edwards", "Somerset", "Northridge_Heights", "Crawford", "Mitchell", "Timberland", "Stone_Brook"]
houses = data.prepare_housing()
n = houses.n_features
parts = {}
for part in ("train", "val", "test"):
    is_target = getattr(houses.frames, part)["Neighborhood"].isin(TARGET).to_numpy()
    X, y = getattr(houses, f"X_{part}"), getattr(houses, f"y_{part}")
    parts[part] = {"source": (X[~is_target], y[~is_target]), "target": (X[is_target], y[is_target])}
(Xs, ys), (Xsv, ysv) = parts["train"]["source"], parts["val"]["source"]
(Xpool, ypool), (Xvpool, yvpool), (Xtt, ytt) = parts["train"]["target"], parts["val"]["target"], parts["test"]["target"]
print(f"source: {len(Xs):,} training and {len(Xsv)} validation sales; target: {len(Xpool)} training and {len(Xvpool)} "
      f"validation sales to draw from, {len(Xtt)} test houses")

# %% [markdown]
# ## The source network
#
# Trained on the source sales with early stopping on the source validation sales, then scored on
# the target test houses as it is.


# %%
def price_network(bias: float) -> keras.Sequential:
    return keras.Sequential([keras.Input(shape=(n,)), keras.layers.Dense(64, activation="relu"),
                             keras.layers.Dense(32, activation="relu"),
                             keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(bias))])


def rmse(model) -> float:
    return float(np.sqrt(np.mean((predict(model, Xtt) - ytt) ** 2)))


coursekit.set_seed(args.seed)
source = price_network(float(ys.mean()))
source.compile(keras.optimizers.Adam(1e-3), "mse")
fast_compile(source)
fast_fit(source, Xs, ys, Xsv, ysv, epochs=150, batch_size=64, patience=10, seed=args.seed)
print(f"source network: validation RMSE on source houses {np.sqrt(np.mean((predict(source, Xsv) - ysv) ** 2)):.3f}; "
      f"on the target test houses, as it is: {rmse(source):.3f}")

# %% [markdown]
# ## Three models per size and draw
#
# One model object per role, re-initialised before each run (new weights, a reset optimizer), so
# that TensorFlow traces each training step once instead of once per run.


# %%
def compiled(model, rate):
    model.compile(keras.optimizers.Adam(rate), "mse")
    fast_compile(model)
    return model


def restart(model, weights):
    model.set_weights(weights)
    for var in model.optimizer.variables:  # Adam's step count and moment estimates back to 0
        if not var.path.endswith("learning_rate"):
            var.assign(np.zeros(var.shape, dtype=var.dtype))


scratch = compiled(price_network(0.0), 1e-3)
frozen = price_network(0.0)
for layer in frozen.layers[:-1]:
    layer.trainable = False
frozen = compiled(frozen, 1e-2)
tuned = compiled(price_network(0.0), 1e-4)
hidden = source.get_weights()[:4]


def fit(model, X, y, X_val, y_val, seed):
    fast_fit(model, X, y, X_val, y_val, epochs=100, batch_size=32, patience=10, seed=seed)


sizes, draws = [25, 100, 400], 2
results = {k: np.zeros((len(sizes), draws)) for k in ("from scratch", "source as it is", "new head, fine-tuned")}
for i, size in enumerate(sizes):
    for d in range(draws):
        rng = np.random.default_rng(1000 * args.seed + 10 * size + d)
        rows, val_rows = rng.choice(len(Xpool), size, replace=False), rng.choice(len(Xvpool), size // 2, replace=False)
        X, y, X_val, y_val = Xpool[rows], ypool[rows], Xvpool[val_rows], yvpool[val_rows]
        coursekit.set_seed(args.seed + d)
        fresh = price_network(float(y.mean())).get_weights()  # a new initialisation, the output bias at the mean
        restart(scratch, fresh)
        fit(scratch, X, y, X_val, y_val, args.seed + d)
        restart(frozen, hidden + fresh[4:])
        fit(frozen, X, y, X_val, y_val, args.seed + d)
        restart(tuned, frozen.get_weights())
        fit(tuned, X, y, X_val, y_val, args.seed + d)
        results["from scratch"][i, d], results["new head, fine-tuned"][i, d] = rmse(scratch), rmse(tuned)
        results["source as it is"][i, d] = rmse(source)

print(f"\n{'target sales':>12} {'validation':>10} " + " ".join(f"{k:>22}" for k in results))
for i, size in enumerate(sizes):
    cells = [f"{r[i].mean():.3f} ({r[i].min():.3f}-{r[i].max():.3f})" for r in results.values()]
    print(f"{size:>12} {size // 2:>10} " + " ".join(f"{c:>22}" for c in cells))

# %% [markdown]
# ## The figure
#
# The test error on the target houses against the number of labelled target sales: the mean of
# the two draws, and each draw as a dot.

# %%
fig, ax = plt.subplots(figsize=(6.8, 4.2))
for (name, r), color in zip(results.items(), ["tab:gray", "tab:blue", "tab:red"]):
    ax.plot(sizes, r.mean(axis=1), "o-", color=color, label=name)
    for d in range(draws):
        ax.plot(sizes, r[:, d], ".", color=color, alpha=0.5)
ax.set_xscale("log")
ax.minorticks_off()
ax.set_xticks(sizes, [str(s) for s in sizes])
ax.set_xlabel("labelled target sales for training (half as many for validation)")
ax.set_ylabel("test RMSE of the log price, target houses")
ax.set_title("transfer on Ames: mean of two draws (dots: each draw)")
ax.grid(alpha=0.3)
ax.legend()
coursekit.save_figure(fig, "transfer_learning")
