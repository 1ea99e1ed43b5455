"""The exercise contract for every lesson: stubs, API parity, demos, lesson links and figures.

These checks are generic: a new exercise or demo file is covered as soon as it exists.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import runpy
import sys
import time
from pathlib import Path

import pytest

from coursekit import catalog
from coursekit.graders import grader, max_points
from coursekit.grading import NOT_ATTEMPTED, Exercise

LESSON_DIRS = [catalog.REPO / lesson.folder for lesson in catalog.LESSONS.values()]
EXERCISES = catalog.exercises()
DEMOS = sorted(p for d in LESSON_DIRS for p in d.glob("demo_*.py"))
GRADER_LINES = 400  # one exercise's harness (the two largest, 5.5.4 and 5.5.5, near 400); shared helpers go to lesson_5_N.py


def _exercise(ex_id: str) -> Exercise:
    return grader(ex_id)


@pytest.mark.parametrize("ex_id", EXERCISES)
def test_one_grader_module_per_exercise_with_its_wrong_answers_beside_it(ex_id):
    """``coursekit/graders/ex_5_N_K.py`` defines EX for 5.N.K, imports no pytest (it is library code)
    and stays short; ``tests/graders/test_ex_5_N_K.py`` holds at least two wrong answers for it."""
    module = importlib.import_module(catalog.grader_module(ex_id))
    assert module.EX.ex_id == ex_id
    assert max_points(ex_id) == sum(part.points for part in module.EX.parts)
    source = Path(module.__file__).read_text()
    tree = ast.parse(source)
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert "pytest" not in imported, f"{ex_id}: a grader is imported where pytest is not installed"
    assert len(source.splitlines()) <= GRADER_LINES, f"{ex_id}: {len(source.splitlines())} lines"
    tests = catalog.REPO / "tests" / "graders" / f"test_ex_{ex_id.replace('.', '_')}.py"
    assert tests.is_file(), f"{ex_id}: no wrong-answer tests at {_rel(tests)}"
    wrong = [n for n in ast.parse(tests.read_text()).body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
    assert len(wrong) >= 2, f"{ex_id}: {len(wrong)} wrong-answer tests"


def _rel(path: Path) -> str:
    return str(path.relative_to(catalog.REPO))


def test_every_lesson_folder_has_a_readme():
    missing = [d.name for d in LESSON_DIRS if not (d / "README.md").is_file()]
    assert not missing, f"lesson folders without README.md: {missing}"


def test_every_exercise_has_a_solution_and_vice_versa():
    problems = []
    for d in LESSON_DIRS:
        for ex in d.glob("_5_*_exercise.py"):
            if not ex.with_name(ex.name.replace("_exercise", "_solution")).exists():
                problems.append(f"{_rel(ex)} has no solution")
        for sol in d.glob("_5_*_solution.py"):
            if not sol.with_name(sol.name.replace("_solution", "_exercise")).exists():
                problems.append(f"{_rel(sol)} has no exercise")
    assert not problems, "; ".join(problems)


# --------------------------------------------------------------------------- exercises


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _emptied(node: ast.FunctionDef) -> ast.FunctionDef:
    keep = node.body[:1] if ast.get_docstring(node) else []
    return ast.FunctionDef(node.name, node.args, keep + [ast.Pass()], node.decorator_list, node.returns,
                           type_params=getattr(node, "type_params", []))


def _is_helper(node, todo: set[str]) -> bool:
    """A private helper the solution may add: a function, method or class named ``_x`` (not a dunder
    method, not a TODO)."""
    return (isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name.startswith("_")
            and not node.name.startswith("__") and node.name not in todo)


def _graded_names(tree: ast.Module, todo: set[str]) -> set[str]:
    """What the rubric grades: each top-level TODO function, and each class with TODO methods."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in todo:
            names.add(node.name)
        elif isinstance(node, ast.ClassDef) and any(isinstance(n, ast.FunctionDef) and n.name in todo for n in node.body):
            names.add(node.name)
    return names


