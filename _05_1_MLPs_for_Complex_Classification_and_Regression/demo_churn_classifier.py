# %% [markdown]
# # An MLP churn classifier on the real IBM Telco table, beside logistic regression
#
# What it shows: the input width follows the preprocessing (40 columns after scaling and one-hot
# encoding, fit on the training split only); a binary task ends in one sigmoid unit trained with
# binary cross-entropy; early stopping picks the epoch on the validation split; the test split is
# scored once, for the MLP and for a logistic-regression baseline on the same split.
#
# Figures: learning curves (loss and AUC, train vs validation) and both ROC curves.
#
# Run it as a script, `python demo_churn_classifier.py` (or `course run 5.1 churn_classifier`), or
# as a notebook: `course notebook 5.1`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.1")  # --seed and --figures from a shell; the defaults in a notebook

import keras
import matplotlib.pyplot as plt
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve

import data

# %% [markdown]
# ## The data
#
# First seed everything. The data: 7,043 real customers, 26.5% of whom left. `prepare_churn` splits
# 60/20/20 (stratified) and fits the scaler and one-hot encoder on the training rows only.

# %%
coursekit.set_seed(args.seed)
churn = data.prepare_churn()
n_rows = len(churn.y_train) + len(churn.y_val) + len(churn.y_test)
print(f"{n_rows:,} customers, {len(data.churn.FEATURES)} raw features; train/val/test rows: "
      f"{len(churn.y_train):,}/{len(churn.y_val):,}/{len(churn.y_test):,}; input width after preprocessing: "
      f"{churn.n_features}; churn rate {churn.y_train.mean():.3f}")

# %% [markdown]
# ## The network
#
# Two hidden ReLU layers and one sigmoid output (the probability of churn).

# %%
model = keras.Sequential(
    [
        keras.Input(shape=(churn.n_features,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss="binary_crossentropy",
    metrics=[keras.metrics.AUC(name="auc")],
    steps_per_execution=32,
)
model.summary()

# %% [markdown]
# ## Depth costs weights
#
# Which design is bigger depends on the widths, not on the shape: with 40 inputs a narrowing
# 128-64-32 pyramid has more parameters (weights and biases) than 64-64-64. Each Dense layer costs
# the product of the widths on either side of it, plus its biases.

# %%
for widths in [(128, 64, 32), (64, 64, 64), (64, 32)]:
    design = keras.Sequential([keras.Input(shape=(churn.n_features,))]
                              + [keras.layers.Dense(w) for w in widths] + [keras.layers.Dense(1)])
    per_layer = " + ".join(f"{layer.count_params():,}" for layer in design.layers)
    print(f"hidden {'-'.join(map(str, widths))}: {design.count_params():,} parameters ({per_layer}, layer by layer)")

# %% [markdown]
# ## Training
#
# `model.fit` with the validation split and an `EarlyStopping` callback: at most 60 epochs; it
# watches the validation AUC and restores the best epoch's weights. (Patience is generous here so
# the curves show what happens after the best epoch.)

# %%
stop = keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=15, restore_best_weights=True)
history = model.fit(
    churn.X_train, churn.y_train, validation_data=(churn.X_val, churn.y_val),
    epochs=60, batch_size=64, callbacks=[stop], verbose=0,
)
best_epoch = history.history["val_auc"].index(max(history.history["val_auc"])) + 1
print(f"epochs run: {len(history.epoch)}, best epoch on validation: {best_epoch}")

# %% [markdown]
# ## The test split
#
# Touched once: `model.evaluate` gives the compiled loss and AUC, `model.predict` the churn
# probabilities; a logistic-regression baseline is scored on the same split.

# %%
test_loss, test_auc = model.evaluate(churn.X_test, churn.y_test, verbose=0)
print(f"model.evaluate on the test split: loss {test_loss:.3f}, AUC {test_auc:.3f}")
p_mlp = model.predict(churn.X_test, verbose=0).ravel()
baseline = LogisticRegression(max_iter=2000).fit(churn.X_train, churn.y_train)
p_lr = baseline.predict_proba(churn.X_test)[:, 1]
auc_mlp, auc_lr = roc_auc_score(churn.y_test, p_mlp), roc_auc_score(churn.y_test, p_lr)
print(f"test ROC AUC: MLP {auc_mlp:.3f}, logistic regression {auc_lr:.3f}")

# %% [markdown]
# ## Figures
#
# Learning curves, then the two ROC curves.

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
epochs = range(1, len(history.epoch) + 1)
for ax, key, label in [(axes[0], "loss", "binary cross-entropy"), (axes[1], "auc", "ROC AUC")]:
    ax.plot(epochs, history.history[key], label="train")
    ax.plot(epochs, history.history[f"val_{key}"], label="validation")
    ax.axvline(best_epoch, color="grey", linestyle=":", label=f"best epoch ({best_epoch})")
    ax.set_xlabel("epoch")
    ax.set_ylabel(label)
    ax.legend()
fig.suptitle("Churn MLP: learning curves")
coursekit.save_figure(fig, "churn_learning_curves")

fig, ax = plt.subplots(figsize=(4.8, 4.2))
for name, p, auc in [("MLP", p_mlp, auc_mlp), ("logistic regression", p_lr, auc_lr)]:
    fpr, tpr, _ = roc_curve(churn.y_test, p)
    ax.plot(fpr, tpr, label=f"{name} (AUC {auc:.3f})")
ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="chance")
ax.set_xlabel("false positive rate")
ax.set_ylabel("true positive rate")
ax.set_title("Churn, test split")
ax.legend(loc="lower right")
coursekit.save_figure(fig, "churn_roc")
