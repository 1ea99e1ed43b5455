"""The course as notebooks: ``course notebook``, and ``check`` / ``hint`` inside a kernel.

- :func:`write_notebooks`: a lesson's demos and exercises as ``.ipynb`` files in ``notebooks/5.N/``
  (git-ignored; a notebook that exists is never overwritten, it may hold a student's work). A demo's
  ``# %%`` / ``# %% [markdown]`` cells become the notebook's cells (jupytext); an exercise becomes its
  task (markdown), its code in cells, and a last cell that checks it.
- :func:`module_source`: the exercise file that a notebook's code cells amount to. The graded code is
  what the exercise's functions need, as the cells last defined it: the definitions of the exercise's
  names, and, following the names they use, the imports, helpers and constants those need. What a
  cell only does (a training run tried out, a print, a ``check``) is not part of it. The same rule
  reads a kernel's executed cells (in-kernel :func:`check`) and a submitted ``.ipynb`` (the
  instructor's grade).
- :func:`check`: grades the notebook's functions with the exercise's grader, in the kernel (the
  second check pays no TensorFlow start-up), with the verdict ``course check`` gives, and records it.
"""

from __future__ import annotations

import ast
import symtable
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from . import catalog

NOTEBOOKS = "notebooks"  # <course>/notebooks/5.N/: git-ignored, outside the folders a grading watches
NOTEBOOK_NAME = re.compile(r"^_5_([1-5])_(\d+)_exercise\.ipynb$")
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


class NotebookError(catalog.CatalogError):
    """A notebook that cannot be read or written; the message says what to do."""


# --------------------------------------------------------------------------- writing notebooks


def notebooks_dir(lesson_id: str, root: Path = catalog.REPO) -> Path:
    return Path(root) / NOTEBOOKS / lesson_id


def notebook_name(path: Path) -> str:
    return Path(path).with_suffix(".ipynb").name


def demo_notebook(path: Path):
    """A demo as a notebook: its ``# %%`` cells as code cells, its ``# %% [markdown]`` cells as text."""
    import jupytext

    nb = jupytext.read(Path(path), fmt="py:percent")
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.pop("jupytext", None)  # a plain notebook, not one paired with the script
    return nb


def _docstring_markdown(ex_id: str, doc: str) -> str:
    title, _, rest = doc.strip().partition("\n")
    lines = [f"# {title.strip()}", ""]
    for line in rest.strip("\n").splitlines():
        lines.append(line.replace("``", "`"))
    return "\n".join(lines).strip()


def exercise_notebook(ex_id: str, kind: str = "exercise", root: Path = catalog.REPO):
    """An exercise as a notebook: the task (its docstring), its code in cells (the imports, then a cell
    per function or class, as the file has them; not the ``python file.py`` self-check), and a last
    cell that checks the functions the kernel ran."""
    import jupytext

    path = catalog.exercise_file(ex_id, kind, root)
    source = path.read_text()
    tree = ast.parse(source, filename=str(path))
    lines = source.splitlines()
    cells = []
    doc = ast.get_docstring(tree)
    if doc:
        cells.append(("markdown", _docstring_markdown(ex_id, doc)))
    body = [n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(getattr(n, "value", None), ast.Constant)
                                         and isinstance(n.value.value, str))]
    body = [n for n in body if not _is_main_block(n)]
    start = None
    pending: list[str] = []
    for node in body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        first = _with_comments_above(lines, first, start)
        text = "\n".join(lines[first - 1:node.end_lineno]).strip("\n")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if pending:
                cells.append(("code", "\n".join(pending).strip("\n")))
                pending = []
            cells.append(("code", text))
        else:
            pending.append(text)
        start = node.end_lineno
    if pending:
        cells.append(("code", "\n".join(pending).strip("\n")))
    cells.append(("markdown", f"## Check your answer\n\nRun the cells above that define your functions, then this "
                              f"one: it grades them with the rubric of `course check {ex_id}`, in this kernel, and "
                              f"records the verdict. `hint(\"{ex_id}\")` gives the next hint level."))
    cells.append(("code", f"from coursekit import check, hint\n\ncheck(\"{ex_id}\")"))
    cells.append(("code", f"# hint(\"{ex_id}\")  # take the # away and run this cell for the next hint"))
    text = "\n\n".join("# %% [markdown]\n" + "\n".join(f"# {ln}".rstrip() for ln in body.splitlines())
                       if kind_ == "markdown" else f"# %%\n{body}" for kind_, body in cells)
    nb = jupytext.reads(text + "\n", fmt="py:percent")
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.pop("jupytext", None)
    nb.metadata["course"] = {"exercise": ex_id}
    return nb


