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
