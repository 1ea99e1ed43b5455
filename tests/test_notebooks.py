"""The course in Jupyter: demos in one notebook dialect, ``course notebook``, ``check``/``hint`` in a
kernel, notebooks as submissions, and ``course watch``. The tests that start a real kernel (nbclient)
are marked ``notebooks`` and run in CI beside the demos (``pytest -m notebooks``)."""

from __future__ import annotations

import ast
import re

import pytest

from coursekit import catalog

LESSON_DIRS = [catalog.REPO / lesson.folder for lesson in catalog.LESSONS.values()]
DEMOS = sorted(p for d in LESSON_DIRS for p in d.glob("demo_*.py"))
LESSON_OF = {lesson.folder: lesson.id for lesson in catalog.LESSONS.values()}


def _cells(text: str) -> list[tuple[str, str]]:
    """(kind, body) of each ``# %%`` cell of a percent-format script; what precedes the first marker is
    returned as kind "preamble"."""
    cells, kind, body = [], "preamble", []
    for line in text.splitlines():
        if line.startswith("# %%"):
            cells.append((kind, "\n".join(body)))
            kind, body = ("markdown" if "[markdown]" in line else "code"), []
        else:
            body.append(line)
    cells.append((kind, "\n".join(body)))
    return [(k, b) for k, b in cells if not (k == "preamble" and not b.strip())]


@pytest.mark.parametrize("demo", DEMOS, ids=lambda d: d.stem)
def test_every_demo_is_a_notebook_in_the_course_dialect(demo):
    """Header cell (a markdown title and description), then one code cell with every import, which sets
    the demo up with coursekit.demo("5.N"); narrative in markdown cells, one before each later code
    cell; nothing that only a script has (``__file__``, ``__doc__``, parsing the kernel's argv)."""
    text = demo.read_text()
    cells = _cells(text)
    kinds = [k for k, _ in cells]
    assert kinds[0] == "markdown" and cells[0][1].startswith("# # "), \
        f"{demo.name}: starts with a `# %% [markdown]` header cell whose first line is `# # Title`"
    assert "preamble" not in kinds, f"{demo.name}: has code before its first cell marker (a docstring?)"
    assert kinds[1] == "code", f"{demo.name}: the header is followed by the set-up code cell"
    setup = cells[1][1]
    assert setup.lstrip().startswith("import coursekit"), f"{demo.name}: the set-up cell starts with `import coursekit`"
    lesson_id = LESSON_OF[demo.parent.name]
    assert f'coursekit.demo("{lesson_id}")' in setup, f"{demo.name}: the set-up cell calls coursekit.demo(\"{lesson_id}\")"
    tree = ast.parse(text)
    assert ast.get_docstring(tree) is None
    setup_end = len(text[:text.index(setup) + len(setup)].splitlines())
    late = [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)) and n.lineno > setup_end]
    assert not late, f"{demo.name}: imports belong in the set-up cell: {late}"
    for banned in ("__file__", "__doc__", "script_args", "sys.argv"):
        assert banned not in text, f"{demo.name}: uses {banned}, which a notebook kernel does not give a demo"
    for i, (kind, body) in enumerate(cells[2:], start=2):
        if kind == "code":
            assert cells[i - 1][0] == "markdown", f"{demo.name}: code cell {i} has no markdown cell before it"
        else:
            assert body.strip() and all(line.startswith("#") or not line.strip() for line in body.splitlines()), \
                f"{demo.name}: markdown cell {i} is empty or holds code"
    assert sum(k == "markdown" for k in kinds) >= 2, f"{demo.name}: no narrative besides the header"


