"""Wrong answers to exercise 5.4.2: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_4_2.py``)."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.graders.ex_5_4_2 import EX
from coursekit.graders.lesson_5_4 import best_threshold, churn_predictions
from coursekit.grading import assert_fails, prepared


def test_5_4_2_rejects_a_threshold_chosen_on_the_test_split(reference, seed):
    churn = prepared("churn")
    _, p_test = churn_predictions(seed)
    on_test = best_threshold(churn.y_test, p_test, 5.0, 1.0)[0]  # what a student who looked at the test split would return
    wrong = reference("5.4.2").replaced(choose_threshold=lambda y_val, p_val, cost_fn=5.0, cost_fp=1.0: on_test)
    assert_fails(EX.grade(wrong, seed, only=["a threshold from validation data alone"]),
           "the threshold minimises the validation cost", "test split")


def test_5_4_2_rejects_the_rule_for_calibrated_probabilities_and_a_strict_comparison(reference, seed):
    ref = reference("5.4.2")
    rule = ref.replaced(choose_threshold=lambda y_val, p_val, cost_fn=5.0, cost_fp=1.0: cost_fp / (cost_fp + cost_fn))
    assert_fails(EX.grade(rule, seed, only=["a threshold from validation data alone"]),
           "the threshold minimises the validation cost", "calibrated")

    def strict(y_true, scores, threshold, cost_fn=5.0, cost_fp=1.0):
        y, flagged = np.asarray(y_true), np.asarray(scores) > threshold
        return float((cost_fn * np.sum((y == 1) & ~flagged) + cost_fp * np.sum((y == 0) & flagged)) / len(y))

    assert_fails(EX.grade(ref.replaced(expected_cost=strict), seed, only=["expected cost"]), "expected_cost",
           "equal to the threshold is flagged")


# Cheats: choose_threshold reaches for the test split around the rules, from an exercise file of its own (the
# graded file's code is what the rules hold). Each is refused: the part fails on the rule, never on the threshold.
_CHEAT_HEAD = '''
import numpy as np


def expected_cost(y_true, scores, threshold, cost_fn=5.0, cost_fp=1.0):
    flagged = np.asarray(scores) >= threshold
    y = np.asarray(y_true)
    return float((cost_fn * np.sum(~flagged & (y == 1)) + cost_fp * np.sum(flagged & (y == 0))) / len(y))


def on_test(churn, p_val):
    y, p = churn.y_test, p_val[: len(churn.y_test)]
    return float(min(np.unique(p), key=lambda t: expected_cost(y, p, t)))
'''

CHEATS = {
    "sys.modules": '''
def choose_threshold(y_val, p_val, cost_fn=5.0, cost_fp=1.0):
    import sys
    return on_test(sys.modules["coursekit.grading.checks"].prepared("churn"), p_val)
''',
    "gc": '''
def choose_threshold(y_val, p_val, cost_fn=5.0, cost_fp=1.0):
    import gc
    churn = next(o for o in gc.get_objects() if hasattr(o, "y_test") and hasattr(o, "X_test"))
    return on_test(churn, p_val)
''',
    "caller frames": '''
def choose_threshold(y_val, p_val, cost_fn=5.0, cost_fp=1.0):
    import inspect
    frame = inspect.currentframe().f_back
    while frame is not None and "churn" not in frame.f_locals:
        frame = frame.f_back
    return on_test(frame.f_locals["churn"], p_val)
''',
    "a traceback's frames": '''
def choose_threshold(y_val, p_val, cost_fn=5.0, cost_fp=1.0):
    try:
        raise RuntimeError
    except RuntimeError as exc:
        frame = exc.__traceback__.tb_frame.f_back
    return on_test(frame.f_globals["prepared"]("churn"), p_val)
''',
    "a thread": '''
def choose_threshold(y_val, p_val, cost_fn=5.0, cost_fp=1.0):
    import sys, threading
    box = {}
    worker = threading.Thread(target=lambda: box.update(churn=sys.modules["coursekit.grading.checks"].prepared("churn")))
    worker.start()
    worker.join()
    return on_test(box["churn"], p_val)
''',
    "a subprocess": '''
def choose_threshold(y_val, p_val, cost_fn=5.0, cost_fp=1.0):
    import subprocess, sys
    code = "from coursekit.grading import prepared; print(prepared('churn').y_test.mean())"
    subprocess.run([sys.executable, "-c", code], capture_output=True)
    return 0.2
''',
    "ctypes": '''
def choose_threshold(y_val, p_val, cost_fn=5.0, cost_fp=1.0):
    import ctypes
    ctypes.CDLL(None)
    return 0.2
''',
    "a thread left running": '''
def choose_threshold(y_val, p_val, cost_fn=5.0, cost_fp=1.0):
    import threading, time
    threading.Thread(target=time.sleep, args=(0.1,), daemon=True).start()
    threading.Thread(target=lambda: time.sleep(2), daemon=True).start()
    return 0.2
''',
}


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the thread a cheat starts
@pytest.mark.parametrize("cheat", sorted(CHEATS))
def test_5_4_2_refuses_a_student_function_that_reaches_for_the_test_split(cheat, tmp_path, seed):
    path = tmp_path / "_5_4_2_exercise.py"
    path.write_text(_CHEAT_HEAD + CHEATS[cheat])
    verdict = EX.grade(EX.load(path), seed, only=["a threshold from validation data alone"])
    assert_fails(verdict, "choose_threshold uses only train and validation data", "test split is scored by the rubric")


def _cost(y_true, scores, threshold, cost_fn, cost_fp):
    y, flagged = np.asarray(y_true), np.asarray(scores) >= threshold
    return float((cost_fn * np.sum((y == 1) & ~flagged) + cost_fp * np.sum((y == 0) & flagged)) / len(y))


def test_5_4_2_rejects_an_expected_cost_with_swapped_or_fixed_costs(reference, seed):
    """Arguments swapped, or ignored in favour of the file's constants (COST_FN, COST_FP)."""
    ref = reference("5.4.2")
    swapped = ref.replaced(expected_cost=lambda y_true, scores, threshold, cost_fn=5.0, cost_fp=1.0:
                           _cost(y_true, scores, threshold, cost_fp, cost_fn))
    assert_fails(EX.grade(swapped, seed, only=["expected cost"]), "expected_cost", "not to be swapped")
    fixed = ref.replaced(expected_cost=lambda y_true, scores, threshold, cost_fn=5.0, cost_fp=1.0:
                         _cost(y_true, scores, threshold, 5.0, 1.0))
    assert_fails(EX.grade(fixed, seed, only=["expected cost"]), "expected_cost", "argument cost_fn is ignored")
    no_threshold = ref.replaced(expected_cost=lambda y_true, scores, threshold, cost_fn=5.0, cost_fp=1.0:
                                _cost(y_true, scores, 0.5, cost_fn, cost_fp))
    assert_fails(EX.grade(no_threshold, seed, only=["expected cost"]), "expected_cost", "the threshold and the costs given")


