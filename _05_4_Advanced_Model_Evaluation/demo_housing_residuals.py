"""Regression metrics for house prices: MAE, RMSE, R^2, error in dollars, residuals.

An MLP predicts the log sale price of Ames houses (``data.prepare_housing``: 259 features after
one-hot encoding). Beside it, on the same split, two baselines: the mean training price (R^2 = 0 by
construction) and a ridge regression. Metrics on the log scale (MAE, RMSE, R^2) are relative errors;
converted back to dollars they are what a buyer understands. The residual plot shows WHERE the
model errs: expensive houses, and a few sales far from the rest.

Run: ``python demo_housing_residuals.py`` (or ``course run 5.4 housing_residuals``).
"""

# %%
# Train the MLP (epochs chosen on validation data) and the baselines
# ------------------------------------------------------------------
import coursekit  # first: quiet TensorFlow, headless figures

import keras
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

import data
from coursekit.training import fit_early_stopping, predict

args = coursekit.script_args(__doc__)
coursekit.set_seed(args.seed)
housing = data.prepare_housing()
centre = float(housing.y_train.mean())  # the network learns the deviation from the mean log price

model = keras.Sequential([
    keras.Input(shape=(housing.n_features,)),
    keras.layers.Dense(64, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-3)),
    keras.layers.Dense(32, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-3)),
    keras.layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="mse", steps_per_execution=32)
history = fit_early_stopping(model, housing.X_train, housing.y_train - centre, housing.X_val,
                             housing.y_val - centre, epochs=150, patience=10, batch_size=64)
print(f"MLP: best validation epoch {int(np.argmin(history.history['val_loss'])) + 1} of {len(history.epoch)}")

ridge = Ridge(alpha=10.0).fit(housing.X_train, housing.y_train)
log_pred = {
    "mean price": np.full(len(housing.y_test), housing.y_train.mean()),
    "ridge": ridge.predict(housing.X_test),
    "MLP 64-32": predict(model, housing.X_test) + centre,
}

# %%
# The metrics, in log units and in dollars
# ----------------------------------------
y_log = housing.y_test.astype(np.float64)
dollars = data.to_dollars(y_log)
print(f"test split: {len(y_log)} houses")
print(f"{'model':<12}{'MAE log':>9}{'RMSE log':>10}{'R^2':>8}{'MAE $':>10}{'RMSE $':>10}{'median |%|':>11}")
for name, pred in log_pred.items():
    pred_dollars = data.to_dollars(pred)
    pct = np.abs(pred_dollars - dollars) / dollars
    print(f"{name:<12}{mean_absolute_error(y_log, pred):>9.4f}{np.sqrt(mean_squared_error(y_log, pred)):>10.4f}"
          f"{r2_score(y_log, pred):>8.3f}{mean_absolute_error(dollars, pred_dollars):>10,.0f}"
          f"{np.sqrt(mean_squared_error(dollars, pred_dollars)):>10,.0f}{np.median(pct):>11.1%}")

# %%
# Residuals: where the MLP errs
# -----------------------------
pred_dollars = data.to_dollars(log_pred["MLP 64-32"])
residual = dollars - pred_dollars
worst = np.argsort(-np.abs(residual))[:3]
for i in worst:
    print(f"largest error: sold ${dollars[i]:,.0f}, predicted ${pred_dollars[i]:,.0f}")

fig, (ax_scatter, ax_hist) = plt.subplots(1, 2, figsize=(10.5, 4))
ax_scatter.scatter(pred_dollars / 1000, residual / 1000, s=8, alpha=0.5)
ax_scatter.axhline(0, color="k", lw=1)
ax_scatter.set(xlabel="predicted price ($1,000)", ylabel="actual - predicted ($1,000)",
               title="MLP residuals on the test split")
ax_hist.hist(log_pred["MLP 64-32"] - y_log, bins=40, alpha=0.6, label="MLP")
ax_hist.hist(log_pred["ridge"] - y_log, bins=40, alpha=0.6, label="ridge")
ax_hist.set(xlabel="error in log price (0.1 = about 10%)", ylabel="houses", title="Error distribution")
ax_hist.legend(fontsize=8)
for ax in (ax_scatter, ax_hist):
    ax.grid(alpha=0.3)
coursekit.save_figure(fig, "housing_residuals", __file__)
