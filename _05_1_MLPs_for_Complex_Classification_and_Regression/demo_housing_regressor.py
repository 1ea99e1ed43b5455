# %% [markdown]
# # An MLP regressor for Ames house prices, in dollars, beside ridge regression
#
# What it shows: a regression network ends in one linear unit and trains with mean squared error;
# it learns the log of the price (errors in proportion to the price), and the report converts back
# to dollars. Why sizes are log-scaled before standardising (one lot is far out in the tail). What
# a network with many weights and few sales does: it fits the training sales ever better while the
# validation loss stops improving early, and it ends behind a ridge regression whose penalty was
# chosen on the validation split. (Exercise 5.1.4 asks you to do better; lesson 5.3 explains how.)
#
# Figures: learning curves, and predicted vs actual prices on the test split for both models.
#
# Run it as a script, `python demo_housing_regressor.py` (or `course run 5.1 housing_regressor`), or
# as a notebook: `course notebook 5.1`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.1")  # --seed and --figures from a shell; the defaults in a notebook

import keras
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import Ridge

import data

# %% [markdown]
# ## The data
#
# 2,925 sales (the 5 houses over 4,000 sq ft removed, as the data's author advises); the inputs are
# imputed, sizes log-scaled, standardised and one-hot encoded -- all fit on the training split only.

# %%
coursekit.set_seed(args.seed)
houses = data.prepare_housing()
n_rows = len(houses.y_train) + len(houses.y_val) + len(houses.y_test)
print(f"{n_rows:,} sales, {len(data.housing.FEATURES)} raw features; train/val/test rows: "
      f"{len(houses.y_train):,}/{len(houses.y_val):,}/{len(houses.y_test):,}; input width after preprocessing: "
      f"{houses.n_features}")

# %% [markdown]
# ## Why log-scale sizes
#
# Standardised as they are, the largest lot would sit far above the mean.

# %%
lots = houses.frames.train["Lot_Area"]
z_raw = (lots.max() - lots.mean()) / lots.std()
z_log = (np.log1p(lots.max()) - np.log1p(lots).mean()) / np.log1p(lots).std()
print(f"largest lot in the training split: {lots.max():,.0f} sq ft, {z_raw:.1f} standard deviations above "
      f"the mean as it is, {z_log:.1f} after log1p")

# %% [markdown]
# ## The network
#
# A 64-32 ReLU network, no penalty, a linear output that starts at the mean log price, MSE.

# %%
model = keras.Sequential(
    [
        keras.Input(shape=(houses.n_features,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(float(houses.y_train.mean()))),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", steps_per_execution=32)
print(f"weights: {model.count_params():,} for {len(houses.y_train):,} training sales")
stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
history = model.fit(houses.X_train, houses.y_train, validation_data=(houses.X_val, houses.y_val), epochs=200,
                    batch_size=32, callbacks=[stop], verbose=0)
best = int(np.argmin(history.history["val_loss"]))
print(f"epochs run: {len(history.epoch)}, best epoch {best + 1}: training loss {history.history['loss'][best]:.4f}, "
      f"validation loss {history.history['val_loss'][best]:.4f}; last epoch: training "
      f"{history.history['loss'][-1]:.4f}, validation {history.history['val_loss'][-1]:.4f}")

# %% [markdown]
# ## The baseline
#
# Ridge regression, its penalty chosen on the validation split.

# %%
alphas = [0.3, 1.0, 3.0, 10.0, 30.0, 100.0]
val_mse = [np.mean((Ridge(alpha=a).fit(houses.X_train, houses.y_train).predict(houses.X_val) - houses.y_val) ** 2)
           for a in alphas]
alpha = alphas[int(np.argmin(val_mse))]
print(f"ridge: alpha {alpha:g} chosen on the validation split (validation MSE {min(val_mse):.4f})")

# %% [markdown]
# ## The test split
#
# Once: errors in dollars for the MLP and for ridge.

# %%
truth = data.to_dollars(houses.y_test)
preds = {
    "MLP": data.to_dollars(model.predict(houses.X_test, verbose=0).ravel()),
    "ridge": data.to_dollars(Ridge(alpha=alpha).fit(houses.X_train, houses.y_train).predict(houses.X_test)),
}
for name, pred in preds.items():
    rmse = np.sqrt(np.mean((pred - truth) ** 2))
    mae = np.mean(np.abs(pred - truth))
    print(f"{name:>5}: test RMSE ${rmse:,.0f}, MAE ${mae:,.0f} (median test price ${np.median(truth):,.0f})")

# %% [markdown]
# ## Figures
#
# The learning curves, and predicted vs actual prices on the test split for both models.

# %%
fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
epochs = range(1, len(history.epoch) + 1)
axes[0].plot(epochs, history.history["loss"], label="train")
axes[0].plot(epochs, history.history["val_loss"], label="validation")
axes[0].axvline(best + 1, color="grey", linestyle=":", label=f"best epoch ({best + 1})")
axes[0].set_yscale("log")
axes[0].set_xlabel("epoch")
axes[0].set_ylabel("MSE of log price")
axes[0].set_title("64-32 MLP, no penalty")
axes[0].legend()
top = max(truth.max(), *(pred.max() for pred in preds.values())) / 1000  # the same scale for both models
for ax, (name, pred) in zip(axes[1:], preds.items()):
    ax.scatter(truth / 1000, pred / 1000, s=8, alpha=0.5)
    ax.set_xlim(0, top * 1.03)
    ax.set_ylim(0, top * 1.03)
    ax.plot([0, top], [0, top], color="grey", linestyle="--", label="perfect")
    ax.set_title(f"{name}: predicted vs actual (test)")
    ax.set_xlabel("actual price ($1000)")
    ax.set_ylabel("predicted price ($1000)")
    ax.legend(loc="upper left")
coursekit.save_figure(fig, "housing_predicted_vs_actual")
