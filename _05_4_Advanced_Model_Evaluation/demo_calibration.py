# %% [markdown]
# # Can the probabilities be trusted? Reliability diagrams, the Brier score and a recalibration
#
# When a model says 30%, do 30% of those customers churn? A reliability diagram bins the test
# predictions and plots the observed churn rate of each bin against its mean predicted probability;
# the Brier score (the mean squared error of the probabilities) and the expected calibration error
# (the gap between the two, averaged over the bins) sum it up. The lesson's network (stopped early)
# and the logistic regression come out close to calibrated. A bigger network trained past its best
# epoch does not: the same run, read at its best validation epoch and at its last, shows what early
# stopping does to calibration. A logistic regression trained with balanced class weights is not
# calibrated either: its probabilities are inflated on purpose. Moving its decision threshold fixes its
# decisions but leaves its probabilities as wrong as they were; recalibrating it on the validation
# split (`CalibratedClassifierCV` with isotonic regression on a frozen model) fixes the
# probabilities and keeps the ranking.
#
# Run it as a script, `python demo_calibration.py` (or `course run 5.4 calibration`), or as a
# notebook: `course notebook 5.4`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.4")  # --seed and --figures from a shell; the defaults in a notebook

import keras
import matplotlib.pyplot as plt
import numpy as np
from sklearn.calibration import CalibratedClassifierCV, calibration_curve
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, f1_score, roc_auc_score

from _models_5_4 import churn, churn_mlp, logistic
from coursekit.training import fast_fit, predict

# %% [markdown]
# ## Three models on the same test split

# %%
coursekit.set_seed(args.seed)
prepared = churn()
y_val, y_test = prepared.y_val.astype(int), prepared.y_test.astype(int)
weighted = LogisticRegression(max_iter=2000, class_weight="balanced").fit(prepared.X_train, prepared.y_train)
probabilities = {
    "MLP 64-32": churn_mlp(args.seed).p_test,
    "logistic regression": logistic()[1],
    "logistic, balanced weights": weighted.predict_proba(prepared.X_test)[:, 1],
}


def calibration_error(y, p, n_bins=10):
    """Over equal-width bins: the share of cases in the bin times |mean probability - churn rate|."""
    bins = np.digitize(p, np.linspace(0, 1, n_bins + 1)[1:-1], right=True)  # the bins of calibration_curve
    return sum(np.mean(bins == k) * abs(p[bins == k].mean() - y[bins == k].mean()) for k in np.unique(bins))


print(f"test churn rate {y_test.mean():.3f}")
for name, p in probabilities.items():
    print(f"{name:<28} mean probability {p.mean():.3f}, Brier {brier_score_loss(y_test, p):.4f}, "
          f"calibration error {calibration_error(y_test, p):.3f}, ROC AUC {roc_auc_score(y_test, p):.3f}")

# %% [markdown]
# ## What the bins hide
#
# Equal-width bins hold very different numbers of customers: the top bins hold few, and their churn
# rates are noisy. The calibration error also depends on how many bins it averages over.

# %%
p = probabilities["MLP 64-32"]
counts = np.bincount(np.digitize(p, np.linspace(0, 1, 11)[1:-1], right=True), minlength=10)
print(f"MLP 64-32: test customers per bin {counts.tolist()}; calibration error with 5, 10, 20 bins: "
      + ", ".join(f"{calibration_error(y_test, p, n):.3f}" for n in (5, 10, 20)))

# %% [markdown]
# ## Trained past its best epoch: over-confident probabilities
#
# A 128-128 network (the over-fitting run of `demo_training_histories.py`) trained for 40 epochs
# without early stopping. A callback keeps the weights of the epoch with the lowest validation loss,
# the ones early stopping would restore; the same run is scored at that epoch and at its last one.
# The calibration slope (a logistic regression of the outcome on the logit of the probability) is 1
# for calibrated probabilities and below 1 for over-confident ones, which are too close to 0 and 1.


# %%
class KeepBest(keras.callbacks.Callback):
    """Keeps the weights of the epoch with the lowest validation loss (what early stopping restores)."""

    def on_train_begin(self, logs=None):
        self.best, self.epoch, self.weights = np.inf, 0, None

    def on_epoch_end(self, epoch, logs=None):
        if logs["val_loss"] < self.best:
            self.best, self.epoch, self.weights = logs["val_loss"], epoch + 1, self.model.get_weights()


