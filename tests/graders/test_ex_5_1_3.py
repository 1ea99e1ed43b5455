"""Wrong answers to exercise 5.1.3: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_1_3.py``)."""

from __future__ import annotations

import numpy as np

from coursekit.graders.ex_5_1_3 import EX
from coursekit.graders.lesson_5_1 import mlp
from coursekit.grading import assert_fails


def test_5_1_3_rejects_an_off_by_one_one_hot_and_a_wrong_axis(reference, seed):
    ref = reference("5.1.3")
    narrow = ref.replaced(one_hot=lambda y, k: np.eye(int(np.max(y)) + 1, dtype=np.float32)[y])
    assert_fails(EX.grade(narrow, seed, only=["one-hot encoding"]), "one_hot", "number of classes")
    axis0 = ref.replaced(predict_classes=lambda model, X: np.argmax(model.predict(X, verbose=0), axis=0))
    assert_fails(EX.grade(axis0, seed, only=["predicted classes"]), "predict_classes", "class axis")


def test_5_1_3_rejects_sigmoid_outputs_and_a_loss_for_the_other_label_format(reference, seed):
    ref = reference("5.1.3")
    sigmoid = ref.replaced(build_for_integer_labels=lambda n, k: mlp(n, [64], k, "sigmoid", loss="sparse_categorical_crossentropy"))
    assert_fails(EX.grade(sigmoid, seed, only=["integer labels"]), "integer labels output layer", "softmax")
    swapped = ref.replaced(build_for_one_hot_labels=lambda n, k: mlp(n, [64], k, "softmax", loss="sparse_categorical_crossentropy"))
    verdict = EX.grade(swapped, seed, only=["one-hot labels"])
    assert_fails(verdict, "one-hot labels loss", "sparse")


def test_5_1_3_grades_softmax_logits_as_the_same_classifier(reference, seed):
    """Dense(10) with no activation and SparseCategoricalCrossentropy(from_logits=True) is graded correct."""
    import keras

    logits = reference("5.1.3").replaced(build_for_integer_labels=lambda n, k: mlp(
        n, [64], k, None, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)))
    verdict = EX.grade(logits, seed, only=["integer labels"])
    assert not verdict.failures, verdict.report()


def test_5_1_3_rejects_one_hot_rows_of_integers(reference, seed):
    """The dtype contract: one-hot rows are floats (float32), not the integers np.eye(k, dtype=int) gives."""
    wrong = reference("5.1.3").replaced(one_hot=lambda labels, k: np.eye(k, dtype=int)[labels])
    assert_fails(EX.grade(wrong, seed, only=["one-hot encoding"]), "one_hot", "floats")


def test_5_1_3_rejects_one_hot_memoised_by_shape(reference, seed):
    """State between calls: the rows of the first label array of a shape come back for the next one."""
    memo = {}

    def one_hot(labels, k):
        return memo.setdefault((labels.shape, k), np.eye(k, dtype=np.float32)[labels])
    wrong = reference("5.1.3").replaced(one_hot=one_hot)
    assert_fails(EX.grade(wrong, seed, only=["one-hot encoding"]), "one_hot", "state")


def test_5_1_3_rejects_one_hot_that_sorts_the_labels_in_place(reference, seed):
    """Arguments changed in place: the caller's labels come back sorted."""
    def one_hot(labels, k):
        labels.sort()
        return np.eye(k, dtype=np.float32)[labels]
    wrong = reference("5.1.3").replaced(one_hot=one_hot)
    assert_fails(EX.grade(wrong, seed, only=["one-hot encoding"]), "one_hot runs", "in place")
