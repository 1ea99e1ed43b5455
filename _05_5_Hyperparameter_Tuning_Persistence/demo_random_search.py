# %% [markdown]
# # Random search with RandomizedSearchCV: a learning rate from a log-uniform law, activation and optimizer as dimensions
#
# scikeras's own `KerasClassifier`, imported plainly from `scikeras.wrappers`, with the one method it
# needs under scikit-learn >= 1.6: without it, scikit-learn does not see a classifier, so `cv=5`
# means KFold rather than StratifiedKFold and the "roc_auc" scorer refuses it. Then
# `RandomizedSearchCV` draws 8 candidates for the churn network: Adam's, SGD's or RMSprop's learning
# rate from `scipy.stats.loguniform`, and the hidden activation and the optimizer from lists. Each
# candidate is scored by 2-fold stratified cross-validation on the training rows, with the
# preprocessing inside the pipeline.
#
# Run it as a script, `python demo_random_search.py` (or `course run 5.5 random_search`), or as a
# notebook: `course notebook 5.5`. It takes about 15-25 s on 2 cores.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.5")  # --seed and --figures from a shell; the defaults in a notebook

import time

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scikeras.wrappers import KerasClassifier
from scipy.stats import loguniform
from sklearn.base import is_classifier
from sklearn.metrics import get_scorer, roc_auc_score
from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold, check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import ClassifierTags

import data
from data import churn as schema

# %% [markdown]
# ## Set-up
#
# Raw churn columns in (the preprocessor is a pipeline step, refitted in every fold), churn 0/1 out.
# The test split is scored once, by the refitted winner.

# %%
coursekit.set_seed(args.seed)
split = data.split_churn()
X_train, y_train = split.train[schema.FEATURES], split.train[schema.TARGET].to_numpy()
X_test, y_test = split.test[schema.FEATURES], split.test[schema.TARGET].to_numpy()


def build(meta, activation="relu", optimizer="adam", learning_rate=1e-3):
    model = keras.Sequential([keras.Input(shape=(meta["n_features_in_"],)),
                              keras.layers.Dense(32, activation=activation),
                              keras.layers.Dense(1, activation="sigmoid")])
    optimizers = {"adam": keras.optimizers.Adam(learning_rate), "rmsprop": keras.optimizers.RMSprop(learning_rate),
                  "sgd": keras.optimizers.SGD(learning_rate, momentum=0.9)}
    model.compile(optimizers[optimizer], "binary_crossentropy", steps_per_execution=32)
    return model


# %% [markdown]
# ## scikeras as it ships, and the one-method fix
#
# scikeras 0.13 declares its estimator type through an attribute that scikit-learn 1.6 stopped
# reading. scikit-learn then treats the wrapper as a regressor: an integer `cv` builds KFold, and
# the "roc_auc" scorer takes both columns of `predict_proba` and fails (inside a search, such a
# score becomes NaN with a warning). Declaring the type in `__sklearn_tags__` mends both;
# `coursekit.sk` holds the same method (and reads TensorFlow's determinism flag early). The check
# fits each wrapper once, for 2 epochs on 400 rows.

# %%
class Classifier(KerasClassifier):
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type, tags.classifier_tags, tags.regressor_tags = "classifier", ClassifierTags(), None
        return tags


def pipeline(wrapper):
    return Pipeline([("prep", data.churn_preprocessor()),
                     ("clf", wrapper(model=build, epochs=10, batch_size=128, verbose=0, random_state=args.seed))])


small_X, small_y = X_train.head(400), y_train[:400]
for label, wrapper in [("scikeras.wrappers.KerasClassifier", KerasClassifier), ("with __sklearn_tags__", Classifier)]:
    pipe = pipeline(wrapper)
    folds = type(check_cv(5, small_y, classifier=is_classifier(pipe))).__name__
    pipe.set_params(clf__epochs=2).fit(small_X, small_y)
    try:
        auc = f"{get_scorer('roc_auc')(pipe, small_X, small_y):.2f}"
    except ValueError as exc:
        auc = f"refused ({exc})"
    print(f"{label}: is_classifier {is_classifier(pipe)}, cv=5 makes {folds}, roc_auc scorer: {auc}")

# %% [markdown]
# ## The random search
#
# A distribution for the learning rate (log-uniform from `1e-4` to `1e-1`: each decade is drawn as
# often), lists for the two categorical dials, 8 draws, and the folds given explicitly.

# %%
space = {
    "clf__model__learning_rate": loguniform(1e-4, 1e-1),
    "clf__model__activation": ["relu", "tanh", "gelu"],
    "clf__model__optimizer": ["adam", "rmsprop", "sgd"],
}
search = RandomizedSearchCV(pipeline(Classifier), space, n_iter=8, scoring="roc_auc",
                            cv=StratifiedKFold(2, shuffle=True, random_state=args.seed), random_state=args.seed)
start = time.perf_counter()
search.fit(X_train, y_train)
seconds = time.perf_counter() - start
print(f"random search: 8 candidates x 2 folds + 1 refit = 17 networks, ~{seconds:.0f} s")
res = pd.DataFrame(search.cv_results_)
table = pd.DataFrame({
    "learning_rate": res["param_clf__model__learning_rate"].astype(float),
    "activation": res["param_clf__model__activation"],
    "optimizer": res["param_clf__model__optimizer"],
    "cv_auc": res["mean_test_score"],
    "fold_spread": res["std_test_score"],
    "rank": res["rank_test_score"],
}).sort_values("rank")
print(table.to_string(index=False, formatters={"learning_rate": "{:.2e}".format, "cv_auc": "{:.4f}".format,
                                                 "fold_spread": "{:.4f}".format}))
best = search.best_params_
print(f"best: {best['clf__model__optimizer']} at learning rate {best['clf__model__learning_rate']:.2e} with "
      f"{best['clf__model__activation']}, CV ROC AUC {search.best_score_:.4f}")
print(f"refit winner, test ROC AUC: {roc_auc_score(y_test, search.predict_proba(X_test)[:, 1]):.4f}")

# %% [markdown]
# ## The figure
#
# Each candidate's cross-validated AUC against its learning rate (log axis), coloured by optimizer,
# marked by activation; the grey bars are one standard deviation across the two folds.

# %%
fig, ax = plt.subplots(figsize=(7, 3.8))
colours = {"adam": "tab:blue", "rmsprop": "tab:green", "sgd": "tab:red"}
markers = {"relu": "o", "tanh": "s", "gelu": "^"}
ax.errorbar(table["learning_rate"], table["cv_auc"], yerr=table["fold_spread"], fmt="none", ecolor="lightgrey", zorder=1)
for row in table.itertuples():
    ax.scatter(row.learning_rate, row.cv_auc, color=colours[row.optimizer], marker=markers[row.activation], s=60, zorder=2)
for name, colour in colours.items():
    ax.scatter([], [], color=colour, label=name)
for name, marker in markers.items():
    ax.scatter([], [], color="grey", marker=marker, label=name)
ax.set_xscale("log")
ax.set_xlabel("learning rate (drawn log-uniform)")
ax.set_ylabel("2-fold CV ROC AUC (bar: fold std)")
ax.set_title("RandomizedSearchCV: 8 draws of rate, activation and optimizer")
ax.legend(ncol=2, fontsize=8)
coursekit.save_figure(fig, "random_search")
