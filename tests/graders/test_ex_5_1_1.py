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