def _search(y_val, p_val, cost_fn, cost_fp, pick=np.argmin, nobody=True):
    values = np.asarray(p_val, dtype=np.float64)
    candidates = np.r_[np.unique(values), np.inf] if nobody else np.unique(values)
    return float(candidates[int(pick([_cost(y_val, values, t, cost_fn, cost_fp) for t in candidates]))])


def test_5_4_2_rejects_the_highest_cost_and_costs_ignored_or_swapped(reference, seed):
    """A direction error (the dearest threshold kept) and the costs of each set not honoured."""
    ref = reference("5.4.2")
    part = ["a threshold from validation data alone"]
    check = "the threshold minimises the validation cost"
    highest = ref.replaced(choose_threshold=lambda y_val, p_val, cost_fn=5.0, cost_fp=1.0:
                           _search(y_val, p_val, cost_fn, cost_fp, pick=np.argmax))
    assert_fails(EX.grade(highest, seed, only=part), check, "highest validation cost")
    fixed = ref.replaced(choose_threshold=lambda y_val, p_val, cost_fn=5.0, cost_fp=1.0: _search(y_val, p_val, 5.0, 1.0))
    assert_fails(EX.grade(fixed, seed, only=part), check, "costs given are ignored")
    swapped = ref.replaced(choose_threshold=lambda y_val, p_val, cost_fn=5.0, cost_fp=1.0: _search(y_val, p_val, cost_fp, cost_fn))
    assert_fails(EX.grade(swapped, seed, only=part), check, "swapped")


def test_5_4_2_rejects_a_search_that_never_flags_nobody_and_a_memo_by_size(reference, seed):
    """An edge case never asked before (flagging nobody is the cheapest) and state between calls."""
    ref = reference("5.4.2")
    part = ["a threshold from validation data alone"]
    check = "the threshold minimises the validation cost"
    scores_only = ref.replaced(choose_threshold=lambda y_val, p_val, cost_fn=5.0, cost_fp=1.0:
                               _search(y_val, p_val, cost_fn, cost_fp, nobody=False))
    assert_fails(EX.grade(scores_only, seed, only=part), check, "flags nobody")
    memo = {}
    by_size = ref.replaced(choose_threshold=lambda y_val, p_val, cost_fn=5.0, cost_fp=1.0:
                           memo.setdefault(len(y_val), _search(y_val, p_val, cost_fn, cost_fp)))
    assert_fails(EX.grade(by_size, seed, only=part), check, "no state between calls")
