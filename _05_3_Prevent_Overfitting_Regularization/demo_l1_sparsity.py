"""L1 drives first-layer weights to (almost) zero; L2 only shrinks them.

Churn's 40 features plus 20 columns of pure noise, the network of exercise 5.3.3
(Dense 32 -> Dense 16 -> sigmoid) trained three times: no penalty on the first layer, L2(0.01),
and L1(0.01). The histogram of the first layer's 60 x 32 weights shows the difference: L1 piles
most of them up at zero, which is feature selection: an input whose weights are all ~0 is ignored.
"""

# %%
import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import keras
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import roc_auc_score

import data
from _lesson53 import add_noise_columns
from coursekit.training import fit_early_stopping, predict

args = coursekit.script_args(__doc__)
churn = data.prepare_churn()
rng = np.random.default_rng(args.seed)
N_NOISE = 20
X_train, X_val, X_test = (add_noise_columns(X, N_NOISE, rng) for X in (churn.X_train, churn.X_val, churn.X_test))
names = churn.feature_names + [f"noise_{i}" for i in range(N_NOISE)]
n_real = churn.n_features


# %%
def build(first_reg) -> keras.Model:
    model = keras.Sequential([
        keras.Input(shape=(X_train.shape[1],)),
        keras.layers.Dense(32, activation="relu", kernel_regularizer=first_reg),
        keras.layers.Dense(16, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-3)),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(keras.optimizers.Adam(3e-3), "binary_crossentropy",
                  metrics=[keras.metrics.AUC(name="auc")], steps_per_execution=32)
    return model


weights = {}
print(f"{'first layer':<12} {'test AUC':>8} {'|w|<0.01':>9} {'noise/top-10 real':>18} {'noise in top 10':>16}")
for label, reg in [("none", None), ("L2 0.01", keras.regularizers.L2(0.01)), ("L1 0.01", keras.regularizers.L1(0.01))]:
    coursekit.set_seed(args.seed)
    model = build(reg)
    fit_early_stopping(model, X_train, churn.y_train, X_val, churn.y_val, monitor="val_auc", mode="max",
                       patience=10, batch_size=256, epochs=60)
    W = np.asarray(model.layers[0].kernel)
    weights[label] = W
    importance = np.abs(W).mean(axis=1)
    top = np.argsort(-importance)[:10]
    ratio = importance[n_real:].mean() / np.sort(importance[:n_real])[-10:].mean()
    auc = roc_auc_score(churn.y_test, predict(model, X_test))
    print(f"{label:<12} {auc:>8.4f} {np.mean(np.abs(W) < 0.01):>9.2f} {ratio:>18.3f} {int(np.sum(top >= n_real)):>16}")
    if label == "L1 0.01":
        print("  inputs L1 keeps (10 most important):", ", ".join(names[i] for i in top))
        print(f"  noise / mean importance of all {n_real} real inputs: "
              f"{importance[n_real:].mean() / importance[:n_real].mean():.3f}")

# %% [markdown]
# Left: all first-layer weights. Right: the mean |weight| per input, real features in blue,
# noise columns in orange, for the L1 model.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
bins = np.linspace(-0.4, 0.4, 81)
for label, color in [("none", "tab:gray"), ("L2 0.01", "tab:blue"), ("L1 0.01", "tab:red")]:
    axes[0].hist(weights[label].ravel(), bins=bins, histtype="step", linewidth=1.6, color=color,
                 label=f"{label} on layer 1")
axes[0].set_yscale("log")
axes[0].set_xlabel("first-layer weight")
axes[0].set_ylabel("count (log scale)")
axes[0].set_title("first-layer weights: L1 piles them at zero")
axes[0].legend()
imp = np.abs(weights["L1 0.01"]).mean(axis=1)
axes[1].bar(np.arange(n_real), imp[:n_real], color="tab:blue", label="churn features")
axes[1].bar(np.arange(n_real, len(imp)), imp[n_real:], color="tab:orange", label="pure noise")
axes[1].set_xlabel("input column")
axes[1].set_ylabel("mean |weight| (L1 model)")
axes[1].set_title("which inputs survive L1")
axes[1].legend()
coursekit.save_figure(fig, "l1_sparsity", __file__)
