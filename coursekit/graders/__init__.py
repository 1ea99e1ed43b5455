"""The graders: one module per exercise, ``ex_5_N_K.py``, each defining ``EX``, the
:class:`coursekit.grading.Exercise` that grades it (its parts, its targets, its hidden inputs).
Helpers a lesson's graders share live in ``lesson_5_N.py``. The wrong answers that prove each grader
are in ``tests/graders/test_ex_5_N_K.py``.

:func:`grader` is the only code that knows where a grader lives.
"""

from __future__ import annotations

import importlib

from .. import catalog


def grader(ex_id: str):
    """The :class:`~coursekit.grading.Exercise` that grades ``5.N.K``."""
    name = catalog.grader_module(ex_id)
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise catalog.CatalogError(f"exercise {ex_id} has no grader ({name})") from None
    return module.EX


def max_points(ex_id: str) -> float:
    """What exercise ``5.N.K`` is worth, read from its grader's source (the ``points=`` of each
    ``@EX.part``) without importing it: every student's maximum, graded or not, at no TensorFlow
    start-up. The contract test holds it equal to the sum over ``grader(ex_id).parts``."""
    import ast

    path = catalog.GRADERS / f"{catalog.grader_module(ex_id).rsplit('.', 1)[1]}.py"
    total = 0.0
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "part":
            total += float(next(k.value.value for k in node.keywords if k.arg == "points"))
    return total
