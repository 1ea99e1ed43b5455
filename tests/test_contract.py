"""The exercise contract for every lesson: stubs, API parity, demos, lesson links and figures.

These checks are generic: a new exercise or demo file is covered as soon as it exists.
"""

from __future__ import annotations

import ast
import re
import runpy
import sys
import time
from pathlib import Path

import pytest

import rubric

LESSON_DIRS = [rubric.REPO / folder for folder in rubric.LESSONS.values()]
EXERCISES = rubric.exercise_ids()
DEMOS = sorted(p for d in LESSON_DIRS for p in d.glob("demo_*.py"))


def _rel(path: Path) -> str:
    return str(path.relative_to(rubric.REPO))


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


def _todo_functions(path: Path) -> dict[str, list[str]]:
    """Functions whose body raises NotImplementedError, with the messages they raise."""
    tree = ast.parse(path.read_text())
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
                        messages.append(ast.literal_eval(args[0]) if args and isinstance(args[0], ast.Constant) else "")
            if messages:
                found[node.name] = messages
    return found


@pytest.mark.parametrize("ex_id", EXERCISES)
def test_exercise_stub_contract(ex_id):
    """The stub imports, has the solution's API, documents its targets, and every TODO says what to do."""
    ex_path = rubric.exercise_file(ex_id, "exercise")
    sol_path = rubric.exercise_file(ex_id, "solution")
    exercise = rubric.load_module(ex_path)
    solution = rubric.load_module(sol_path)

    ex_api, sol_api = rubric.public_api(exercise), rubric.public_api(solution)
    assert ex_api == sol_api, f"{ex_id}: exercise API {ex_api} differs from the solution's {sol_api}"
    assert "run" in ex_api, f"{ex_id}: no run() entry point"
    assert "seed" in ex_api["run"].parameters, f"{ex_id}: run() takes no seed"

    doc = exercise.__doc__ or ""
    assert re.search(r"target", doc, re.I), f"{ex_id}: the module docstring does not state the targets"
    assert doc.strip() == (solution.__doc__ or "").strip(), f"{ex_id}: exercise and solution docstrings differ"

    todos = _todo_functions(ex_path)
    assert todos, f"{ex_id}: the exercise has no TODO raising NotImplementedError"
    for func, messages in todos.items():
        for message in messages:
            assert len(message) >= 20, f"{ex_id}: {func}() raises NotImplementedError without a helpful message"
    assert not _todo_functions(sol_path), f"{ex_id}: the solution still raises NotImplementedError"

    with pytest.raises(NotImplementedError):
        exercise.run(seed=0)


@pytest.mark.parametrize("demo", DEMOS, ids=_rel)
def test_demo_runs_and_writes_figures(demo, tmp_path, monkeypatch, request):
    """Each demo runs as a script (``__main__``) into a temporary figures folder."""
    monkeypatch.setenv("COURSE_FIGURES_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "argv", [str(demo)])
    monkeypatch.syspath_prepend(str(demo.parent))  # as when run as a script
    monkeypatch.chdir(tmp_path)
    start = time.perf_counter()
    runpy.run_path(str(demo), run_name="__main__")
    request.node.user_properties.append(("course_demo", {"name": _rel(demo), "seconds": round(time.perf_counter() - start, 1)}))
    made = sorted(p.name for p in tmp_path.glob("*.png"))
    assert made, f"{_rel(demo)} wrote no figure"
    for name in made:
        assert (tmp_path / name).stat().st_size > 2000, f"{_rel(demo)}: figure {name} is nearly empty"


def _links(readme: Path) -> list[str]:
    text = readme.read_text()
    return [t for t in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text) if "://" not in t and not t.startswith("mailto:")]


@pytest.mark.parametrize("readme", [d / "README.md" for d in LESSON_DIRS] + [rubric.REPO / "README.md"], ids=_rel)
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
