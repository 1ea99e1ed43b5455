"""Grader of exercise 5.1.1: depth vs width under a parameter budget.

The grader owns the harness: it calls ``count_params`` on networks the student has not seen and
compares with Keras's own count; it builds the student's deep and shallow churn networks, checks
their depth, their weights against the budget, their output layer and loss, trains each itself with
the optimizer and loss the student compiled (:func:`coursekit.graders.lesson_5_1.train`, early
stopping on the validation loss) and scores the test split itself. The student's functions see
training and validation data only. Each target comes from the reference solution's spread over seeds
0-4 (the comment above it gives the numbers) with a margin; the wrong answers in
``tests/graders/test_ex_5_1_1.py`` show that the check aimed at each mistake fails and that its hint
names the mistake.
"""

from __future__ import annotations

import keras
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

import coursekit
from coursekit.grading import (agrees_with_reference, dense_layers, Exercise, is_compiled, is_model, loss_is,
                               nonlinear_hidden, output_layer, plain, prepared, Student, rubric_cache)
from coursekit.training import predict

from .lesson_5_1 import train_or_fail

EX = Exercise("5.1.1", ("count_params", "build_deep", "build_shallow"),
              targets={"weights": 3_000, "test ROC AUC": 0.815, "epochs": 40})
# Networks the student has not seen: (inputs, hidden widths, outputs).
_COUNT_CASES = [(40, [64], 1), (13, [7, 5, 3], 2), (261, [32, 16], 1), (64, [], 10), (5, [1, 1, 1, 1], 3), (40, [128, 64, 32], 1)]


def _keras_count(n_inputs, hidden, n_outputs=1) -> int:
    layers = [keras.Input(shape=(n_inputs,))] + [keras.layers.Dense(w) for w in hidden] + [keras.layers.Dense(n_outputs)]
    return int(keras.Sequential(layers).count_params())


@EX.part("counting weights", points=3)
def _count(student: Student, ctx, v):
    cases = [(f"{n} inputs, hidden {h}, {k} outputs", (n, list(h), k)) for n, h, k in _COUNT_CASES]
    cases.insert(2, ("40 inputs, hidden [64], the default output", (40, [64])))
    agrees_with_reference(v, student, "count_params", _keras_count, cases, check="count_params matches Keras",
                          same=lambda mine, want: type(plain(mine)) is int and mine == want,
                          hint="every Dense layer has inputs x units weights plus one bias per unit; count the "
                               "output layer too (n_outputs units), and return a Python int")


def _design(student, ctx, v, name: str, depth_ok, depth_text: str):
    churn = prepared("churn")
    coursekit.set_seed(ctx.seed)
    model = student.call(f"build_{name}", churn.n_features)
    if not (is_model(v, name, model) and is_compiled(v, name, model)):
        return
    hidden = dense_layers(model)[:-1]
    v.check(f"{name} depth", depth_ok(len(hidden)), f"{len(hidden)} hidden Dense layers", depth_text,
            "count only the hidden layers: the output layer is not one of them")
    budget = EX.target("weights")
    v.at_most(f"{name} weights", model.count_params(), budget,
              f"the budget is {budget:,} weights per network: count them before you build")
    nonlinear_hidden(v, name, model)
    output_layer(v, name, model, 1, "sigmoid", "a yes/no target needs one unit that gives a probability")
    loss_is(v, name, model, ("binarycrossentropy",), "binary cross-entropy",
          "a probability of a yes/no event is trained with the log loss of the Bernoulli distribution, not a squared error")
    if not train_or_fail(v, name, model, churn.X_train, churn.y_train, churn.X_val, churn.y_val,
                         seed=ctx.seed, epochs=EX.target("epochs"), batch_size=128, patience=6):
        return
    v.metric(f"val_auc_{name}", roc_auc_score(churn.y_val, predict(model, churn.X_val)))
    # Measured over seeds 0-4 (solution 32-32-16 and 64): deep 0.830-0.841, shallow 0.835-0.842;
    # logistic regression 0.843. A network that learned nothing scores 0.5.
    v.at_least(f"test_auc_{name}", roc_auc_score(churn.y_test, predict(model, churn.X_test)), EX.target("test ROC AUC"),
               "a churn network within the budget ranks customers about as well as logistic regression; check the "
               "output, the loss and the optimizer's learning rate")


@EX.part("deep network", points=3.5)
def _deep(student, ctx, v):
    _design(student, ctx, v, "deep", lambda n: n >= 3, ">= 3")


@EX.part("shallow network", points=3.5)
def _shallow(student, ctx, v):
    _design(student, ctx, v, "shallow", lambda n: n == 1, "== 1")
    if "val_auc_deep" in v.metrics and "val_auc_shallow" in v.metrics:
        v.metric("logistic_regression_test_auc", _logistic_regression_test_auc())


@rubric_cache
def _logistic_regression_test_auc() -> float:
    churn = prepared("churn")
    model = LogisticRegression(max_iter=2000).fit(churn.X_train, churn.y_train)
    return roc_auc_score(churn.y_test, model.predict_proba(churn.X_test)[:, 1])