def _without_todo_bodies(tree: ast.Module, todo: set[str]) -> str:
    """The module's AST with the bodies of the TODO functions and methods emptied (their docstrings
    kept) and private helpers (functions, classes, methods) that only the solution has dropped: what
    the exercise and the solution share."""
    body = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in todo:
            node = _emptied(node)
        elif _is_helper(node, todo):
            continue
        elif isinstance(node, ast.ClassDef):
            members = [_emptied(n) if isinstance(n, ast.FunctionDef) and n.name in todo else n
                       for n in node.body if not _is_helper(n, todo)]
            node = ast.ClassDef(node.name, node.bases, node.keywords, members, node.decorator_list,
                                type_params=getattr(node, "type_params", []))
        body.append(node)
    return ast.dump(ast.Module(body, []), annotate_fields=False)


@pytest.mark.parametrize("ex_id", EXERCISES)
def test_exercise_contract(ex_id):
    """The stub states the task: the rubric's functions are the TODOs, its targets are in the docstring,
    it shares everything but the TODO bodies with the solution, and gives none of the solution's code away."""
    ex_path, sol_path = catalog.exercise_file(ex_id, "exercise"), catalog.exercise_file(ex_id, "solution")
    exercise = _exercise(ex_id)
    stub_src, sol_src = ex_path.read_text(), sol_path.read_text()
    todo = catalog.todo_functions(ex_path)
    graded = _graded_names(ast.parse(stub_src), set(todo))
    assert graded == set(exercise.functions), f"{ex_id}: TODO functions and classes {sorted(graded)} vs graded {exercise.functions}"
    for func, messages in todo.items():
        assert all(len(m) >= 20 for m in messages), f"{ex_id}: {func}() raises NotImplementedError without a helpful message"
    assert not catalog.todo_functions(sol_path), f"{ex_id}: the solution still raises NotImplementedError"
    shipped = catalog.stub_todos(ex_path)
    assert shipped == catalog.TODOS.get(ex_id), (
        f"{ex_id}: the stub's TODOs {shipped} are not catalog.TODOS[{ex_id!r}] {catalog.TODOS.get(ex_id)}: "
        "the table tells a half-written file from an untouched one")

    stub_tree, sol_tree = ast.parse(stub_src), ast.parse(sol_src)
    assert _without_todo_bodies(stub_tree, set(todo)) == _without_todo_bodies(sol_tree, set(todo)), (
        f"{ex_id}: exercise and solution differ outside the TODO bodies (docstrings, signatures, given code)")
    doc = ast.get_docstring(stub_tree) or ""
    for field in ("Goal:", "Read first:"):
        assert field in doc, f"{ex_id}: the docstring has no '{field}' line (course next shows it)"
    for name, value in exercise.targets.items():
        shown = {f"{value:,}", f"{value:g}", str(value)}
        assert any(re.search(rf"(?<![\d.]){re.escape(t)}(?![\d])", doc) for t in shown), (
            f"{ex_id}: the rubric's {name} ({value}) is not stated in the docstring")

    # The solution's private helpers stay in the solution: a stub that ships them ships part of the answer.
    helpers = {n.name for n in sol_tree.body if _is_helper(n, set(todo))}
    shipped = sorted(helpers & {n.name for n in stub_tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))})
    assert not shipped, f"{ex_id}: the stub ships the solution's private helpers {shipped}"

    # No line of the solution's function bodies (code of 20+ characters) appears anywhere in the stub.
    flat = _squash(stub_src)
    leaks = []
    for node in ast.walk(sol_tree):
        if isinstance(node, ast.FunctionDef) and node.name in todo:
            for stmt in node.body[1 if ast.get_docstring(node) else 0:]:
                for line in ast.unparse(stmt).splitlines():
                    code = _squash(line)
                    if len(code) >= 20 and code in flat:
                        leaks.append(line.strip())
    assert not leaks, f"{ex_id}: the stub gives away solution code: {leaks[:3]}"


@pytest.mark.parametrize("ex_id", EXERCISES)
def test_v2_untouched_stub_is_not_attempted_and_solution_is_not_a_stub(ex_id):
    exercise = _exercise(ex_id)
    stub = exercise.load(catalog.exercise_file(ex_id, "exercise"))
    assert exercise.grade(stub).status == NOT_ATTEMPTED
    assert not exercise.load(catalog.exercise_file(ex_id, "solution")).untouched