def _is_main_block(node) -> bool:
    return (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
            and isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__")


def _with_comments_above(lines: list[str], first: int, previous_end: int | None) -> int:
    """The first line of a statement with the comment lines right above it (not past the previous one)."""
    floor = (previous_end or 0) + 1
    while first - 1 >= floor and lines[first - 2].lstrip().startswith("#"):
        first -= 1
    return first


def write_notebooks(target: str, root: Path = catalog.REPO, force: bool = False) -> list[tuple[Path, str]]:
    """Write the notebooks of a lesson ("5.2": its demos and exercises) or of one exercise ("5.2.3")
    into ``notebooks/5.N/``. Returns (path, what happened) for each: "written", or "kept" for a
    notebook that already exists (it may hold work; ``force`` writes it again)."""
    import nbformat

    if target in catalog.LESSONS:
        lesson_id, items = target, [("demo", d) for d in catalog.demos(target, root)]
        items += [("exercise", ex_id) for ex_id in catalog.exercises(target)]
    else:
        ex_id = catalog.require(target)
        lesson_id, items = catalog.parse_id(ex_id)[0], [("exercise", ex_id)]
    folder = notebooks_dir(lesson_id, root)
    folder.mkdir(parents=True, exist_ok=True)
    done = []
    for kind, item in items:
        if kind == "demo":
            dest, make = folder / notebook_name(item), (lambda item=item: demo_notebook(item))
        else:
            dest = folder / notebook_name(catalog.exercise_file(item, "exercise", root))
            make = (lambda item=item: exercise_notebook(item, "exercise", root))
        if dest.exists() and not force:
            done.append((dest, "kept"))
            continue
        try:
            nb = make()
        except SyntaxError as exc:  # a student's exercise file, half edited: say so, write the others
            done.append((dest, f"not written: line {exc.lineno} of {Path(exc.filename or '').name or 'the file'} "
                               f"does not parse ({exc.msg})"))
            continue
        tmp = dest.with_name(f".{dest.name}.tmp")
        nbformat.write(nb, str(tmp))
        tmp.replace(dest)  # never a half-written notebook
        done.append((dest, "written"))
    return done


# --------------------------------------------------------------------------- from cells to an exercise file


def _stored(target) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _defines(node) -> set[str]:
    """The module-level names a statement binds (None-like empty set for what only acts)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name.split(".")[0]) for a in node.names if a.name != "*"}
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, ast.Assign):
        return set().union(*(_stored(t) for t in node.targets))
    if isinstance(node, ast.AnnAssign):
        return _stored(node.target) if node.value is not None else set()
    if isinstance(node, (ast.If, ast.Try)):
        inner = list(node.body) + list(getattr(node, "orelse", [])) + list(getattr(node, "finalbody", []))
        for handler in getattr(node, "handlers", []):
            inner += handler.body
        if all(isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                              ast.Assign, ast.AnnAssign, ast.If, ast.Try, ast.Pass, ast.Raise, ast.Expr))
               for n in inner):
            return set().union(set(), *(_defines(n) for n in inner))
    return set()


def _root_name(node) -> str | None:
    """``X`` of ``X``, ``X.a.b``, ``X[k]``, ``X.a[k].b``."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _mutates(node) -> str | None:
    """The module-level name a statement changes in place: ``X.append(...)``, ``X[k] = v``,
    ``X.attr = v``, ``X += v``; None for anything else."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute):
        return _root_name(node.value.func.value)
    if isinstance(node, ast.AugAssign):
        return _root_name(node.target)
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], (ast.Attribute, ast.Subscript)):
        return _root_name(node.targets[0])
    return None


def _free_names(node) -> set[str]:
    """The module-level names a statement reads: at its own level, and as globals inside the functions,
    lambdas, classes and comprehensions it holds (Python's own symbol tables decide the scopes, so a
    function's local ``model``, a lambda's parameter or a comprehension's variable pulls in nothing)."""
    if not isinstance(node, ast.stmt):
        node = ast.Expr(node)
    try:
        table = symtable.symtable(ast.unparse(node), "<cell>", "exec")
    except (SyntaxError, ValueError, RecursionError):
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    # Python 3.12 inlines comprehensions into their scope: their loop variables are no module names
    loop_vars = {n.id for c in ast.walk(node) if isinstance(c, ast.comprehension)
                 for n in ast.walk(c.target) if isinstance(n, ast.Name)}
    names, tables = set(), [table]
    while tables:
        t = tables.pop()
        tables += t.get_children()
        for sym in t.get_symbols():
            if not sym.is_referenced():
                continue
            if t.get_type() == "module" and sym.get_name() in loop_vars and sym.is_assigned():
                continue
            if t.get_type() == "module" or sym.is_global():
                names.add(sym.get_name())
            elif t.get_type() == "class" and not (sym.is_assigned() or sym.is_imported() or sym.is_free()):
                names.add(sym.get_name())
    return names


def exercise_names(ex_id: str) -> set[str]:
    """The module-level names an exercise's file defines for the rubric (its functions and classes)."""
    names = {todo.split(".")[0] for todo in catalog.TODOS.get(ex_id, ())}
    stub = catalog.exercise_file(ex_id, "solution")
    if not stub.is_file():
        stub = catalog.exercise_file(ex_id, "exercise")
    try:
        tree = ast.parse(stub.read_text())
        names |= {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    except (OSError, SyntaxError):
        pass
    return names


def module_source(cells: list[str], names: set[str]) -> tuple[str, set[str]]:
    """The exercise file that code ``cells`` (in the order they ran) amount to for ``names``: the last
    definition of each name, and of every module-level name those read, transitively; imports first.
    Returns the source and the ``names`` that no cell defines."""
    statements = []  # (source text, node)
    for cell in cells:
        try:
            tree = ast.parse(cell)
        except (SyntaxError, ValueError):
            continue  # a cell that does not parse ran nothing (ValueError: a null byte)
        lines = cell.splitlines()
        for node in tree.body:
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            first = _with_comments_above(lines, first, None if not statements or statements[-1][2] is not tree
                                         else statements[-1][1].end_lineno)
            statements.append(("\n".join(lines[first - 1:node.end_lineno]), node, tree))
    last: dict[str, int] = {}
    star = []
    for i, (_, node, _) in enumerate(statements):
        for name in _defines(node):
            last[name] = i
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            star.append(i)
    changes: dict[str, list[int]] = {}  # name -> the statements that change it in place
    for i, (_, node, _) in enumerate(statements):
        name = _mutates(node)
        if name is not None:
            changes.setdefault(name, []).append(i)
    kept, todo = set(star), list(names)
    seen = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        i = last.get(name)
        if i is None:
            continue
        # its definition, and what changed it in place afterwards (a dict filled in, a model trained)
        for j in [i] + [j for j in changes.get(name, []) if j > i]:
            if j not in kept:
                kept.add(j)
                todo += list(_free_names(statements[j][1]))
    future = [i for i in sorted(kept) if isinstance(statements[i][1], ast.ImportFrom)
              and statements[i][1].module == "__future__"]
    imports = [i for i in sorted(kept) if isinstance(statements[i][1], (ast.Import, ast.ImportFrom)) and i not in future]
    rest = [i for i in sorted(kept) if i not in imports and i not in future]
    parts, seen_text = [], set()
    for i in future + imports:
        text = statements[i][0].strip()
        if text not in seen_text:
            seen_text.add(text)
            parts.append(text)
    source = "\n".join(parts) + ("\n\n\n" if parts else "")
    source += "\n\n\n".join(statements[i][0].strip("\n") for i in rest)
    return source.strip("\n") + "\n", {n for n in names if n not in last}


def _ipython_to_python(cell: str) -> str:
    """A code cell's IPython syntax (``%magic``, ``!shell``) as the Python a kernel runs."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(cell)
    except Exception:  # noqa: BLE001 -- no IPython, or a cell it cannot read: drop the IPython-only lines
        return "\n".join(line for line in cell.splitlines() if not line.lstrip().startswith(("%", "!")))


MAX_NOTEBOOK_MB = 20  # a notebook handed in is read by the grader's own process: bounded


def code_cells(path: Path) -> list[str]:
    """The code cells of a notebook file, in order, as Python. A file that is not a notebook raises
    :class:`NotebookError`."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_NOTEBOOK_MB * 2**20:
            raise NotebookError(f"{Path(path).name} is {size / 2**20:.0f} MB, over the {MAX_NOTEBOOK_MB} MB a "
                                "notebook may have (clear its outputs)")
        nb = json.loads(Path(path).read_text(encoding="utf-8", errors="replace"))
        cells = nb["cells"]
        sources = []
        for cell in cells:
            if cell.get("cell_type") == "code":
                text = cell.get("source", "")
                if isinstance(text, list) and all(isinstance(t, str) for t in text):
                    text = "".join(text)
                if not isinstance(text, str):
                    raise TypeError("a code cell's source is neither text nor a list of lines")
                sources.append(_ipython_to_python(text))
        return sources
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise NotebookError(f"{Path(path).name} is not a readable notebook ({type(exc).__name__}: {exc})") from None


def notebook_to_exercise(notebook: Path, ex_id: str, dest: Path) -> Path:
    """Write the exercise file that a submitted notebook's code cells amount to."""
    try:
        source, _ = module_source(code_cells(notebook), exercise_names(ex_id))
    except (RecursionError, MemoryError):
        raise NotebookError(f"{Path(notebook).name} nests its code too deeply to be read") from None
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(f"# {ex_id}: the code cells of {Path(notebook).name}, as the grading reads them\n" + source)
    return dest


# --------------------------------------------------------------------------- check and hint in a kernel


_GRADING: list[str] = []  # the exercise being checked in this process (a check inside a check does nothing)


def _kernel_cells() -> list[str]:
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise NotebookError("check() grades the functions of a notebook: run it in a notebook kernel; in a "
                            "terminal, `course check 5.N.K` grades the exercise file")
    return [cell for cell in list(shell.user_ns.get("In", []))[1:] if cell]


def check(ex_id: str, seed: int = 0) -> None:
    """Grade the functions this notebook defined for exercise ``ex_id`` with its rubric, in this kernel,
    print each check with its hint, and record the verdict (as ``course check``)."""
    from .grading import grade_file
    from .grading.engine import rebaseline
    from .grading.report import check_lines
    from . import state

    if _GRADING:
        return  # a check() among the graded cells: the grading is already running
    try:
        ex_id = catalog.require(str(ex_id))
        source, missing = module_source(_kernel_cells(), exercise_names(ex_id))
    except catalog.CatalogError as exc:
        print(f"check: {exc}")
        return
    todo = {t.split(".")[0] for t in catalog.TODOS.get(ex_id, ())}
    if todo and todo <= missing:
        print(f"{ex_id}: none of {', '.join(sorted(todo))} is defined in this kernel yet: run the cells that define "
              "them (or Run All), then check again.")
        return
    folder = Path(tempfile.mkdtemp(prefix="course-notebook-check-"))
    path = folder / catalog.exercise_file(ex_id).name
    path.write_text(source)
    start = time.perf_counter()
    _GRADING.append(ex_id)
    rebaseline()  # the kernel as it is now: it swaps builtins.input for each cell it runs
    try:
        print(f"Checking the functions of this notebook for {ex_id} (seed {seed}) ...", flush=True)
        verdict = grade_file(ex_id, path, seed)
    finally:
        _GRADING.pop()
        shutil.rmtree(folder, ignore_errors=True)
    verdict["file"] = "notebook"
    verdict["wall_seconds"] = round(time.perf_counter() - start, 1)
    for line in check_lines(verdict):
        print(line)
    status = verdict["status"]
    points = f" ({verdict['points']:g}/{verdict['max_points']:g} points)" if verdict.get("max_points") else ""
    message = f" -- {verdict['message']}" if verdict.get("message") else ""
    print(f"\n{ex_id}: {status.upper()}{points} in {verdict['wall_seconds']:.1f} s{message}")
    if status == "correct":
        print(catalog.seeds_note(seed))
    elif status == "not attempted":
        print(f"Write the functions marked TODO above and run their cells; `hint(\"{ex_id}\")` helps.")
    else:
        print(f"Fix the FAIL lines above, run the changed cells, and check again; `hint(\"{ex_id}\")` helps.")
    state.record_verdicts([verdict])
    check.last = verdict  # for a caller that wants the verdict itself (tests, a front-end)


def hint(ex_id: str, level: int | None = None) -> None:
    """Print the next hint level of exercise ``ex_id`` (or ``level``), and record it (as ``course hint``)."""
    try:
        ex_id = catalog.require(str(ex_id))
        print(hint_text(ex_id, level))
    except catalog.CatalogError as exc:
        print(f"hint: {exc}")


def hint_text(ex_id: str, level: int | None = None, *, command: str = "hint") -> str:
    """The hint of ``level`` (default: one more than shown so far), recorded in the course's state."""
    from . import state

    levels = catalog.hint_levels(ex_id)
    if not levels:
        raise catalog.CatalogError(f"exercise {ex_id} has no hints yet; its docstring and the lesson's README are the guide")
    shown = state.hints_shown(ex_id)
    level = min(shown + 1, len(levels)) if level is None else level
    if not 1 <= level <= len(levels):
        raise catalog.CatalogError(f"exercise {ex_id} has hint levels 1-{len(levels)}")
    title, _, body = levels[level - 1].partition("\n")
    state.record_hint(ex_id, level)
    text = f"{ex_id} hint {level} of {len(levels)} -- {title}\n\n{body.strip()}\n"
    again = f"`hint(\"{ex_id}\")`" if command == "hint" else f"`course hint {ex_id}`"
    if level < len(levels):
        text += f"\n({again} again for the next level; the levels you open are recorded in the course's .course/)"
    else:
        text += f"\n(that was the last level; `course solution {ex_id}` shows where the solution is)"
    return text



# --------------------------------------------------------------------------- running a notebook


def execute(nb, cwd: Path, *, timeout: float = 600, env: dict | None = None):
    """Run every cell of notebook ``nb`` (in place) in a fresh kernel of this Python, from ``cwd``, with
    ``env`` added to this process's environment; returns ``nb``. An error in a cell raises nbclient's
    ``CellExecutionError`` with the cell's traceback."""
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}})
    client.execute(env={**os.environ, **(env or {})})
    return nb


def printed(nb) -> str:
    """What a run notebook printed: its streams and the plain-text form of its results, cell by cell."""
    out = []
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "stream":
                out.append(output.get("text", ""))
            elif "text/plain" in output.get("data", {}) and "image/png" not in output.get("data", {}):
                out.append(output["data"]["text/plain"] + "\n")
    return "".join(out)
