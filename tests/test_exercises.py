"""Every exercise graded through the one verdict function: the reference solutions (or, with
``--grade``, this copy's exercise files) must be graded correct at the session's seed."""

from __future__ import annotations

import pytest

from coursekit import catalog
from coursekit.grading.report import student_view


@pytest.mark.parametrize("ex_id", [pytest.param(i, marks=pytest.mark.exercise(i), id=i) for i in catalog.exercises()])
def test_exercise(ex_id, graded_file, record_result, request):
    result = record_result(graded_file(ex_id))
    shown = student_view(result) if request.config.getoption("--grade") else result  # a student sees no test number
    failed = [f"FAIL {c['name']}: measured {c['measured']}, expected {c['expected']}. Hint: {c['hint']}"
              for c in shown.get("checks", []) if not c["ok"]]
    assert result["status"] == "correct", "\n".join([f"{ex_id}: {result['status']} {result.get('message', '')}", *failed])


def test_class_submission(class_verdict):
    """``pytest --class DIR [--junitxml F]``: one test case per student and exercise, the verdicts and
    points of ``course grade --class`` (passes when the exercise is correct)."""
    assert class_verdict["status"] == "correct", f"{class_verdict['status']}: {class_verdict.get('message', '')}"