def _run_demo(demo: Path, figures: Path, monkeypatch) -> tuple[str, float]:
    """Run a demo as a script (``__main__``) into ``figures``; its printed output and wall seconds."""
    import contextlib
    import io

    out = io.StringIO()
    with monkeypatch.context() as m:
        m.setenv("COURSE_FIGURES_DIR", str(figures))
        m.setattr(sys, "argv", [str(demo)])
        m.syspath_prepend(str(demo.parent))  # as when run as a script
        m.chdir(figures)
        start = time.perf_counter()
        with contextlib.redirect_stdout(out):
            runpy.run_path(str(demo), run_name="__main__")
    return out.getvalue(), round(time.perf_counter() - start, 1)


@pytest.mark.demos
@pytest.mark.parametrize("demo", DEMOS, ids=lambda d: d.stem)
def test_demo_runs_writes_figures_and_prints_the_numbers_the_lesson_quotes_from_it(demo, tmp_path, monkeypatch, request):
    """The demo runs as a script into a temporary figures folder and writes real figures; every number
    that the lesson's README attributes to it (tests/quoted_numbers.py) is among what it printed. One
    test per demo, so that the suite's two workers share the demos evenly."""
    import quoted_numbers

    figures = tmp_path / demo.stem
    figures.mkdir()
    text, seconds = _run_demo(demo, figures, monkeypatch)
    request.node.user_properties.append(("course_demo", json.dumps({"name": _rel(demo), "seconds": seconds})))
    made = sorted(p.name for p in figures.glob("*.png"))
    problems = [] if made else [f"{_rel(demo)} wrote no figure"]
    problems += [f"{_rel(demo)}: figure {n} is nearly empty" for n in made if (figures / n).stat().st_size <= 2000]
    readme = demo.parent / "README.md"
    problems += [f"{_rel(readme)}: {p}" for p in quoted_numbers.unprinted_by(readme.read_text(), demo.name, text)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lesson_dir", LESSON_DIRS, ids=lambda d: d.name[:6])
def test_every_number_a_lesson_quotes_names_the_demo_that_prints_it(lesson_dir):
    import quoted_numbers

    demos = {p.name for p in lesson_dir.glob("demo_*.py")}
    problems = quoted_numbers.without_demo((lesson_dir / "README.md").read_text(), demos)
    assert not problems, "\n".join(problems)


def _links(readme: Path) -> list[str]:
    text = readme.read_text()
    return [t for t in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text) if "://" not in t and not t.startswith("mailto:")]


@pytest.mark.parametrize("readme", [d / "README.md" for d in LESSON_DIRS] + [catalog.REPO / "README.md"], ids=_rel)
def test_lesson_links_and_figures_resolve(readme):
    """Every relative link and embedded image exists; every embedded figure is written by a demo."""
    assert readme.is_file(), f"{_rel(readme)} is missing"
    broken = [t for t in _links(readme) if not (readme.parent / t).exists()]
    assert not broken, f"{_rel(readme)} links to missing files: {broken}"
    demo_sources = "\n".join(p.read_text() for p in readme.parent.glob("demo_*.py"))
    images = re.findall(r"!\[[^\]]*\]\((figures/[^)\s]+\.png)\)", readme.read_text())
    orphans = [img for img in images if f'"{Path(img).stem}"' not in demo_sources]
    assert not orphans, f"{_rel(readme)} embeds figures no demo in the folder writes: {orphans}"


def test_no_blocking_show_or_deprecated_input_shape():
    problems = []
    for d in LESSON_DIRS:
        for script in d.glob("*.py"):
            src = script.read_text()
            if re.search(r"^\s*plt\.show\(\)", src, re.M):
                problems.append(f"{_rel(script)}: plt.show() blocks headless runs")
            if "input_shape=" in src:
                problems.append(f"{_rel(script)}: input_shape= is deprecated in Keras 3; use keras.Input")
    assert not problems, "; ".join(problems)
