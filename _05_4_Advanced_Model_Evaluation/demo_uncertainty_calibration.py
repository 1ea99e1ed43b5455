"""How sure is a metric, and can the probabilities be trusted?

Two questions every evaluation report should answer after "what is the score":

1. Uncertainty: the test split has 1,409 customers; another 1,409 would give another AUC. A
   bootstrap (resample the test customers with replacement, recompute the metric, 1,000 times)
   gives a 95% confidence interval for ROC AUC and F1 -- and, paired on the same resamples, for
   the DIFFERENCE between the MLP and the logistic-regression baseline.
2. Calibration: when the model says 30%, do 30% of those customers churn? A reliability diagram
   bins the test predictions and plots the observed churn rate in each bin; the Brier score sums it up.

Run: ``python demo_uncertainty_calibration.py`` (or ``course run 5.4 uncertainty_calibration``).
"""

# %%
# The MLP and the baseline on the same test split
# -----------------------------------------------
import coursekit  # first: quiet TensorFlow, headless figures

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import rankdata
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, f1_score, roc_auc_score

from _models_5_4 import train_churn_mlp

args = coursekit.script_args(__doc__)
coursekit.set_seed(args.seed)
trained = train_churn_mlp(args.seed)
churn = trained.churn
y = churn.y_test.astype(int)
p_mlp = trained.p_test
p_lr = LogisticRegression(max_iter=2000).fit(churn.X_train, churn.y_train).predict_proba(churn.X_test)[:, 1]

# %%
# A bootstrap confidence interval
# -------------------------------
# The resampled index sets are drawn once and used for both models: a PAIRED bootstrap, so the
# interval of the difference accounts for the two models being scored on the same customers.
# ROC AUC is the probability that a random churner outranks a random non-churner (ties count half):
# the Mann-Whitney statistic, computed from ranks -- the same number as roc_auc_score, but faster.


def auc_by_ranks(y_true, scores):
    ranks = rankdata(scores)  # ties get their average rank
    n_pos = int(y_true.sum())
    n_neg = len(y_true) - n_pos
    return (ranks[y_true == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


assert abs(auc_by_ranks(y, p_mlp) - roc_auc_score(y, p_mlp)) < 1e-12
rng = np.random.default_rng(args.seed)
n_boot = 1000
idx = rng.integers(0, len(y), size=(n_boot, len(y)))
boot = {"AUC MLP": [], "AUC logistic": [], "F1 MLP": [], "AUC MLP - logistic": []}
for rows in idx:
    yb = y[rows]
    auc_m, auc_l = auc_by_ranks(yb, p_mlp[rows]), auc_by_ranks(yb, p_lr[rows])
    boot["AUC MLP"].append(auc_m)
    boot["AUC logistic"].append(auc_l)
    flagged = p_mlp[rows] >= 0.5
    boot["F1 MLP"].append(2 * np.sum(flagged & (yb == 1)) / (flagged.sum() + yb.sum()))  # F1 = 2tp / (2tp + fp + fn)
    boot["AUC MLP - logistic"].append(auc_m - auc_l)
point = {
    "AUC MLP": roc_auc_score(y, p_mlp),
    "AUC logistic": roc_auc_score(y, p_lr),
    "F1 MLP": f1_score(y, p_mlp >= 0.5),
    "AUC MLP - logistic": roc_auc_score(y, p_mlp) - roc_auc_score(y, p_lr),
}
print(f"bootstrap of the test split: {n_boot} resamples of {len(y)} customers")
for name, values in boot.items():
    low, high = np.percentile(values, [2.5, 97.5])
    print(f"  {name:<20} {point[name]:+.3f}   95% interval [{low:+.3f}, {high:+.3f}]")

fig, ax = plt.subplots(figsize=(6.4, 3.8))
for name in ["AUC MLP", "AUC logistic"]:
    ax.hist(boot[name], bins=40, alpha=0.55, label=f"{name} {point[name]:.3f}")
ax.set(xlabel="test ROC AUC on a bootstrap resample", ylabel="resamples",
       title="The same models, 1,000 resampled test splits")
ax.legend(fontsize=8)
coursekit.save_figure(fig, "churn_bootstrap_auc", __file__)

# %%
# Calibration: a reliability diagram
# ----------------------------------
fig, ax = plt.subplots(figsize=(5, 4.6))
ax.plot([0, 1], [0, 1], color="gray", ls=":", lw=1, label="perfectly calibrated")
for name, p in [("MLP 128-128", p_mlp), ("logistic regression", p_lr)]:
    observed, predicted = calibration_curve(y, p, n_bins=10, strategy="quantile")
    brier = brier_score_loss(y, p)
    print(f"{name}: Brier score {brier:.4f}, mean predicted {p.mean():.3f} vs churn rate {y.mean():.3f}")
    ax.plot(predicted, observed, marker="o", label=f"{name} (Brier {brier:.3f})")
ax.set(xlabel="mean predicted P(churn) in the bin", ylabel="observed churn rate in the bin",
       title="Reliability diagram, test split (deciles)")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
coursekit.save_figure(fig, "churn_reliability", __file__)
