# %% [markdown]
# # The accuracy paradox: when positives are rare, accuracy says nothing and ROC flatters
#
# Fraud, a rare disease, a churner in a loyal customer base: when 5% of cases are positive, a model
# that never says "positive" is 95% accurate. This demo makes churn rare (`_models_5_4.rare_churn`
# keeps every non-churner and a fixed 5% share of churners in each split), trains a logistic
# regression with and without balanced class weights, and compares accuracy, recall, ROC AUC and
# average precision with the same models on the full 26.5%-churn table. The ROC curve barely
# changes; the precision-recall curve shows how much harder the rare problem really is. Then it
# shows why weighting hardly moves the ROC AUC: it shifts the scores far more than it reorders them,
# so the unweighted model with a threshold moved on validation data flags much the same customers.
#
# Run it as a script, `python demo_accuracy_paradox.py` (or `course run 5.4 accuracy_paradox`), or as a
# notebook: `course notebook 5.4`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.4")  # --seed and --figures from a shell; the defaults in a notebook

import matplotlib.pyplot as plt
import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from scipy.stats import spearmanr
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

from _models_5_4 import churn, rare_churn

# %% [markdown]
# ## Two versions of the same task: churn as it is, and churn made rare

# %%
coursekit.set_seed(args.seed)
full, rare = churn(), rare_churn(0.05)
tasks = {"full churn (26.5%)": full, "rare churn (5%)": rare}

# %% [markdown]
# ## The always-"no" model and two logistic regressions on each version

# %%
models = {
    "always no": lambda: DummyClassifier(strategy="most_frequent"),
    "logistic": lambda: LogisticRegression(max_iter=2000),
    "logistic, balanced weights": lambda: LogisticRegression(max_iter=2000, class_weight="balanced"),
}
results = {}
print(f"{'task':<20}{'model':<28}{'accuracy':>9}{'recall':>8}{'precision':>10}{'ROC AUC':>9}{'avg prec':>9}")
for task, d in tasks.items():
    y_test = d.y_test.astype(int)
    for name, make in models.items():
        model = make().fit(d.X_train, d.y_train)
        p = model.predict_proba(d.X_test)[:, 1]
        pred = (p >= 0.5).astype(int)
        results[task, name] = p
        results[task, name, "val"] = model.predict_proba(d.X_val)[:, 1]
        print(f"{task:<20}{name:<28}{accuracy_score(y_test, pred):>9.3f}{recall_score(y_test, pred):>8.3f}"
              f"{precision_score(y_test, pred, zero_division=0):>10.3f}{roc_auc_score(y_test, p):>9.3f}"
              f"{average_precision_score(y_test, p):>9.3f}")
print(f"rare test split: {len(rare.y_test)} customers, {int(rare.y_test.sum())} churners")

# %% [markdown]
# ## ROC vs precision-recall: the same model, the two versions of the task
#
# A ROC curve divides false positives by the (huge) number of negatives, so thousands of false
# alarms look like a small false positive rate. Precision divides them by the number of customers
# flagged, so it shows the cost of those false alarms directly.

# %%
fig, (ax_roc, ax_pr) = plt.subplots(1, 2, figsize=(10, 4.2))
for task, d in tasks.items():
    y_test, p = d.y_test.astype(int), results[task, "logistic"]
    fpr, tpr, _ = roc_curve(y_test, p)
    ax_roc.plot(fpr, tpr, label=f"{task}: AUC {roc_auc_score(y_test, p):.3f}")
    prec, rec, _ = precision_recall_curve(y_test, p)
    line, = ax_pr.plot(rec, prec, label=f"{task}: AP {average_precision_score(y_test, p):.3f}")
    ax_pr.axhline(y_test.mean(), color=line.get_color(), ls=":", lw=1)
ax_roc.plot([0, 1], [0, 1], color="gray", ls=":", lw=1)
ax_roc.set(xlabel="false positive rate", ylabel="true positive rate (recall)", title="ROC: nearly the same")
ax_pr.set(xlabel="recall", ylabel="precision", title="Precision-recall: the rare task is much harder",
          ylim=(0, 1.02))
for ax in (ax_roc, ax_pr):
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
fig.suptitle("Logistic regression on churn: all churners vs churners made rare (dotted: base rate)")
coursekit.save_figure(fig, "rare_roc_vs_pr")

# %% [markdown]
# ## What a threshold of 0.5 means when positives are rare

# %%
y_rare = rare.y_test.astype(int)
for name in ["logistic", "logistic, balanced weights"]:
    p = results["rare churn (5%)", name]
    print(f"rare, {name}: {int(np.sum(p >= 0.5))} customers flagged at 0.5, "
          f"{int(np.sum((p >= 0.5) & (y_rare == 1)))} of them churners")

# %% [markdown]
# ## Why the ROC AUC barely moves: weighting shifts the scores more than it reorders them
#
# The ROC AUC depends only on the order of the scores. Balanced weights raise every score, the
# churners' and the others' alike; the order of the customers hardly changes (rank correlation
# near 1). So the unweighted model, with its threshold moved down until it flags as many
# VALIDATION customers as the weighted one does at 0.5, makes nearly the same test decisions.

# %%
plain, weighted = results["rare churn (5%)", "logistic"], results["rare churn (5%)", "logistic, balanced weights"]
share = np.mean(results["rare churn (5%)", "logistic, balanced weights", "val"] >= 0.5)
moved = float(np.quantile(results["rare churn (5%)", "logistic", "val"], 1 - share))
n_churn = int(rare.y_train.sum())
print(f"balanced weights: a churner weighs {(len(rare.y_train) - n_churn) / n_churn:.1f} times a non-churner in training")
print(f"rank correlation of the plain and weighted test scores: {spearmanr(plain, weighted).statistic:.3f}; "
      f"mean test score {plain.mean():.3f} plain, {weighted.mean():.3f} weighted")
for name, p, t in [("weighted at 0.5", weighted, 0.5), (f"plain at {moved:.3f} (chosen on validation)", plain, moved)]:
    flagged = p >= t
    print(f"rare, {name}: {int(flagged.sum())} flagged, recall {recall_score(y_rare, flagged):.3f}, "
          f"precision {precision_score(y_rare, flagged):.3f}")
