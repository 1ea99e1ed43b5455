"""Choosing the strength on validation data: the L2 factor and the dropout rate.

The over-sized MLP of exercises 5.3.1-5.3.2 (3 x 256 ReLU units, 400 churn customers, 30 epochs)
trained with a range of L2 factors and a range of dropout rates. Too little regularization:
the validation loss is high because the network memorised its 400 rows. Too much: it is high
because the network can no longer fit anything (underfitting). The minimum, read off the
VALIDATION split, is the strength to use; the test split plays no part.
"""

# %%
import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import keras
import matplotlib.pyplot as plt

import data
from _lesson53 import bce, churn_subset
from coursekit.training import predict

args = coursekit.script_args(__doc__)
churn = data.prepare_churn()
X_small, y_small = churn_subset(churn)


def build(l2: float = 0.0, rate: float = 0.0) -> keras.Model:
    reg = keras.regularizers.L2(l2) if l2 else None
    layers = [keras.Input(shape=(churn.n_features,))]
    for _ in range(3):
        layers.append(keras.layers.Dense(256, activation="relu", kernel_regularizer=reg))
        if rate:
            layers.append(keras.layers.Dropout(rate))
    layers.append(keras.layers.Dense(1, activation="sigmoid"))
    model = keras.Sequential(layers)
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy", steps_per_execution=32)
    return model


def losses(**kw) -> tuple[float, float]:
    coursekit.set_seed(args.seed)
    model = build(**kw)
    model.fit(X_small, y_small, epochs=30, batch_size=64, verbose=0)
    return bce(y_small, predict(model, X_small)), bce(churn.y_val, predict(model, churn.X_val))


# %% [markdown]
# The unregularized model is the shared starting point (factor 0, rate 0).

# %%
base = losses()
l2_grid = [1e-2, 3e-2, 1e-1]
rate_grid = [0.2, 0.5, 0.7]
l2_results = [base] + [losses(l2=f) for f in l2_grid]
rate_results = [base] + [losses(rate=r) for r in rate_grid]

print(f"{'L2 factor':>10} {'train loss':>10} {'val loss':>9}")
for f, (tr, va) in zip([0.0] + l2_grid, l2_results):
    print(f"{f:>10g} {tr:>10.3f} {va:>9.3f}")
print(f"\n{'dropout':>10} {'train loss':>10} {'val loss':>9}")
for r, (tr, va) in zip([0.0] + rate_grid, rate_results):
    print(f"{r:>10g} {tr:>10.3f} {va:>9.3f}")
best_l2 = min(zip([0.0] + l2_grid, l2_results), key=lambda t: t[1][1])
best_rate = min(zip([0.0] + rate_grid, rate_results), key=lambda t: t[1][1])
print(f"\nlowest validation loss: L2 factor {best_l2[0]:g} ({best_l2[1][1]:.3f}), "
      f"dropout rate {best_rate[0]:g} ({best_rate[1][1]:.3f})")

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
xs = ["0"] + [f"{f:g}" for f in l2_grid]
axes[0].plot(xs, [va for _, va in l2_results], "o-", color="tab:blue", label="validation")
axes[0].plot(xs, [tr for tr, _ in l2_results], "o--", color="tab:gray", label="training")
axes[0].set_xlabel("L2 factor on every hidden kernel")
axes[0].set_ylabel("binary cross-entropy (no penalty)")
axes[0].set_title("L2 strength")
xs = [f"{r:g}" for r in [0.0] + rate_grid]
axes[1].plot(xs, [va for _, va in rate_results], "o-", color="tab:green", label="validation")
axes[1].plot(xs, [tr for tr, _ in rate_results], "o--", color="tab:gray", label="training")
axes[1].set_xlabel("dropout rate after every hidden layer")
axes[1].set_title("dropout rate")
for ax in axes:
    ax.grid(alpha=0.3)
    ax.legend()
coursekit.save_figure(fig, "strength_sweep", __file__)
