# %% [markdown]
# # An evaluation report for the churn network, beside its baselines
#
# The lesson's churn network (`_models_5_4.churn_mlp`: 64-32 ReLU, early stopping on the
# validation loss) against two baselines on the SAME split: a dummy that always answers "no churn"
# and a logistic regression. The report shows accuracy, ROC AUC and average precision; the confusion
# matrix read as business outcomes; scikit-learn's classification report; ROC and precision-recall
# curves; and how precision, recall and F1 move with the decision threshold -- the threshold chosen
# on VALIDATION data (by F1, and by `TunedThresholdClassifierCV` for the logistic regression) and
# the test split scored once.
#
# Run it as a script, `python demo_churn_report.py` (or `course run 5.4 churn_report`), or as a
# notebook: `course notebook 5.4`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.4")  # --seed and --figures from a shell; the defaults in a notebook

import matplotlib.pyplot as plt
import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (ConfusionMatrixDisplay, accuracy_score, average_precision_score, classification_report,
                             confusion_matrix, f1_score, fbeta_score, precision_recall_curve, precision_score, recall_score,
                             roc_auc_score, roc_curve)
from sklearn.model_selection import TunedThresholdClassifierCV

from _models_5_4 import churn, churn_mlp, logistic

# %% [markdown]
# ## Setup: the trained network and two baselines

# %%
coursekit.set_seed(args.seed)
prepared = churn()
trained = churn_mlp(args.seed)
y_val, y_test = prepared.y_val.astype(int), prepared.y_test.astype(int)
dummy = DummyClassifier(strategy="most_frequent").fit(prepared.X_train, prepared.y_train)
scores = {
    "always no churn": dummy.predict_proba(prepared.X_test)[:, 1],
    "logistic regression": logistic()[1],
    "MLP 64-32": trained.p_test,
}
print(f"the network trained {len(trained.history['val_loss'])} epochs; the weights of epoch "
      f"{int(np.argmin(trained.history['val_loss'])) + 1} (lowest validation loss) were restored")

# %% [markdown]
# ## Accuracy alone misleads
#
# The dummy is right about 73% of the time and catches no churner.
# ROC AUC and average precision (the area under the PR curve) rank the models by their scores.

# %%
print(f"customers: {len(prepared.y_train):,} train, {len(y_val):,} validation, {len(y_test):,} test; "
      f"{y_test.mean():.1%} of the test customers churn")
print(f"{'model':<22}{'accuracy':>9}{'ROC AUC':>9}{'avg prec':>9}{'recall':>8}")
for name, s in scores.items():
    pred = (s >= 0.5).astype(int)
    print(f"{name:<22}{accuracy_score(y_test, pred):>9.3f}{roc_auc_score(y_test, s):>9.3f}"
          f"{average_precision_score(y_test, s):>9.3f}{pred[y_test == 1].mean():>8.3f}")

# %% [markdown]
# ## The confusion matrix as business outcomes
#
# Rows are what happened, columns what the model said (threshold 0.5).

# %%
pred_mlp = (trained.p_test >= 0.5).astype(int)
tn, fp, fn, tp = confusion_matrix(y_test, pred_mlp).ravel()
print(f"\nMLP at 0.5: {tp} churners caught, {fn} churners lost unwarned, "
      f"{fp} loyal customers bothered, {tn} loyal customers left in peace")
print(f"precision {precision_score(y_test, pred_mlp):.3f}, recall {recall_score(y_test, pred_mlp):.3f}, "
      f"F1 {f1_score(y_test, pred_mlp):.3f}, F2 {fbeta_score(y_test, pred_mlp, beta=2):.3f}")
print(classification_report(y_test, pred_mlp, target_names=["stays", "churns"], digits=3))

fig, ax = plt.subplots(figsize=(5.2, 4.4))
ConfusionMatrixDisplay(confusion_matrix(y_test, pred_mlp), display_labels=["stays", "churns"]).plot(
    ax=ax, cmap="Blues", colorbar=False, values_format="d")
