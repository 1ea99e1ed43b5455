"""The one catalog of lessons and exercises, used by the ``course`` command and by the rubric.

Lessons are listed here; exercises are found from their solution files (an exercise exists when it
has a reference solution the rubric can check). Each exercise's title, goal and "read first"
pointer come from its own docstring, so they are written once, beside the task:

    \"\"\"Exercise 5.1.1 -- Depth vs width under a parameter budget.

    Goal: one line that says what the student achieves.
    Read first: README.md section 3, demo_churn_classifier.py
    ...
\"\"\"
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"


@dataclass(frozen=True)
class Lesson:
    id: str
    folder: str
    title: str


LESSONS: dict[str, Lesson] = {
    lesson.id: lesson
    for lesson in [
        Lesson("5.1", "_05_1_MLPs_for_Complex_Classification_and_Regression", "MLPs for classification and regression"),
        Lesson("5.2", "_05_2_Train_Network_Optimizers", "Training: epochs, batches, optimizers, gradients, callbacks"),
        Lesson("5.3", "_05_3_Prevent_Overfitting_Regularization", "Regularization: L1, L2, dropout, early stopping, batch norm"),
        Lesson("5.4", "_05_4_Advanced_Model_Evaluation", "Evaluation: confusion matrix, precision/recall, ROC, PR, thresholds"),
        Lesson("5.5", "_05_5_Hyperparameter_Tuning_Persistence", "Tuning (grid, random, Bayesian, Hyperband) and saving models"),
    ]
}

EXERCISE_ID = re.compile(r"^5\.([1-5])\.(\d+)$")
FILE_NAME = re.compile(r"^_5_([1-5])_(\d+)_(exercise|solution)\.py$")


class CatalogError(ValueError):
    """An id or path that names no lesson or exercise; the message says what is valid."""


def parse_id(ex_id: str) -> tuple[str, int]:
    """``"5.1.2"`` -> ``("5.1", 2)``; a clear error for anything else."""
    match = EXERCISE_ID.match(str(ex_id))
    if not match:
        raise CatalogError(f"not an exercise id: {ex_id!r} (write it like 5.1.2)")
    return f"5.{match.group(1)}", int(match.group(2))


def id_key(ex_id: str) -> tuple[int, ...]:
    return tuple(int(p) for p in ex_id.split("."))


def lesson(lesson_id: str) -> Lesson:
    if lesson_id not in LESSONS:
        raise CatalogError(f"no lesson {lesson_id!r}; lessons are {', '.join(LESSONS)}")
    return LESSONS[lesson_id]


def lesson_dir(lesson_id: str, root: Path = REPO) -> Path:
    return Path(root) / lesson(lesson_id).folder


def exercise_file(ex_id: str, kind: str = "exercise", root: Path = REPO) -> Path:
    """Path of exercise ``5.N.K``'s ``exercise`` or ``solution`` file under ``root``."""
    if kind not in ("exercise", "solution"):
        raise ValueError(f"kind must be 'exercise' or 'solution', not {kind!r}")
    lesson_id, k = parse_id(ex_id)
    return lesson_dir(lesson_id, root) / f"_{lesson_id.replace('.', '_')}_{k}_{kind}.py"


def rubric_module(ex_id: str) -> Path:
    """The test module that grades this exercise (one per lesson)."""
    lesson_id, _ = parse_id(ex_id)
    return TESTS / f"test_lesson_{lesson_id.replace('.', '_')}.py"


def exercises(lesson_id: str | None = None, root: Path = REPO) -> list[str]:
    """Exercise ids that have a solution file, in course order (one lesson, or all)."""
    ids = []
    for lid in ([lesson_id] if lesson_id else list(LESSONS)):
        for path in lesson_dir(lid, root).glob("_5_*_solution.py"):
            match = FILE_NAME.match(path.name)
            if match:
                ids.append(f"5.{match.group(1)}.{match.group(2)}")
    return sorted(ids, key=id_key)


def demos(lesson_id: str, root: Path = REPO) -> list[Path]:
    return sorted(lesson_dir(lesson_id, root).glob("demo_*.py"))


def require(ex_id: str) -> str:
    """The id itself if the course has that exercise; a clear error otherwise."""
    parse_id(ex_id)
    if ex_id not in exercises():
        raise CatalogError(f"no exercise {ex_id}; see `course list`")
    return ex_id


# --------------------------------------------------------------------------- what an exercise is about


@dataclass(frozen=True)
class ExerciseInfo:
    id: str
    title: str
    goal: str
    read_first: str


def info(ex_id: str, root: Path = REPO) -> ExerciseInfo:
    """Title, one-line goal and "read first" pointer, from the exercise's docstring."""
    path = exercise_file(ex_id, "solution", REPO)  # the reference text, whatever a student did to theirs
    try:
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    except (OSError, SyntaxError):
        doc = ""
    lines = doc.splitlines()
    first = lines[0] if lines else ""
    title = first.split("--", 1)[1].strip() if "--" in first else first.strip()
    goal = _field(lines, "Goal")
    read_first = _field(lines, "Read first") or f"{lesson(parse_id(ex_id)[0]).folder}/README.md"
    return ExerciseInfo(ex_id, title.rstrip("."), goal, read_first)


def _field(lines: list[str], name: str) -> str:
    """The text after ``Name:`` up to the next blank line, joined into one line."""
    for i, line in enumerate(lines):
        if line.startswith(f"{name}:"):
            parts = [line[len(name) + 1:].strip()]
            for more in lines[i + 1:]:
                if not more.strip() or re.match(r"^[A-Z][\w ]+:", more):
                    break
                parts.append(more.strip())
            return " ".join(p for p in parts if p)
    return ""


# --------------------------------------------------------------------------- TODOs of a stub


def todo_functions(path: Path) -> dict[str, list[str]]:
    """Functions (and methods) of a file whose body raises NotImplementedError, with the messages."""
    tree = ast.parse(Path(path).read_text())
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            messages = []
            for sub in ast.walk(node):
                if isinstance(sub, ast.Raise) and sub.exc is not None:
                    call = sub.exc
                    name = getattr(getattr(call, "func", call), "id", None)
                    if name == "NotImplementedError":
                        args = getattr(call, "args", [])
                        messages.append(args[0].value if args and isinstance(args[0], ast.Constant) else "")
            if messages:
                found[node.name] = messages
    return found


def _only_raises(node: ast.AST) -> bool:
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]  # the docstring
    return len(body) == 1 and isinstance(body[0], ast.Raise) and "NotImplementedError" in ast.unparse(body[0])


def untouched(student_file: Path, stub_file: Path) -> bool:
    """True when every TODO function of the shipped stub is still only ``raise NotImplementedError``
    in the student's file: the exercise was not attempted (decided without importing anything)."""
    try:
        stub = ast.parse(Path(stub_file).read_text())
        mine = ast.parse(Path(student_file).read_text())
    except (OSError, SyntaxError):
        return False
    todo = {n.name for n in ast.walk(stub) if isinstance(n, ast.FunctionDef) and _only_raises(n)}
    if not todo:
        return False
    defs = {n.name: n for n in ast.walk(mine) if isinstance(n, ast.FunctionDef)}
    return all(name in defs and _only_raises(defs[name]) for name in todo)
