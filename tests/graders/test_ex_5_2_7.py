"""Wrong answers to exercise 5.2.7: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_2_7.py``)."""

from __future__ import annotations

import numpy as np

from coursekit.graders.ex_5_2_7 import EX
from coursekit.grading import assert_fails


def _forward_differences(loss_fn, variables, eps):
    """Two evaluations per weight (the base loss again each time), weights restored: only the formula is wrong."""
    grads = []
    for var in variables:
        original = np.array(var.numpy())
        grad = np.zeros(original.shape)
        for i in np.ndindex(original.shape):
            var.assign(original)
            base = float(loss_fn())
            moved = original.copy()
            moved[i] += eps
            var.assign(moved)
            grad[i] = (float(loss_fn()) - base) / eps
        var.assign(original)
        grads.append(grad)
    return grads


def _once_per_variable(loss_fn, variables, eps):
    """Forward differences with the base loss read once per variable: n + 1 evaluations."""
    grads = []
    for var in variables:
        original = np.array(var.numpy())
        base = float(loss_fn())
        grad = np.zeros(original.shape)
        for i in np.ndindex(original.shape):
            moved = original.copy()
            moved[i] += eps
            var.assign(moved)
            grad[i] = (float(loss_fn()) - base) / eps
        var.assign(original)
        grads.append(grad)
    return grads


def _not_restored(loss_fn, variables, eps):
    """Central differences that leave each entry at w - eps."""
    grads = []
    for var in variables:
        values = np.array(var.numpy())
        grad = np.zeros(values.shape)
        for i in np.ndindex(values.shape):
            w = values[i]
            values[i] = w + eps
            var.assign(values)
            up = float(loss_fn())
            values[i] = w - eps
            var.assign(values)
            grad[i] = (up - float(loss_fn())) / (2 * eps)
        grads.append(grad)
    return grads


def test_5_2_7_rejects_forward_differences_and_a_one_sided_count(reference, seed):
    ref = reference("5.2.7")
    verdict = EX.grade(ref.replaced(numerical_gradient=_forward_differences), seed, only=["numerical gradient"])
    assert_fails(verdict, "log10 error of the numerical gradient", "central differences")
    assert {"loss evaluations per weight", "weights unchanged"}.isdisjoint(verdict.failed_names()), verdict.report()
    verdict = EX.grade(ref.replaced(numerical_gradient=_once_per_variable), seed, only=["numerical gradient"])
    assert_fails(verdict, "loss evaluations per weight", "twice per weight")


def test_5_2_7_rejects_weights_left_moved(reference, seed):
    verdict = EX.grade(reference("5.2.7").replaced(numerical_gradient=_not_restored), seed, only=["numerical gradient"])
    assert_fails(verdict, "weights unchanged", "back to its original value")


def test_5_2_7_rejects_an_unnormalised_error_and_a_per_array_mean(reference, seed):
    ref = reference("5.2.7")
    unnormalised = ref.replaced(relative_error=lambda a, b: float(np.linalg.norm(
        np.concatenate([np.ravel(x) for x in a]) - np.concatenate([np.ravel(x) for x in b]))))
    assert_fails(EX.grade(unnormalised, seed, only=["relative error"]), "relative_error", "divide")

    def per_array(a, b):
        errs = [np.linalg.norm(x - y) / (np.linalg.norm(x) + np.linalg.norm(y) or 1.0) for x, y in zip(a, b)]
        return float(np.mean(errs))

    assert_fails(EX.grade(ref.replaced(relative_error=per_array), seed, only=["relative error"]), "relative_error",
           "all arrays together")


def test_5_2_7_rejects_a_numerical_gradient_taken_from_the_tape(reference, seed):
    ref = reference("5.2.7")
    from_tape = ref.replaced(numerical_gradient=lambda loss_fn, variables, eps: ref.module.autodiff_gradient(loss_fn, variables))
    assert_fails(EX.grade(from_tape, seed, only=["checking a network's backward pass"]),
           "relative error, broken backward pass", "loss values only")


def _fixed_eps(loss_fn, variables, eps):
    """Central differences with the eps the lesson used, whatever eps is given."""
    grads = []
    for var in variables:
        original = np.array(var.numpy())
        moved, grad = original.copy(), np.zeros(original.shape)
        for i in np.ndindex(original.shape):
            for sign in (1, -1):
                moved[i] = original[i] + sign * 1e-6
                var.assign(moved)
                grad[i] += sign * float(loss_fn()) / 2e-6
            moved[i] = original[i]
        var.assign(original)
        grads.append(grad)
    return grads


def test_5_2_7_rejects_an_eps_fixed_inside_the_function(reference, seed):
    """An argument ignored: the central difference at eps=1e-6 is right on the lesson's eps and wrong on any other."""
    verdict = EX.grade(reference("5.2.7").replaced(numerical_gradient=_fixed_eps), seed, only=["numerical gradient"])
    assert_fails(verdict, "numerical gradient honours eps", "eps you are given")
    assert "log10 error of the numerical gradient" not in verdict.failed_names(), verdict.report()


def test_5_2_7_forward_differences_also_miss_the_central_difference_at_a_large_eps(reference, seed):
    verdict = EX.grade(reference("5.2.7").replaced(numerical_gradient=_forward_differences), seed, only=["numerical gradient"])
    assert_fails(verdict, "numerical gradient honours eps", "(l(w + eps) - l(w - eps)) / (2 eps)")


def _flat(a):
    return np.concatenate([np.ravel(np.asarray(x, np.float64)) for x in a])


def test_5_2_7_rejects_a_wrong_denominator_and_a_guard_that_is_too_large(reference, seed):
    ref = reference("5.2.7")

    def larger_norm(a, b):  # ||a - b|| / max(||a||, ||b||)
        a, b = _flat(a), _flat(b)
        scale = max(np.linalg.norm(a), np.linalg.norm(b))
        return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)

    def guarded(a, b):  # a constant in the denominator instead of the case where both are zero
        a, b = _flat(a), _flat(b)
        return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b) + 1e-8))

    def norm_of_sum(a, b):  # ||a - b|| / ||a + b||: infinite for opposite gradients
        a, b = _flat(a), _flat(b)
        scale = np.linalg.norm(a + b)
        return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)

    for wrong in (larger_norm, guarded, norm_of_sum):
        assert_fails(EX.grade(ref.replaced(relative_error=wrong), seed, only=["relative error"]), "relative_error",
                     "||a|| + ||b||")
    assert_fails(EX.grade(ref.replaced(relative_error=guarded), seed, only=["relative error"]), "relative_error",
                 "small constant")


def test_5_2_7_rejects_a_relative_error_remembered_between_calls(reference, seed):
    """State between calls: the error of the first pair of a number of arrays comes back for the next pairs."""
    memo = {}

    def remembered(a, b):
        a_, b_ = _flat(a), _flat(b)
        scale = np.linalg.norm(a_) + np.linalg.norm(b_)
        return memo.setdefault(len(a), 0.0 if scale == 0 else float(np.linalg.norm(a_ - b_) / scale))
    assert_fails(EX.grade(reference("5.2.7").replaced(relative_error=remembered), seed, only=["relative error"]),
                 "relative_error", "state")
