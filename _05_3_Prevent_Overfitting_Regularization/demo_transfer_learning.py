"""Transfer learning when target data are scarce: Ames houses of other neighbourhoods.

Source task: about 1,100 sales in 20 Ames neighbourhoods (plentiful). Target task: sales in eight
other neighbourhoods (Old Town, Edwards, Somerset, Northridge Heights, Crawford, Mitchell,
Timberland, Stone Brook), of which only 25-400 are given for training. The network's hidden
layers (the "body", Dense 64 -> Dense 32) are trained once on the source; for each target size we
compare (a) the same network trained from scratch on the target sales, and (b) the source body,
frozen, with a new head trained on them, then fine-tuned with a learning rate of 1e-4.
Both use early stopping on the target validation houses; the error is the RMSE of the log price
on the target test houses (0.10 is roughly a 10% error).
"""

# %%
import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import keras
import matplotlib.pyplot as plt
import numpy as np

import data
from coursekit.training import fit_early_stopping, predict

args = coursekit.script_args(__doc__)
TARGET = ["Old_Town", "Edwards", "Somerset", "Northridge_Heights", "Crawford", "Mitchell", "Timberland", "Stone_Brook"]
housing = data.prepare_housing()
n = housing.n_features
parts = {}
for part in ("train", "val", "test"):
    is_target = getattr(housing.frames, part)["Neighborhood"].isin(TARGET).to_numpy()
    X, y = getattr(housing, f"X_{part}"), getattr(housing, f"y_{part}")
    parts[part] = {"source": (X[~is_target], y[~is_target]), "target": (X[is_target], y[is_target])}
(Xs, ys), (Xsv, ysv) = parts["train"]["source"], parts["val"]["source"]
(Xpool, ypool), (Xtv, ytv), (Xtt, ytt) = parts["train"]["target"], parts["val"]["target"], parts["test"]["target"]
print(f"source: {len(Xs)} train / {len(Xsv)} val; target: pool of {len(Xpool)} train, "
      f"{len(Xtv)} val, {len(Xtt)} test houses")


# %%
def body() -> keras.Sequential:
    return keras.Sequential([keras.Input(shape=(n,)), keras.layers.Dense(64, activation="relu"),
                             keras.layers.Dense(32, activation="relu")], name="body")


def with_head(b, bias: float, lr: float) -> keras.Model:
    model = keras.Sequential([keras.Input(shape=(n,)), b,
                              keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(bias))])
    model.compile(keras.optimizers.Adam(lr), "mse", steps_per_execution=32)
    return model


def rmse(model, X, y) -> float:
    return float(np.sqrt(np.mean((predict(model, X) - y) ** 2)))


coursekit.set_seed(args.seed)
source_body = body()
source = with_head(source_body, float(ys.mean()), 1e-3)
fit_early_stopping(source, Xs, ys, Xsv, ysv, patience=10, batch_size=128, epochs=150)
print(f"source model, source validation RMSE: {rmse(source, Xsv, ysv):.3f}; "
      f"applied as it is to the target test houses: {rmse(source, Xtt, ytt):.3f}")

# %% [markdown]
# For each size: the same sample of target sales for both models.

# %%
sizes = [25, 100, 400]
rng = np.random.default_rng(args.seed)
order = rng.permutation(len(Xpool))
results = {"scratch": [], "transfer": []}
for size in sizes:
    Xsm, ysm = Xpool[order[:size]], ypool[order[:size]]
    coursekit.set_seed(args.seed)
    scratch = with_head(body(), float(ysm.mean()), 1e-3)
    fit_early_stopping(scratch, Xsm, ysm, Xtv, ytv, patience=10, batch_size=32, epochs=100)
    coursekit.set_seed(args.seed)
    b = keras.models.clone_model(source_body)
    b.set_weights(source_body.get_weights())
    b.trainable = False
    model = with_head(b, float(ysm.mean()), 1e-2)
    fit_early_stopping(model, Xsm, ysm, Xtv, ytv, patience=10, batch_size=32, epochs=100)
    b.trainable = True
    model.compile(keras.optimizers.Adam(1e-4), "mse", steps_per_execution=32)
    fit_early_stopping(model, Xsm, ysm, Xtv, ytv, patience=5, batch_size=32, epochs=20)
    results["scratch"].append(rmse(scratch, Xtt, ytt))
    results["transfer"].append(rmse(model, Xtt, ytt))

print(f"\n{'target sales':>12} {'scratch RMSE':>12} {'transfer RMSE':>13}")
for size, s, t in zip(sizes, results["scratch"], results["transfer"]):
    print(f"{size:>12} {s:>12.3f} {t:>13.3f}")

# %%
fig, ax = plt.subplots(figsize=(6.5, 4.2))
ax.plot(sizes, results["scratch"], "o-", color="tab:gray", label="from scratch")
ax.plot(sizes, results["transfer"], "o-", color="tab:red", label="transferred body, fine-tuned")
ax.set_xscale("log")
ax.minorticks_off()
ax.set_xticks(sizes, [str(s) for s in sizes])
ax.set_xlabel("target-neighbourhood sales used for training")
ax.set_ylabel("test RMSE of log price (target neighbourhoods)")
ax.set_title("transfer learning pays most when data are scarce")
ax.grid(alpha=0.3)
ax.legend()
coursekit.save_figure(fig, "transfer_learning", __file__)
