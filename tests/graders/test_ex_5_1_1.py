"""Wrong answers to exercise 5.1.1: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_1_1.py``)."""

from __future__ import annotations

from coursekit.graders.ex_5_1_1 import EX
from coursekit.graders.lesson_5_1 import mlp
from coursekit.grading import assert_fails


def test_5_1_1_rejects_a_count_without_biases(reference, seed):
    wrong = reference("5.1.1").replaced(count_params=lambda n, hidden, k=1: sum(
        a * b for a, b in zip([n, *hidden], [*hidden, k])))
    assert_fails(EX.grade(wrong, seed, only=["counting weights"]), "count_params matches Keras", "bias")


def test_5_1_1_rejects_a_count_without_the_output_layer(reference, seed):
    wrong = reference("5.1.1").replaced(count_params=lambda n, hidden, k=1: sum(
        a * b + b for a, b in zip([n, *hidden[:-1]], hidden)))
    assert_fails(EX.grade(wrong, seed, only=["counting weights"]), "count_params matches Keras", "output layer")


def test_5_1_1_rejects_a_deep_network_over_budget_and_trained_with_mse(reference, seed):
    wrong = reference("5.1.1").replaced(build_deep=lambda n: mlp(n, [128, 64, 32], loss="mse"))
    verdict = EX.grade(wrong, seed, only=["deep network"])
    assert_fails(verdict, "deep weights", "budget")
    assert_fails(verdict, "deep loss", "squared error")


def test_5_1_1_rejects_a_shallow_network_with_two_layers(reference, seed):
    wrong = reference("5.1.1").replaced(build_shallow=lambda n: mlp(n, [32, 16]))
    assert_fails(EX.grade(wrong, seed, only=["shallow network"]), "shallow depth", "hidden layers")


def test_5_1_1_grades_the_logits_form_as_the_same_classifier(reference, seed):
    """Dense(1) with no activation and BinaryCrossentropy(from_logits=True) is the same model as a
    sigmoid output: graded correct; a linear output trained with the plain log loss is not."""
    import keras

    logits = reference("5.1.1").replaced(build_shallow=lambda n: mlp(
        n, [32], out_act=None, loss=keras.losses.BinaryCrossentropy(from_logits=True)))
    verdict = EX.grade(logits, seed, only=["shallow network"])
    assert not verdict.failures, verdict.report()
    plain = reference("5.1.1").replaced(build_shallow=lambda n: mlp(n, [32], out_act=None))
    assert_fails(EX.grade(plain, seed, only=["shallow network"]), "shallow output layer", "probability")


def _count(n, hidden, k=1):
    sizes = [n, *hidden, k]
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def test_5_1_1_rejects_a_count_that_empties_the_list_it_is_given(reference, seed):
    """Arguments changed in place: the caller's list of widths is used up."""
    def count_params(n, hidden, k=1):
        total, width = 0, n
        while hidden:
            units = hidden.pop(0)
            total, width = total + width * units + units, units
        return total + width * k + k
    wrong = reference("5.1.1").replaced(count_params=count_params)
    assert_fails(EX.grade(wrong, seed, only=["counting weights"]), "count_params runs", "in place", "copy")


def test_5_1_1_rejects_a_count_that_ignores_the_number_of_outputs(reference, seed):
    """An argument silently ignored: one output unit whatever n_outputs says."""
    wrong = reference("5.1.1").replaced(count_params=lambda n, hidden, k=1: _count(n, hidden, 1))
    assert_fails(EX.grade(wrong, seed, only=["counting weights"]), "count_params matches Keras", "n_outputs")


def test_5_1_1_rejects_a_count_memoised_by_depth(reference, seed):
    """State between calls: an answer cached under a key that two different networks share."""
    memo = {}

    def count_params(n, hidden, k=1):
        return memo.setdefault(len(hidden), _count(n, hidden, k))
    wrong = reference("5.1.1").replaced(count_params=count_params)
    assert_fails(EX.grade(wrong, seed, only=["counting weights"]), "count_params matches Keras", "state")


def test_5_1_1_rejects_a_count_returned_as_a_float_or_numpy_number(reference, seed):
    """The dtype contract: a count is a Python int."""
    import numpy as np

    wrong = reference("5.1.1").replaced(count_params=lambda n, hidden, k=1: np.float64(_count(n, hidden, k)))
    assert_fails(EX.grade(wrong, seed, only=["counting weights"]), "count_params matches Keras", "python int")


def test_5_1_1_rejects_a_deep_network_whose_hidden_layers_are_linear(reference, seed):
    """A model that misses the concept but meets the metric: without activations the deep network is a
    logistic regression (the churn signal is nearly linear, so its AUC alone would not tell)."""
    wrong = reference("5.1.1").replaced(build_deep=lambda n: mlp(n, [32, 32, 16], act=None))
    assert_fails(EX.grade(wrong, seed, only=["deep network"]), "deep hidden non-linearities", "linear", "collapse")


def test_5_1_1_rejects_one_linear_layer_among_relu_ones(reference, seed):
    import keras

    def build_deep(n):
        model = keras.Sequential([keras.Input((n,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(32),
                                  keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
        model.compile("adam", "binary_crossentropy")
        return model
    wrong = reference("5.1.1").replaced(build_deep=build_deep)
    assert_fails(EX.grade(wrong, seed, only=["deep network"]), "deep hidden non-linearities", "activation")
