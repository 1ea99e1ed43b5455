"""Wrong answers to exercise 5.1.2: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_1_2.py``)."""

from __future__ import annotations

from coursekit.graders.ex_5_1_2 import EX, sigmoid_baseline
from coursekit.graders.lesson_5_1 import mlp
from coursekit.grading import assert_fails


def test_5_1_2_rejects_keeping_sigmoid(reference, seed):
    wrong = reference("5.1.2").replaced(build_deep_narrow=lambda n: sigmoid_baseline(n))
    assert_fails(EX.grade(wrong, seed), "test_auc", "sigmoid")


def test_5_1_2_rejects_linear_layers_and_a_shallower_network(reference, seed):
    linear = reference("5.1.2").replaced(build_deep_narrow=lambda n: mlp(n, [16] * 12, act="linear"))
    assert_fails(EX.grade(linear, seed, only=["the given architecture"]), "hidden layers are non-linear", "linear")
    shallow = reference("5.1.2").replaced(build_deep_narrow=lambda n: mlp(n, [64, 32], init="he_normal"))
    assert_fails(EX.grade(shallow, seed, only=["the given architecture"]), "hidden widths", "depth")
