# %% [markdown]
# # Regression metrics for house prices: MAE, RMSE, R^2, errors in dollars, residuals
#
# The housing network of lesson 5.1 -- the architecture, seed and split of its
# `demo_housing_regressor.py` (64-32 ReLU without a penalty, a linear output started at the mean log
# price, Adam `1e-3`, batches of 32, early stopping on the validation loss), trained here with the
# course's own training loop, so its numbers are this demo's, not 5.1's -- beside two baselines on
# the same split: the mean training price (R^2 about 0 on the test split, exactly 0 only with the
# test split's own mean) and a ridge regression whose penalty `alpha` is chosen on the validation split.
# Metrics on the log scale (MAE, RMSE, R^2) are relative errors; converted back to dollars they are
# what a buyer understands. The residual plot shows WHERE the models err.
#
# Run it as a script, `python demo_housing_residuals.py` (or `course run 5.4 housing_residuals`), or as a
# notebook: `course notebook 5.4`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.4")  # --seed and --figures from a shell; the defaults in a notebook

import keras
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

import data
from coursekit.training import fast_fit, predict

# %% [markdown]
# ## The network of lesson 5.1 and the baselines

# %%
coursekit.set_seed(args.seed)
houses = data.prepare_housing()
print(f"{len(houses.y_train):,} training sales, {houses.n_features} inputs")
model = keras.Sequential(
    [
        keras.Input(shape=(houses.n_features,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(float(houses.y_train.mean()))),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", steps_per_execution=32)
history = fast_fit(model, houses.X_train, houses.y_train, houses.X_val, houses.y_val, epochs=200, batch_size=32,
                   patience=10, seed=args.seed)
print(f"MLP: {len(history.epoch)} epochs run, best validation epoch {int(np.argmin(history.history['val_loss'])) + 1}")

alphas = [0.3, 1.0, 3.0, 10.0, 30.0, 100.0]
val_mse = [mean_squared_error(houses.y_val, Ridge(alpha=a).fit(houses.X_train, houses.y_train).predict(houses.X_val))
           for a in alphas]
alpha = alphas[int(np.argmin(val_mse))]
print(f"ridge: alpha {alpha:g} chosen on the validation split from {alphas}")
log_pred = {
    "mean price": np.full(len(houses.y_test), houses.y_train.mean()),
    "ridge": Ridge(alpha=alpha).fit(houses.X_train, houses.y_train).predict(houses.X_test),
    "MLP 64-32": predict(model, houses.X_test),
}

# %% [markdown]
# ## The metrics, in log units and in dollars

# %%
y_log = houses.y_test.astype(np.float64)
dollars = data.to_dollars(y_log)
print(f"test split: {len(y_log)} houses, median price ${np.median(dollars):,.0f}")
print(f"{'model':<12}{'MAE log':>9}{'RMSE log':>10}{'R^2':>8}{'MAE $':>10}{'RMSE $':>10}{'median |%|':>11}")
for name, pred in log_pred.items():
    pred_dollars = data.to_dollars(pred)
    pct = np.abs(pred_dollars - dollars) / dollars
    print(f"{name:<12}{mean_absolute_error(y_log, pred):>9.4f}{np.sqrt(mean_squared_error(y_log, pred)):>10.4f}"
          f"{r2_score(y_log, pred):>8.3f}{mean_absolute_error(dollars, pred_dollars):>10,.0f}"
          f"{np.sqrt(mean_squared_error(dollars, pred_dollars)):>10,.0f}{np.median(pct):>11.1%}")

# %% [markdown]
# ## Residuals: where the errors are

# %%
pred_dollars = data.to_dollars(log_pred["MLP 64-32"])
residual = dollars - pred_dollars
for i in np.argsort(-np.abs(residual))[:3]:
    print(f"largest MLP error: sold ${dollars[i]:,.0f}, predicted ${pred_dollars[i]:,.0f}")
expensive = dollars > np.quantile(dollars, 0.8)
for name in ("ridge", "MLP 64-32"):
    err = np.abs(data.to_dollars(log_pred[name]) - dollars)
    print(f"{name}: MAE ${err[expensive].mean():,.0f} on the dearest fifth of the houses, "
          f"${err[~expensive].mean():,.0f} on the rest")

fig, (ax_scatter, ax_hist) = plt.subplots(1, 2, figsize=(10.5, 4))
ax_scatter.scatter(pred_dollars / 1000, residual / 1000, s=8, alpha=0.5)
ax_scatter.axhline(0, color="k", lw=1)
ax_scatter.set(xlabel="predicted price ($1,000)", ylabel="actual - predicted ($1,000)", title="MLP residuals on the test split")
ax_hist.hist(log_pred["MLP 64-32"] - y_log, bins=40, alpha=0.6, label="MLP")
ax_hist.hist(log_pred["ridge"] - y_log, bins=40, alpha=0.6, label="ridge")
ax_hist.set(xlabel="error in log price (0.1 = about 10%)", ylabel="houses", title="Error distribution")
ax_hist.legend(fontsize=8)
for ax in (ax_scatter, ax_hist):
    ax.grid(alpha=0.3)
coursekit.save_figure(fig, "housing_residuals")
