"""Why inputs are scaled, and what batch normalization does.

The churn network (Dense 64 -> Dense 32 -> sigmoid) trained on the full training split for a
fixed 20 epochs in four ways: on the standardized features (as the ``data`` package prepares
them), on the raw numbers (tenure in months up to 72, total charges in dollars up to 8,700,
next to 0/1 columns), on the raw numbers with a ``BatchNormalization`` layer first (it learns the
scaling from each mini-batch), and on the standardized features with BatchNormalization after
each hidden layer. Unscaled inputs make one column dominate the first layer's sums and the
gradient steps, so training is slow and erratic.
"""

# %%
import coursekit  # noqa: F401  (first: quiet TensorFlow, headless figures)
import keras
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import roc_auc_score

import data
from coursekit.training import predict

args = coursekit.script_args(__doc__)
churn = data.prepare_churn()
scaler = churn.preprocessor.named_transformers_["num"]
num_idx = [churn.feature_names.index(c) for c in data.churn.NUMERIC]


def unscale(X: np.ndarray) -> np.ndarray:
    """Undo the StandardScaler on the numeric columns: back to months and dollars."""
    raw = X.copy()
    raw[:, num_idx] = X[:, num_idx] * scaler.scale_ + scaler.mean_
    return raw


raw = {part: unscale(getattr(churn, f"X_{part}")) for part in ("train", "val", "test")}
print("column ranges in the training split: scaled max |x| = "
      f"{np.abs(churn.X_train).max():.1f}; raw max = {raw['train'].max():.0f}")


# %%
def build(input_bn: bool = False, hidden_bn: bool = False) -> keras.Model:
    layers = [keras.Input(shape=(churn.n_features,))]
    if input_bn:
        layers.append(keras.layers.BatchNormalization())
    for units in (64, 32):
        layers.append(keras.layers.Dense(units, activation="relu"))
        if hidden_bn:
            layers.append(keras.layers.BatchNormalization())
    layers.append(keras.layers.Dense(1, activation="sigmoid"))
    model = keras.Sequential(layers)
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy",
                  metrics=[keras.metrics.AUC(name="auc")], steps_per_execution=32)
    return model


variants = {
    "scaled inputs": (False, False, False),
    "raw inputs": (True, False, False),
    "raw inputs + BatchNorm first": (True, True, False),
    "scaled + BatchNorm after hidden": (False, False, True),
}
curves = {}
print(f"\n{'variant':<32} {'val AUC ep 1':>12} {'val AUC ep 20':>13} {'train-val AUC':>13}")
for name, (use_raw, input_bn, hidden_bn) in variants.items():
    Xtr, Xva = (raw["train"], raw["val"]) if use_raw else (churn.X_train, churn.X_val)
    coursekit.set_seed(args.seed)
    model = build(input_bn, hidden_bn)
    h = model.fit(Xtr, churn.y_train, validation_data=(Xva, churn.y_val), epochs=20, batch_size=128, verbose=0)
    curves[name] = h.history["val_auc"]
    gap = roc_auc_score(churn.y_train, predict(model, Xtr)) - roc_auc_score(churn.y_val, predict(model, Xva))
    print(f"{name:<32} {curves[name][0]:>12.3f} {curves[name][-1]:>13.3f} {gap:>13.3f}")

# %%
fig, ax = plt.subplots(figsize=(7, 4.2))
for name, curve in curves.items():
    ax.plot(np.arange(1, len(curve) + 1), curve, label=name)
ax.set_xlabel("epoch")
ax.set_ylabel("validation ROC AUC")
ax.set_title("churn: scaled vs raw inputs, with and without batch normalization")
ax.grid(alpha=0.3)
ax.legend()
coursekit.save_figure(fig, "scaling_batchnorm", __file__)
