"""Grader of exercise 5.1.3: ten classes -- softmax, and a loss that matches the labels.

The grader owns the harness: it calls ``one_hot`` and ``predict_classes`` on inputs the student has
not seen (hidden label arrays; a fixed, untrained softmax model whose argmax is known); it builds the
student's two digit networks, checks their output layer and that each loss fits the format of its
labels, trains each itself on integer or one-hot labels with the optimizer and loss the student
compiled (:func:`coursekit.graders.lesson_5_1.train`, early stopping on the validation loss) and
scores the test split itself. The student's functions see training and validation data only. The
target comes from the reference solution's spread over seeds 0-4 (the comment above it gives the
numbers) with a margin; the wrong answers in ``tests/graders/test_ex_5_1_3.py`` show that the check
aimed at each mistake fails and that its hint names the mistake.
"""

from __future__ import annotations

import keras
import numpy as np
from sklearn.metrics import accuracy_score, f1_score

import coursekit
from coursekit.grading import (agrees_with_reference, Exercise, is_compiled, is_model, loss_is, nonlinear_hidden,
                               output_layer, prepared)
from coursekit.training import predict

from .lesson_5_1 import train_or_fail

EX = Exercise("5.1.3", ("one_hot", "build_for_integer_labels", "build_for_one_hot_labels", "predict_classes"),
              targets={"epochs": 100, "test accuracy": 0.94})


def _one_hot_reference(labels, n_classes):
    return np.eye(n_classes, dtype=np.float32)[np.asarray(labels)]


@EX.part("one-hot encoding", points=2)
def _one_hot(student, ctx, v):
    rng = np.random.default_rng(7)
    cases = [(f"labels {list(labels[:6])} with {k} classes", (labels, k)) for labels, k in
             [(np.array([0, 2, 1, 2]), 3), (rng.integers(0, 10, size=50), 10), (np.array([4]), 5),
              (np.array([0, 0, 1]), 4), (np.array([0, 2, 1, 2]), 5), (rng.integers(0, 3, size=4), 3)]]
    agrees_with_reference(v, student, "one_hot", _one_hot_reference, cases, check="one_hot",
                          hint="row i has a 1 in column labels[i] and 0 elsewhere, as floats (shape (n, n_classes)); "
                               "the width is the number of classes, even when the largest class is absent from the labels")


def _digit_model(student, ctx, v, fn: str, labels: str, loss_ok, loss_text, loss_hint):
    digits = prepared("digits")
    coursekit.set_seed(ctx.seed)
    model = student.call(fn, digits.n_features, 10)
    if not (is_model(v, labels, model) and is_compiled(v, labels, model)):
        return
    nonlinear_hidden(v, labels, model)
    output_layer(v, labels, model, 10, "softmax", "one unit per class, with a softmax: the outputs form a probability distribution")
    loss_is(v, labels, model, loss_ok, loss_text, loss_hint)
    y_train, y_val = digits.y_train, digits.y_val
    if labels == "one-hot labels":
        y_train, y_val = (np.eye(10, dtype=np.float32)[y] for y in (y_train, y_val))
    if not train_or_fail(v, labels, model, digits.X_train, y_train, digits.X_val, y_val, seed=ctx.seed,
                         epochs=EX.target("epochs"), batch_size=32, patience=10):
        return
    probs = predict(model, digits.X_test)
    sums = probs.sum(axis=1) if probs.ndim == 2 else np.zeros(1)
    v.check(f"{labels}: rows sum to 1", probs.ndim == 2 and np.allclose(sums, 1, atol=1e-4),
            f"{sums.min():.3f}-{sums.max():.3f}", "1.000", "a softmax output makes each row a distribution over the ten digits")
    y_pred = probs.argmax(axis=1) if probs.ndim == 2 else np.zeros(len(digits.y_test))
    # Measured over seeds 0-4 (solution: 64 ReLU units): accuracy 0.967-0.978 and macro F1 0.967-0.978 for
    # both label formats (the same seed gives the same network either way).
    v.at_least(f"test_accuracy ({labels})", accuracy_score(digits.y_test, y_pred), EX.target("test accuracy"),
               "a softmax over ten classes trained with the cross-entropy that matches the labels' format")
    v.metric(f"test_macro_f1 ({labels})", f1_score(digits.y_test, y_pred, average="macro"))


@EX.part("integer labels", points=3)
def _integer(student, ctx, v):
    _digit_model(student, ctx, v, "build_for_integer_labels", "integer labels", ("sparsecategoricalcrossentropy",),
                 "sparse categorical cross-entropy",
                 "labels 0-9 as integers need the sparse variant of categorical cross-entropy")


@EX.part("one-hot labels", points=3)
def _onehot_model(student, ctx, v):
    _digit_model(student, ctx, v, "build_for_one_hot_labels", "one-hot labels", ("categoricalcrossentropy",),
                 "categorical cross-entropy", "one-hot rows need categorical cross-entropy (the sparse variant expects integers)")


@EX.part("predicted classes", points=2)
def _classes(student, ctx, v):
    digits = prepared("digits")
    coursekit.set_seed(1234)  # a fixed, untrained softmax model: its argmax is known without training
    probe = keras.Sequential([keras.Input(shape=(digits.n_features,)), keras.layers.Dense(10, activation="softmax")])
    X = digits.X_val[:200]
    got = np.asarray(student.call("predict_classes", probe, X.copy()))
    want = np.argmax(probe.predict(X, verbose=0), axis=1)
    ok = got.shape == want.shape and np.array_equal(got.astype(int), want)
    v.check("predict_classes", ok, f"shape {got.shape}, {np.mean(got == want) if got.shape == want.shape else 0:.2f} agree",
            f"shape {want.shape}, all agree with the argmax", "the class of a row is the index of its largest probability, "
            "taken along the class axis (one answer per row)")
