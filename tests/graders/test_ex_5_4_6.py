"""Wrong answers to exercise 5.4.6: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_4_6.py``)."""

from __future__ import annotations

import numpy as np

from coursekit.graders.ex_5_4_6 import EX
from coursekit.grading import assert_fails


def test_5_4_6_rejects_a_gap_read_as_over_fitting_and_a_rising_validation_loss_read_as_instability(reference, seed):
    ref = reference("5.4.6")
    right = ref.module.diagnose

    def gap(history):
        answer = right(history)
        if answer == "learning rate too high":
            return answer
        return "over-fitting" if history["val_loss"][-1] > history["loss"][-1] else "under-fitting"

    def rising(history):
        answer = right(history)
        return "learning rate too high" if answer == "over-fitting" else answer

    assert_fails(EX.grade(ref.replaced(diagnose=gap), seed, only=["diagnoses"]), "under-fitting histories", "a gap alone")
    verdict = EX.grade(ref.replaced(diagnose=rising), seed, only=["diagnoses"])
    assert_fails(verdict, "over-fitting histories", "training loss itself")
    assert "under-fitting histories" not in verdict.failed_names(), verdict.report()


def test_5_4_6_rejects_a_zero_based_epoch(reference, seed):
    wrong = reference("5.4.6").replaced(best_epoch=lambda history: int(np.nanargmin(history["val_loss"])))
    assert_fails(EX.grade(wrong, seed, only=["epochs to keep"]), "best_epoch", "0-based")


def test_5_4_6_rejects_the_last_of_tied_epochs_nan_taken_in_and_the_training_loss(reference, seed):
    """Edge cases: ties (early stopping keeps the first), nan in the validation loss; and the wrong curve."""
    ref = reference("5.4.6")
    part = ["epochs to keep"]

    def last_of_ties(history):
        val = np.asarray(history["val_loss"], dtype=np.float64)
        val = np.where(np.isfinite(val), val, np.inf)
        return int(np.flatnonzero(val == val.min())[-1]) + 1

    def nan_taken_in(history):
        return int(np.argmin(history["val_loss"])) + 1

    assert_fails(EX.grade(ref.replaced(best_epoch=last_of_ties), seed, only=part), "best_epoch on made-up histories",
                 "of tied epochs the first")
    assert_fails(EX.grade(ref.replaced(best_epoch=nan_taken_in), seed, only=part), "best_epoch on made-up histories",
                 "nan and inf left out")
    on_training = ref.replaced(best_epoch=lambda history: int(np.nanargmin(history["loss"])) + 1)
    assert_fails(EX.grade(on_training, seed, only=part), "best_epoch", "training loss")


def test_5_4_6_rejects_a_diagnosis_memoised_by_length_and_one_blind_to_nan(reference, seed):
    """State between calls, and a run that blew up (nan) read from its finite epochs only."""
    ref = reference("5.4.6")
    right, memo = ref.module.diagnose, {}
    part = ["diagnoses"]
    by_length = ref.replaced(diagnose=lambda history: memo.setdefault(len(history["loss"]), right(history)))
    assert_fails(EX.grade(by_length, seed, only=part), "diagnose on made-up histories", "no state between calls")

    def finite_only(history):
        loss = np.asarray(history["loss"], dtype=np.float64)
        val = np.asarray(history["val_loss"], dtype=np.float64)
        keep = np.isfinite(loss) & np.isfinite(val)
        return right({"loss": list(loss[keep]), "val_loss": list(val[keep])})

    assert_fails(EX.grade(ref.replaced(diagnose=finite_only), seed, only=part), "diagnose on made-up histories", "nan")
