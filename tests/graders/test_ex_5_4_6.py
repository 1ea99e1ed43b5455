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