labels = [["left in peace", "bothered\n(false alarm)"], ["lost unwarned\n(missed)", "caught"]]
for i in range(2):
    for j in range(2):
        ax.text(j, i + 0.3, labels[i][j], ha="center", va="center", fontsize=8, color="gray")
ax.set_title("Churn MLP on the test split, threshold 0.5")
ax.set_xlabel("model says")
ax.set_ylabel("customer actually")
coursekit.save_figure(fig, "churn_confusion_matrix")

# %% [markdown]
# ## ROC and precision-recall curves beside the baselines

# %%
fig, (ax_roc, ax_pr) = plt.subplots(1, 2, figsize=(10, 4.2))
for name, s in scores.items():
    fpr, tpr, _ = roc_curve(y_test, s)
    ax_roc.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(y_test, s):.3f})")
    if name == "always no churn":  # a constant score: one PR point, precision = the churn rate
        ax_pr.axhline(y_test.mean(), color=ax_roc.lines[-1].get_color(), ls=":",
                      label=f"{name}, any constant (AP {average_precision_score(y_test, s):.3f})")
        continue
    prec, rec, _ = precision_recall_curve(y_test, s)
    ax_pr.plot(rec, prec, color=ax_roc.lines[-1].get_color(), label=f"{name} (AP {average_precision_score(y_test, s):.3f})")
ax_roc.set(xlabel="false positive rate (loyal customers flagged)", ylabel="true positive rate (recall)",
           title="ROC curve, test split")
ax_pr.set(xlabel="recall (churners caught)", ylabel="precision (flagged who churn)",
          title="Precision-recall curve, test split", ylim=(0, 1.02))
for ax in (ax_roc, ax_pr):
    ax.legend(fontsize=8, loc="lower right" if ax is ax_roc else "upper right")
    ax.grid(alpha=0.3)
coursekit.save_figure(fig, "churn_roc_pr")

# %% [markdown]
# ## Precision, recall and F1 against the threshold -- chosen on VALIDATION data

# %%
thresholds = np.round(np.arange(0.02, 0.99, 0.01), 2)
curves = np.array([[metric(y_val, trained.p_val >= t, zero_division=0) for metric in (precision_score, recall_score, f1_score)]
                   for t in thresholds])
best_t = float(thresholds[int(np.argmax(curves[:, 2]))])
print(f"MLP threshold with the best validation F1: {best_t:.2f} (validation F1 {curves[:, 2].max():.3f})")
print(f"MLP test F1 at 0.5: {f1_score(y_test, trained.p_test >= 0.5):.3f}; "
      f"at {best_t:.2f}: {f1_score(y_test, trained.p_test >= best_t):.3f}")

tuned = TunedThresholdClassifierCV(LogisticRegression(max_iter=2000), scoring="f1", cv=5)
tuned.fit(prepared.X_train, prepared.y_train)
print(f"logistic regression, TunedThresholdClassifierCV (F1, 5-fold on train): threshold "
      f"{tuned.best_threshold_:.3f}, test F1 {f1_score(y_test, tuned.predict(prepared.X_test)):.3f} "
      f"(at 0.5: {f1_score(y_test, logistic()[1] >= 0.5):.3f})")

fig, ax = plt.subplots(figsize=(6.4, 4))
for k, name in enumerate(["precision", "recall", "F1"]):
    ax.plot(thresholds, curves[:, k], label=name)
ax.axvline(best_t, color="k", ls="--", lw=1, label=f"best validation F1 at {best_t:.2f}")
ax.axvline(0.5, color="gray", ls=":", lw=1, label="default 0.5")
ax.set(xlabel="decision threshold on P(churn)", ylabel="score on the validation split",
       title="Churn MLP: the threshold trades precision for recall")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
coursekit.save_figure(fig, "churn_threshold_sweep")
