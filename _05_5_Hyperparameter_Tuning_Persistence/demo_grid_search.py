# %% [markdown]
# # Grid search over a scikeras pipeline on Ames housing prices
#
# A Keras regressor of log sale prices, wrapped by scikeras so that scikit-learn's GridSearchCV can
# clone it, route hyperparameters to it (`reg__model__learning_rate`) and cross-validate it. The
# preprocessing sits in the pipeline, so each fold fits it on its own training rows. The grid is
# tiny on purpose -- 3 learning rates x 2 depths, 2 folds, 10 epochs -- because every cell costs one
# network per fold: this demo measures what a fit costs and prints the bill.
#
# Run it as a script, `python demo_grid_search.py` (or `course run 5.5 grid_search`), or as a
# notebook: `course notebook 5.5`. It takes about 20-40 s on 2 cores.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.5")  # --seed and --figures from a shell; the defaults in a notebook

import time

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import GridSearchCV, KFold, ParameterGrid, cross_validate

import _lesson55

# %% [markdown]
# ## Set-up
#
# Raw housing columns in, log prices out. The test split is touched once, at the end.

# %%
coursekit.set_seed(args.seed)
X_train, y_train, X_val, y_val, X_test, y_test = _lesson55.housing_frames()
pipe = _lesson55.housing_pipeline(seed=args.seed, epochs=10)
print("pipeline steps:", [name for name, _ in pipe.steps])

# %% [markdown]
# ## The grid
#
# Parameter names route through the pipeline: `reg__` is the KerasRegressor step, `model__` an
# argument of the function that builds the Keras model. The number of fits is known before anything
# runs: candidates x folds + 1 refit of the winner on all training rows.

# %%
grid = {
    "reg__model__learning_rate": [0.001, 0.01, 0.1],
    "reg__model__hidden_layers": [1, 2],
}
n_folds = 2
n_fits = len(ParameterGrid(grid)) * n_folds + 1
print(f"candidates: {len(ParameterGrid(grid))}, folds: {n_folds}, networks to train: {n_fits}")

# The grid one would like -- 3 rates x 3 depths x 3 widths x 2 batch sizes, 5 folds -- is priced
# before it is run, and not run here: a budget decision is made before the search, not after.
FULL_GRID = {
    "reg__model__learning_rate": [1e-3, 1e-2, 1e-1],
    "reg__model__hidden_layers": [1, 2, 3],
    "reg__model__neurons": [16, 64, 256],
    "reg__batch_size": [64, 256],
}
print(f"the grid one would like: {len(ParameterGrid(FULL_GRID))} candidates x 5 folds + 1 refit = "
      f"{len(ParameterGrid(FULL_GRID)) * 5 + 1} networks")

search = GridSearchCV(
    pipe, grid, cv=KFold(n_folds, shuffle=True, random_state=args.seed),
    scoring="neg_mean_squared_error",  # scikit-learn maximises scores, so errors come negated
    refit=True,
)
start = time.perf_counter()
search.fit(X_train, y_train)
seconds = time.perf_counter() - start
print(f"grid search: {seconds:.1f} s wall, {seconds / n_fits:.2f} s per network")

# %% [markdown]
# ## The results table
#
# `mean_test_score` is minus the mean squared error; its square root (after flipping the sign) is
# an RMSE in log price, about the relative error of a predicted price.

# %%
res = pd.DataFrame(search.cv_results_)
table = pd.DataFrame({
    "learning_rate": res["param_reg__model__learning_rate"],
    "hidden_layers": res["param_reg__model__hidden_layers"],
    "cv_rmse": np.sqrt(-res["mean_test_score"]),
    "fold_spread": res["std_test_score"],
    "fit_seconds": res["mean_fit_time"],
    "rank": res["rank_test_score"],
}).sort_values("rank")
print(table.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
print("best_score_ (negative MSE):", f"{search.best_score_:.5f}", "-> CV MSE", f"{-search.best_score_:.5f}",
      "-> CV RMSE", f"{np.sqrt(-search.best_score_):.4f}")
print("best parameters:", search.best_params_)
test_rmse = np.sqrt(mean_squared_error(y_test, search.predict(X_test)))
print(f"refit best pipeline, test RMSE (log price): {test_rmse:.4f}")

# %% [markdown]
# ## A heat map of the grid
#
# Rows are depths, columns learning rates (a log axis in disguise).

# %%
pivot = table.pivot(index="hidden_layers", columns="learning_rate", values="cv_rmse")
fig, ax = plt.subplots(figsize=(5.5, 3.2))
im = ax.imshow(pivot.to_numpy(), cmap="viridis_r")
ax.set_xticks(range(pivot.shape[1]), [f"{c:g}" for c in pivot.columns])
ax.set_yticks(range(pivot.shape[0]), [str(i) for i in pivot.index])
for (i, j), value in np.ndenumerate(pivot.to_numpy()):
    ax.text(j, i, f"{value:.3f}", ha="center", va="center", color="white" if value > pivot.to_numpy().mean() else "black")
ax.set_xlabel("learning rate")
ax.set_ylabel("hidden layers")
ax.set_title(f"2-fold CV RMSE of log price ({n_fits} networks)")
fig.colorbar(im, ax=ax, shrink=0.8)
coursekit.save_figure(fig, "grid_heatmap")

# %% [markdown]
# ## Early stopping inside cross-validation
#
# K-fold owns the split into training and scoring rows, so the rows that decide when to stop must
# come from each fold's TRAINING part: `validation_split=0.2` holds out its last 20%. Stopping on
# the fold's scoring rows would leak.

# %%
best = search.best_params_
stopper = _lesson55.housing_pipeline(seed=args.seed, epochs=40).set_params(
    **best,
    reg__validation_split=0.2,
    reg__callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)],
)
cv = cross_validate(stopper, X_train, y_train, cv=KFold(n_folds, shuffle=True, random_state=args.seed),
                    scoring="neg_mean_squared_error", return_estimator=True)
epochs = [len(est.named_steps["reg"].history_["loss"]) for est in cv["estimator"]]
print("early stopping inside CV: epochs per fold", epochs,
      f"CV RMSE {np.sqrt(-cv['test_score'].mean()):.4f} (max 40 epochs)")
