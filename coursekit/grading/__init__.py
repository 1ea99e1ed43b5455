"""The grading engine of the course.

- :mod:`.engine`: :class:`Exercise`, :class:`Student`, :class:`Verdict` and the rules student code
  runs under;
- :mod:`.checks`: the checks and helpers the graders share;
- :func:`grade_file`: the one function that turns an exercise file into a verdict. Every door calls
  it: ``python _5_N_K_exercise.py`` directly, ``course check`` and ``course grade`` inside the
  sandbox (:mod:`.sandbox`), the test suite directly for the reference solutions and through the
  sandbox for ``pytest --grade``;
- :mod:`.report`: the one scoreboard, JUnit XML.

The graders themselves are :mod:`coursekit.graders` (one module per exercise).
"""

from __future__ import annotations

import time
from pathlib import Path

from .checks import (activation_name, agrees_with_reference, as_float, assert_fails, dense_layers, hidden_nonlinearities,
                     is_compiled, is_model, loss_is, loss_name, model_layers, nonlinear_hidden, output_layer, plain,
                     prepared, rubric_cache, same_plain, train, varied)
from .engine import (CORRECT, INCORRECT, NOT_ATTEMPTED, USES_SOLUTION, Check, Context, Exercise, Missing, Part,
                     RuleBroken, SolutionUsed, Student, StudentFailure, Tampered, Todo, Verdict, load_module,
                     public_api, solution_references)

__all__ = [
    "CORRECT", "INCORRECT", "NOT_ATTEMPTED", "USES_SOLUTION", "Check", "Context", "Exercise", "Missing", "Part",
    "RuleBroken", "SolutionUsed", "Student", "StudentFailure", "Tampered", "Todo", "Verdict", "activation_name",
    "agrees_with_reference", "as_float", "assert_fails", "dense_layers", "grade_file", "hidden_nonlinearities",
    "is_compiled", "is_model", "load_module", "loss_is", "loss_name", "model_layers", "nonlinear_hidden",
    "output_layer", "plain", "prepared", "public_api", "rubric_cache", "same_plain", "solution_references", "train", "varied",
]


def grade_file(ex_id: str, path: Path, seed: int = 0) -> dict:
    """The verdict on one exercise file at one seed, as a dict (``Verdict.as_dict()`` plus
    ``run_seconds``, the time the rubric took). Never raises for what the student's code does."""
    from ..graders import grader

    exercise = grader(ex_id)
    start = time.perf_counter()
    verdict = exercise.grade(exercise.load(Path(path)), seed)
    result = verdict.as_dict()
    result["run_seconds"] = round(time.perf_counter() - start, 2)
    return result