def test_a_demo_converts_to_a_notebook_with_its_markdown_and_code():
    from coursekit import notebooks

    demo = DEMOS[0]
    nb = notebooks.demo_notebook(demo)
    kinds = [c.cell_type for c in nb.cells]
    assert kinds.count("markdown") == len(re.findall(r"^# %% \[markdown\]", demo.read_text(), re.M))
    assert nb.cells[0].source.startswith("# ") and "import coursekit" in nb.cells[1].source
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.notebooks
@pytest.mark.parametrize("demo", DEMOS, ids=lambda d: d.stem)
def test_demo_runs_as_a_notebook_in_a_fresh_kernel(demo, tmp_path, request):
    """The demo converted by jupytext runs in a fresh Jupyter kernel with no error, shows its figures
    inline, writes them, and prints every number the lesson quotes from it."""
    import json
    import time

    import quoted_numbers

    from coursekit import notebooks

    figures = tmp_path / "figures"
    nb = notebooks.demo_notebook(demo)
    start = time.perf_counter()
    notebooks.execute(nb, tmp_path, env={"COURSE_FIGURES_DIR": str(figures), "COURSE_STATE_DIR": str(tmp_path / "state")})
    request.node.user_properties.append(("course_notebook", json.dumps(
        {"name": demo.name, "seconds": round(time.perf_counter() - start, 1)})))
    text = notebooks.printed(nb)
    shown = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    written = sorted(figures.glob("*.png"))
    problems = [] if written else [f"{demo.name} wrote no figure"]
    problems += [] if shown >= len(written) else [f"{demo.name} showed {shown} of its {len(written)} figures inline"]
    readme = demo.parent / "README.md"
    problems += [f"{readme.parent.name}/README.md: {p}" for p in quoted_numbers.unprinted_by(readme.read_text(), demo.name, text)]
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- a notebook's cells as an exercise file


def _source(cells, names):
    from coursekit import notebooks

    return notebooks.module_source(cells, set(names))


def test_the_graded_code_is_what_the_functions_need_as_last_defined():
    cells = [
        "import numpy as np\nimport keras",
        "def f(x):\n    return x + 1  # first try",
        "SCALE = 2.0\nmodel = keras.Sequential()  # an experiment\nmodel.fit(np.zeros((2, 1)), np.zeros(2))",
        "def helper(x):\n    return np.asarray(x) * SCALE",
        "def f(x):\n    # second try\n    model = helper(x)  # a local name, not the experiment's model\n    return model",
        "print(f(3))\nresult = f(4)",
        "from coursekit import check, hint\ncheck('5.4.6')",
    ]
    source, missing = _source(cells, ["f", "g"])
    assert missing == {"g"}
    assert "second try" in source and "first try" not in source
    assert "def helper" in source and "SCALE = 2.0" in source and "import numpy as np" in source
    for gone in ("keras", "model.fit", "print(", "check(", "result ="):
        assert gone not in source, f"{gone!r} is not needed by f, yet it is in the graded code"
    namespace = {}
    exec(compile(source, "graded", "exec"), namespace)
    assert float(namespace["f"](3)) == 6.0


def test_what_changes_a_needed_name_in_place_after_its_definition_is_kept():
    cells = ["SETTINGS = {'lr': 0.1}", "SETTINGS['lr'] = 0.3\nOTHER = []\nOTHER.append(1)", "SETTINGS.update(batch=256)",
             "COUNT = 1", "COUNT += 1", "def settings():\n    return dict(SETTINGS, count=COUNT)",
             "SETTINGS = {'lr': 0.01}\nSETTINGS['batch'] = 32"]
    source, _ = _source(cells, ["settings"])
    assert "OTHER" not in source
    namespace = {}
    exec(compile(source, "graded", "exec"), namespace)
    assert namespace["settings"]() == {"lr": 0.01, "batch": 32, "count": 2}  # the kernel's values, not the first ones


def test_imports_come_first_and_a_cell_run_twice_counts_once():
    cells = ["import numpy as np", "LIMIT = np.float64(3)", "import numpy as np",
             "def g():\n    return LIMIT", "def g():\n    return LIMIT + 1", "import numpy as np"]
    source, _ = _source(cells, ["g"])
    assert source.count("import numpy as np") == 1 and source.index("import numpy") < source.index("LIMIT =")
    namespace = {}
    exec(compile(source, "graded", "exec"), namespace)
    assert namespace["g"]() == 4