def calibration_slope(y, p):
    logit = np.log(p / (1 - p)).reshape(-1, 1)
    return float(LogisticRegression(C=1e6).fit(logit, y).coef_[0, 0])


coursekit.set_seed(args.seed)
big = keras.Sequential([keras.Input(shape=(prepared.n_features,)), keras.layers.Dense(128, activation="relu"),
                        keras.layers.Dense(128, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
big.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", steps_per_execution=32)
keep = KeepBest()
fast_fit(big, prepared.X_train, prepared.y_train, prepared.X_val, prepared.y_val, epochs=40, batch_size=128,
         seed=args.seed, callbacks=[keep])
p_last = np.clip(predict(big, prepared.X_test).ravel().astype(np.float64), 1e-7, 1 - 1e-7)
big.set_weights(keep.weights)
p_best = np.clip(predict(big, prepared.X_test).ravel().astype(np.float64), 1e-7, 1 - 1e-7)
p_mlp = np.clip(probabilities["MLP 64-32"], 1e-7, 1 - 1e-7)
print(f"{'MLP 64-32, stopped early':<40} calibration slope {calibration_slope(y_test, p_mlp):.2f}")
for name, p in [(f"MLP 128-128 at its best epoch ({keep.epoch})", p_best), ("MLP 128-128 at epoch 40", p_last)]:
    print(f"{name:<40} calibration slope {calibration_slope(y_test, p):.2f}, Brier {brier_score_loss(y_test, p):.4f}, "
          f"calibration error {calibration_error(y_test, p):.3f}, ROC AUC {roc_auc_score(y_test, p):.3f}")

# %% [markdown]
# ## A threshold changes decisions, not probabilities
#
# Any threshold -- 0.5, or one chosen on validation data by F1 -- turns the weighted model's
# probabilities into decisions, and the decisions can be good ones. No threshold changes a
# probability: whatever reads them as probabilities (an expected loss, a price) is still wrong.

# %%
p_weighted_val = weighted.predict_proba(prepared.X_val)[:, 1]
grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
best = float(grid[int(np.argmax([f1_score(y_val, p_weighted_val >= t) for t in grid]))])
p_weighted = probabilities["logistic, balanced weights"]
print(f"balanced weights: test F1 {f1_score(y_test, p_weighted >= 0.5):.3f} at 0.5, "
      f"{f1_score(y_test, p_weighted >= best):.3f} at {best:.2f} (chosen on validation); "
      f"its mean probability is still {p_weighted.mean():.3f}")

# %% [markdown]
# ## Recalibration on the validation split
#
# The frozen model is not refitted: isotonic regression learns, on the validation split, the map
# from its probability to the churn rate observed for such customers.

# %%
recalibrated = CalibratedClassifierCV(FrozenEstimator(weighted), method="isotonic").fit(prepared.X_val, y_val)
p_fixed = recalibrated.predict_proba(prepared.X_test)[:, 1]
print(f"recalibrated on validation: mean probability {p_fixed.mean():.3f}, Brier {brier_score_loss(y_test, p_fixed):.4f}, "
      f"calibration error {calibration_error(y_test, p_fixed):.3f}, ROC AUC {roc_auc_score(y_test, p_fixed):.3f}")

fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.6), sharey=True)
curves = [(axes[0], "MLP 64-32, stopped early", probabilities["MLP 64-32"]),
          (axes[0], "logistic regression", probabilities["logistic regression"]),
          (axes[0], "MLP 128-128, 40 epochs, not stopped", p_last),
          (axes[1], "balanced weights", p_weighted), (axes[1], "balanced weights, recalibrated", p_fixed)]
for ax, name, p in curves:
    observed, predicted = calibration_curve(y_test, p, n_bins=10, strategy="uniform")
    ax.plot(predicted, observed, marker="o", label=f"{name} (Brier {brier_score_loss(y_test, p):.3f})")
for ax, title in zip(axes, ["Trained without weights", "Weighted, then recalibrated on validation"]):
    ax.plot([0, 1], [0, 1], color="gray", ls=":", lw=1, label="calibrated")
    ax.set(xlabel="mean predicted P(churn) in the bin", title=title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
axes[0].set_ylabel("observed churn rate in the bin")
fig.suptitle("Reliability diagrams, test split (10 equal-width bins)")
coursekit.save_figure(fig, "churn_reliability")
