"""Demo 5.1 -- An MLP regressor for Ames house prices, in dollars, beside ridge regression.

What it shows: a regression network ends in one linear unit and trains with mean squared error;
it learns the log of the price (errors in proportion to the price), and the report converts back
to dollars. A ridge regression on the same split is the baseline. Figure: predicted vs actual
prices on the test split for both models.
"""

# %%
import coursekit

args = coursekit.script_args(__doc__)
coursekit.set_seed(args.seed)

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.linear_model import Ridge  # noqa: E402

import data  # noqa: E402
from coursekit.training import fit_early_stopping, predict  # noqa: E402

# %%
# 2,925 sales (the 5 houses over 4,000 sq ft removed, as the data's author advises), 261 columns
# after imputing, log-scaling sizes, standardising and one-hot encoding -- all fit on train only.
houses = data.prepare_housing()
print(f"train/val/test rows: {len(houses.y_train)}/{len(houses.y_val)}/{len(houses.y_test)}; "
      f"input width: {houses.n_features}")

# %%
# Two hidden ReLU layers with a small L2 penalty (lesson 5.3), and a linear output that starts at
# the mean log price.
penalty = keras.regularizers.L2(1e-3)
model = keras.Sequential(
    [
        keras.Input(shape=(houses.n_features,)),
        keras.layers.Dense(64, activation="relu", kernel_regularizer=penalty),
        keras.layers.Dense(32, activation="relu", kernel_regularizer=penalty),
        keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(float(houses.y_train.mean()))),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"], steps_per_execution=32)
history = fit_early_stopping(
    model, houses.X_train, houses.y_train, houses.X_val, houses.y_val, patience=10, epochs=200, batch_size=32
)
print(f"epochs run: {len(history.epoch)}")

# %%
# Test split, once: errors in dollars for the MLP and for ridge.
truth = data.to_dollars(houses.y_test)
preds = {
    "MLP": data.to_dollars(predict(model, houses.X_test)),
    "ridge": data.to_dollars(Ridge(alpha=3.0).fit(houses.X_train, houses.y_train).predict(houses.X_test)),
}
for name, pred in preds.items():
    rmse = np.sqrt(np.mean((pred - truth) ** 2))
    mae = np.mean(np.abs(pred - truth))
    print(f"{name:>5}: test RMSE ${rmse:,.0f}, MAE ${mae:,.0f} (median price ${np.median(truth):,.0f})")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 4.4), sharex=True, sharey=True)
for ax, (name, pred) in zip(axes, preds.items()):
    ax.scatter(truth / 1000, pred / 1000, s=8, alpha=0.5)
    top = max(truth.max(), pred.max()) / 1000
    ax.plot([0, top], [0, top], color="grey", linestyle="--", label="perfect")
    ax.set_title(f"{name}: predicted vs actual (test)")
    ax.set_xlabel("actual price ($1000)")
    ax.set_ylabel("predicted price ($1000)")
    ax.legend(loc="upper left")
coursekit.save_figure(fig, "housing_predicted_vs_actual", __file__)