def test_a_cell_that_does_not_parse_and_ipython_syntax_are_left_out(tmp_path):
    import json

    from coursekit import notebooks

    nb = {"cells": [{"cell_type": "code", "source": ["%matplotlib inline\n", "import math\n"]},
                    {"cell_type": "markdown", "source": "def h(): return 'markdown is not code'"},
                    {"cell_type": "code", "source": "!ls\ndef h(x):\n    return math.sqrt(x)"},
                    {"cell_type": "code", "source": "def h(x) return 0"}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "_5_4_6_exercise.ipynb"
    path.write_text(json.dumps(nb))
    source, missing = notebooks.module_source(notebooks.code_cells(path), {"h"})
    assert not missing and "math.sqrt" in source and "markdown is not code" not in source
    namespace = {}
    exec(compile(source, "graded", "exec"), namespace)
    assert namespace["h"](9) == 3
    for broken in ("{not json", '{"cells": 3}', '{"cells": [{"cell_type": "code", "source": 7}]}'):
        path.write_text(broken)
        with pytest.raises(notebooks.NotebookError, match="not a readable notebook"):
            notebooks.code_cells(path)
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": "x = " + "(" * 5000 + ")" * 5000}]}))
    try:
        notebooks.notebook_to_exercise(path, "5.4.6", tmp_path / "out.py")
    except notebooks.NotebookError as exc:
        assert "deeply" in str(exc)
    with open(path, "wb") as f:
        f.truncate((notebooks.MAX_NOTEBOOK_MB + 1) * 2**20)
    with pytest.raises(notebooks.NotebookError, match="MB"):
        notebooks.code_cells(path)


@pytest.mark.parametrize("ex_id", catalog.exercises())
def test_an_exercise_notebook_holds_the_stub_and_reads_back_as_it(ex_id, tmp_path):
    """Written from the stub, the notebook's code is graded "not attempted"; written from the solution,
    its code defines every function the exercise asks for, with the solution's bodies."""
    import nbformat

    from coursekit import notebooks

    nb = notebooks.exercise_notebook(ex_id)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(f"# Exercise {ex_id}")
    assert f'check("{ex_id}")' in nb.cells[-2].source and "selfcheck" not in "".join(c.source for c in nb.cells)
    path = tmp_path / catalog.exercise_file(ex_id).name.replace(".py", ".ipynb")
    nbformat.write(nb, str(path))
    graded = notebooks.notebook_to_exercise(path, ex_id, tmp_path / catalog.exercise_file(ex_id).name)
    assert catalog.untouched(graded, ex_id)
    solved = notebooks.exercise_notebook(ex_id, "solution")
    nbformat.write(solved, str(path))
    graded = notebooks.notebook_to_exercise(path, ex_id, graded)
    assert catalog.progress(graded, ex_id) == {name: "written" for name in catalog.TODOS[ex_id]}
    compile(graded.read_text(), str(graded), "exec")
    assert not _unbound_names(graded.read_text()), f"the graded code of {ex_id} reads names it does not define"


def _unbound_names(source: str) -> set[str]:
    """The names a module reads at module level, in a default, a base class, a decorator or a function body,
    that neither it nor the builtins define (the file would stop with a NameError)."""
    import ast
    import builtins

    from coursekit import notebooks

    tree = ast.parse(source)
    defined = set(dir(builtins)) | {"__name__", "__file__"}
    read = set()
    for node in tree.body:
        defined |= notebooks._defines(node)
        read |= notebooks._free_names(node)
    return read - defined


FREE_NAMES = {
    "def f(x, c=COST):\n    rows = [r for r in x]\n    return sorted(rows, key=lambda row: row[1]) + G": {"COST", "sorted", "G"},
    "class M(Base):\n    k = K\n    j = k + 1\n    def m(self):\n        return self.k + H": {"Base", "K", "H"},
    "y = [a * b for a in A]": {"A", "b"},
    "@dec\ndef g():\n    global Z\n    Z = 1\n    return W": {"dec", "W"},
    "def outer():\n    v = 1\n    def inner():\n        return v + U\n    return inner": {"U"},
}


@pytest.mark.parametrize("source", FREE_NAMES, ids=range(len(FREE_NAMES)))
def test_the_names_a_statement_reads_from_the_module_follow_pythons_scopes(source):
    import ast

    from coursekit import notebooks

    assert notebooks._free_names(ast.parse(source).body[0]) == FREE_NAMES[source]


def test_the_graded_code_keeps_names_read_by_defaults_bases_decorators_and_annotations():
    cells = ["import functools", "COST = 5.0\nBase = object\nLimit = float\nwrap = functools.lru_cache",
             "OTHER = 1", "def f(x, cost=COST) -> Limit:\n    return x * cost",
             "class Model(Base):\n    pass", "@wrap\ndef g(n):\n    return n"]
    source, missing = _source(cells, ["f", "Model", "g"])
    assert not missing and not _unbound_names(source) and "OTHER" not in source
    namespace = {}
    exec(compile(source, "graded", "exec"), namespace)
    assert namespace["f"](2) == 10.0 and namespace["g"](3) == 3 and namespace["Model"].__bases__ == (object,)


def test_a_notebook_submission_is_graded_when_its_exercise_file_is_the_stub(tmp_path):
    """A student who worked in notebooks/5.4/ hands in a clone with the stub untouched: the notebook
    is graded; a worked exercise file wins over a notebook."""
    import shutil

    import nbformat

    from coursekit import notebooks
    from coursekit.classroom import lay_out
    from coursekit.grading import grade_file

    ex_id = "5.4.6"
    student = tmp_path / "student"
    stub = catalog.exercise_file(ex_id, "exercise", student)
    stub.parent.mkdir(parents=True)
    shutil.copyfile(catalog.exercise_file(ex_id), stub)
    nb = notebooks.exercise_notebook(ex_id, "solution")
    nb.cells.insert(1, nbformat.v4.new_code_cell("%load_ext autoreload\nbest_epoch(None)  # tried out: not graded"))
    (student / "notebooks" / "5.4").mkdir(parents=True)
    nbformat.write(nb, str(student / "notebooks" / "5.4" / "_5_4_6_exercise.ipynb"))
    graded = catalog.exercise_file(ex_id, "exercise", lay_out(student, tmp_path / "laid"))
    assert grade_file(ex_id, graded)["status"] == "correct"
    stub.write_text(stub.read_text().replace('raise NotImplementedError("diagnose', 'return "x"  # (\n    raise NotImplementedError("diagnose'))
    graded = catalog.exercise_file(ex_id, "exercise", lay_out(student, tmp_path / "laid-again"))
    assert grade_file(ex_id, graded)["status"] != "correct"


def test_course_notebook_writes_a_lesson_and_keeps_what_exists(tmp_path, capsys):
    import shutil

    from coursekit import notebooks

    lesson = catalog.lesson_dir("5.4")
    shutil.copytree(lesson, catalog.lesson_dir("5.4", tmp_path), ignore=shutil.ignore_patterns("figures"))
    done = notebooks.write_notebooks("5.4", tmp_path)
    names = sorted(p.name for p, what in done if what == "written")
    expected = sorted([p.with_suffix(".ipynb").name for p in lesson.glob("demo_*.py")]
                      + [catalog.exercise_file(i).with_suffix(".ipynb").name for i in catalog.exercises("5.4")])
    assert names == expected and all(p.parent == tmp_path / "notebooks" / "5.4" for p, _ in done)
    mine = tmp_path / "notebooks" / "5.4" / "_5_4_1_exercise.ipynb"
    mine.write_text(mine.read_text().replace("TODO", "my work"))
    again = dict(notebooks.write_notebooks("5.4.1", tmp_path))
    assert again == {mine: "kept"} and "my work" in mine.read_text()
    assert dict(notebooks.write_notebooks("5.4.1", tmp_path, force=True)) == {mine: "written"}
    assert "my work" not in mine.read_text()
    half = catalog.exercise_file("5.4.2", "exercise", tmp_path)
    half.write_text(half.read_text() + "\ndef unfinished(:\n")
    (what,) = dict(notebooks.write_notebooks("5.4.2", tmp_path, force=True)).values()
    assert what.startswith("not written: line") and "does not parse" in what


def test_a_demo_in_a_kernel_parses_no_arguments_and_finds_its_lesson(monkeypatch, tmp_path):
    import sys

    import coursekit
    from coursekit import figures, scripts

    monkeypatch.setattr(scripts, "in_notebook", lambda: True)
    monkeypatch.setattr(sys, "argv", ["ipykernel_launcher.py", "-f", "/run/kernel-1.json", "--f=/run/kernel-1.json"])
    monkeypatch.delenv("COURSE_FIGURES_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(figures, "_lesson_folder", [])
    args = coursekit.demo("5.4")
    assert (args.seed, args.figures, args.folder) == (0, None, catalog.lesson_dir("5.4"))
    assert str(catalog.lesson_dir("5.4")) in sys.path
    assert figures.figures_dir() == catalog.lesson_dir("5.4") / "figures" / "latest"
    monkeypatch.setattr(scripts, "in_notebook", lambda: False)
    with pytest.raises(SystemExit):  # from a shell, an abbreviation of --figures is refused, not guessed
        coursekit.script_args(argv=["--f=/run/kernel-1.json"])


# --------------------------------------------------------------------------- in a real kernel, and course watch

IN_KERNEL = ["5.1.3", "5.2.1", "5.3.3", "5.4.1", "5.5.2"]  # one exercise per lesson


@pytest.mark.notebooks
@pytest.mark.parametrize("ex_id", IN_KERNEL)
def test_check_in_a_kernel_says_correct_for_the_solution_and_again_without_start_up(ex_id, tmp_path, request):
    """An exercise notebook with the solution's code in its cells: ``check`` in the kernel says correct,
    twice (the second time with TensorFlow loaded), and records the verdict where the course keeps it."""
    import json

    import nbformat

    from coursekit import notebooks

    nb = notebooks.exercise_notebook(ex_id, "solution")
    nb.cells.append(nbformat.v4.new_code_cell(f'check("{ex_id}")'))
    state = tmp_path / "state"
    notebooks.execute(nb, tmp_path, env={"COURSE_STATE_DIR": str(state)})
    text = notebooks.printed(nb)
    seconds = [float(s) for s in re.findall(rf"^{re.escape(ex_id)}: CORRECT \(.*\) in ([\d.]+) s$", text, re.M)]
    assert len(seconds) == 2, text[-3000:]
    request.node.user_properties.append(("course_notebook_check", json.dumps({"id": ex_id, "first": seconds[0],
                                                                              "second": seconds[1]})))
    assert json.loads((state / "status.json").read_text())[ex_id]["status"] == "correct"


@pytest.mark.notebooks
def test_check_in_a_kernel_grades_a_wrong_answer_and_a_half_written_notebook(tmp_path):
    """The notebook's functions as the kernel ran them last: a stub is not attempted; a wrong answer is
    incorrect with the hint aimed at it; a check among the cells does not check itself again."""
    import nbformat

    from coursekit import notebooks

    ex_id = "5.4.6"
    nb = notebooks.exercise_notebook(ex_id)  # the stub, run as it is
    new = nbformat.v4.new_code_cell
    solution = notebooks.exercise_notebook(ex_id, "solution")
    nb.cells += [c for c in solution.cells if c.cell_type == "code" and "def best_epoch" in c.source]
    nb.cells.append(new("def best_epoch(history):\n    import numpy as np\n    return int(np.argmin(history['val_loss']))"))
    nb.cells.append(new(f'check("{ex_id}")'))
    notebooks.execute(nb, tmp_path, env={"COURSE_STATE_DIR": str(tmp_path / "state")})
    text = notebooks.printed(nb)
    verdicts = re.findall(rf"^{re.escape(ex_id)}: (NOT ATTEMPTED|INCORRECT|CORRECT)", text, re.M)
    assert verdicts == ["NOT ATTEMPTED", "INCORRECT"], text[-3000:]
    assert "counted from 1" in text  # the off-by-one's hint


@pytest.mark.notebooks
def test_course_watch_checks_on_every_save(tmp_path):
    """``course watch`` checks the file at the start and after each save, from one process that keeps
    TensorFlow loaded; the verdict follows the file."""
    import shutil
    import subprocess
    import sys
    import time

    ex_id = "5.4.6"
    path = catalog.exercise_file(ex_id, "exercise", tmp_path)
    path.parent.mkdir(parents=True)
    shutil.copyfile(catalog.exercise_file(ex_id), path)
    log = tmp_path / "watch.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "coursekit.cli", "watch", ex_id, "--root", str(tmp_path),
                                 "--checks", "2"], stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        deadline = time.time() + 120
        while "NOT ATTEMPTED" not in log.read_text() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.2)
        path.write_text(catalog.exercise_file(ex_id, "solution").read_text())
        proc.wait(timeout=120)
    finally:
        proc.kill()
    text = log.read_text()
    assert proc.returncode == 0 and "NOT ATTEMPTED" in text and f"{ex_id} CORRECT" in text, text[-3000:]
    assert re.search(r"from save to verdict: [\d.]+ s", text), text[-3000:]
