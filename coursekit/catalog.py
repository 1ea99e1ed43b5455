"""The one catalog of lessons and exercises, used by the ``course`` command and by the rubric.

Lessons are listed here; exercises are found from their graders (an exercise exists when
``coursekit/graders/ex_5_N_K.py`` grades it). Each exercise's title, goal and "read first"
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


# The seeds an instructor may grade with: every target is set below the reference solution's worst
# result over them, with a margin (docs/seeds.md), so a check at one seed predicts the grade at any.
CALIBRATED_SEEDS = range(10)


def seeds_note(seed: int) -> str:
    """What a CORRECT at one seed says about the others (printed by `course check` and the exercise file)."""
    return (f"Checked at seed {seed}; the targets sit below the reference solution's worst result over seeds "
            f"{CALIBRATED_SEEDS[0]}-{CALIBRATED_SEEDS[-1]}, the seeds an instructor grades with (docs/seeds.md).")


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


def lesson_folder(ex_id: str) -> Path:
    """This course's folder of the exercise's lesson: where its lesson-local helpers are imported from."""
    return lesson_dir(parse_id(ex_id)[0])


GRADERS = REPO / "coursekit" / "graders"
HINTS = REPO / "coursekit" / "hints"


def hint_levels(ex_id: str) -> list[str]:
    """The hint levels of an exercise, from ``coursekit/hints/<id>.md`` (sections headed ``## ...``)."""
    path = HINTS / f"{ex_id}.md"
    if not path.is_file():
        return []
    levels, current = [], None
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            current = [line[3:].strip()]
            levels.append(current)
        elif current is not None:
            current.append(line)
    return ["\n".join(level).strip() for level in levels]


def grader_module(ex_id: str) -> str:
    """The module that grades exercise ``5.N.K``: ``coursekit.graders.ex_5_N_K`` (one per exercise)."""
    parse_id(ex_id)
    return f"coursekit.graders.ex_{ex_id.replace('.', '_')}"


def exercises(lesson_id: str | None = None) -> list[str]:
    """Exercise ids in course order (one lesson, or all): an exercise exists when it has a grader
    (``coursekit/graders/ex_5_N_K.py``), so the student edition, which has no solutions, lists them too."""
    ids = []
    for path in GRADERS.glob("ex_5_*.py"):
        parts = path.stem.split("_")[1:]
        ex_id = ".".join(parts)
        if EXERCISE_ID.match(ex_id) and (lesson_id is None or ex_id.startswith(lesson_id + ".")):
            ids.append(ex_id)
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
    if not path.is_file():
        path = exercise_file(ex_id, "exercise", REPO)  # the student edition has no solutions
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


# What each exercise's stub leaves to the student, as shipped: its functions and methods (``Class.method``)
# whose body only raises NotImplementedError. Written down here, not read from the stub, because in a
# student's copy the stub *is* the student's work: a half-written file must not make the half still to
# do look like the whole exercise. tests/test_contract.py checks this table against the shipped stubs.
TODOS: dict[str, tuple[str, ...]] = {
    "5.1.1": ("count_params", "build_deep", "build_shallow"),
    "5.1.2": ("build_deep_narrow",),
    "5.1.3": ("one_hot", "build_for_integer_labels", "build_for_one_hot_labels", "predict_classes"),
    "5.1.4": ("regression_errors", "build_price_model"),
    "5.2.1": ("lr_range_test", "choose_settings"),
    "5.2.2": ("make_optimizer", "compare", "rank"),
    "5.2.3": ("gradient_norm_logger", "build_fixed"),
    "5.2.4": ("target_scaling", "build_regressor"),
    "5.2.5": ("WarmupCosine.__init__", "WarmupCosine.__call__", "WarmupCosine.get_config", "schedule_for"),
    "5.2.6": ("fit_resumable",),
    "5.2.7": ("numerical_gradient", "autodiff_gradient", "relative_error"),
    "5.3.1": ("build_selector", "selected_inputs"),
    "5.3.2": ("build_dropout_network", "mc_dropout_predict"),
    "5.3.3": ("fit_scaler", "build_raw_input_network", "batchnorm"),
    "5.3.4": ("build_network", "choose"),
    "5.3.5": ("frozen_transfer", "fine_tuning"),
    "5.4.1": ("confusion_counts", "precision_recall_f", "roc_points", "average_precision"),
    "5.4.2": ("expected_cost", "choose_threshold"),
    "5.4.3": ("rebalance",),
    "5.4.4": ("bootstrap_auc_interval", "paired_auc_difference_interval"),
    "5.4.5": ("reliability_curve", "brier_score", "fit_recalibration"),
    "5.4.6": ("diagnose", "best_epoch"),
    "5.5.1": ("design_grid", "count_fits"),
    "5.5.2": ("random_space", "sample"),
    "5.5.3": ("suggest", "objective", "open_study", "run_search"),
    "5.5.4": ("best_f1", "ChurnHyperModel.build", "ChurnHyperModel.fit", "make_tuner"),
    "5.5.5": ("build_raw_model", "save_artifacts", "load_artifact"),
}


def defined_functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    """A module's top-level functions and its classes' methods, by name (``Class.method`` for methods)."""
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found[f"{node.name}.{member.name}"] = member
    return found


def stub_todos(stub_file: Path) -> tuple[str, ...]:
    """The functions and methods of a stub whose body only raises NotImplementedError, in file order
    (what ``TODOS`` records for a shipped stub)."""
    tree = ast.parse(Path(stub_file).read_text())
    return tuple(name for name, node in defined_functions(tree).items() if _only_raises(node))


def progress(student_file: Path, ex_id: str) -> dict[str, str] | None:
    """For each function the exercise leaves to the student: "todo" (still only raises
    NotImplementedError), "written" or "missing". None when the file cannot be read or parsed
    (then it is graded, and its error reported). Decided from the source, without importing it."""
    try:
        tree = ast.parse(Path(student_file).read_text(errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return None
    defs = defined_functions(tree)
    return {name: "missing" if name not in defs else "todo" if _only_raises(defs[name]) else "written"
            for name in TODOS.get(ex_id, ())}


def untouched(student_file: Path, ex_id: str) -> bool:
    """True when every function the exercise leaves to the student is still only ``raise
    NotImplementedError`` in this file: the exercise was not attempted. One written function, or one
    deleted, makes the file graded (the written ones checked, the others failing "X is written")."""
    state = progress(student_file, ex_id)
    return bool(state) and all(s == "todo" for s in state.values())
