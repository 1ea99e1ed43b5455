"""What demos share: their command-line arguments, their lesson folder, and whether they run in a notebook.

A demo is a plain script (``python demo_x.py``, ``course run``) and a notebook (``course notebook``,
or its ``# %%`` cells run in VS Code or any Jupyter front-end). Its first code cell calls
:func:`demo`, which works the same in both: from a shell it parses ``--seed`` and ``--figures``; in
a notebook kernel it parses nothing (a kernel's own command line, ``-f .../kernel-1.json``, is not
the demo's) and uses the defaults. It puts the lesson folder on ``sys.path`` (a notebook's working
folder is not the lesson's) and makes it where figures go, so that no demo relies on ``__file__``,
which a kernel does not define.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .figures import FIGURES_ENV, set_lesson_folder


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (JupyterLab, Notebook, VS Code, Colab, nbclient)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # noqa: BLE001 -- a half-imported IPython is not a kernel
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def _title(path: str | os.PathLike | None) -> str | None:
    """The title of a demo: the first ``# # Title`` line of its header cell, if the file says one."""
    try:
        for line in Path(path).read_text(encoding="utf-8").splitlines()[:20]:
            if line.startswith("# # "):
                return line[4:].strip()
    except (OSError, TypeError, ValueError):
        pass
    return None


def script_args(description: str | None = None, argv=None) -> argparse.Namespace:
    """Parse ``--seed`` and ``--figures DIR`` (the latter sets where ``save_figure`` writes).

    In a notebook kernel, with no ``argv`` given, nothing is parsed: the defaults hold."""
    if argv is None and in_notebook():
        argv = []
    first_line = (description or "").strip().splitlines()[0] if description and description.strip() else None
    # allow_abbrev=False: "--f=kernel.json" (some front-ends pass it) is never read as --figures
    parser = argparse.ArgumentParser(description=first_line, allow_abbrev=False)
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--figures", metavar="DIR", help="write figures here instead of figures/latest/ of the lesson")
    args = parser.parse_args(argv)
    if args.figures:
        os.environ[FIGURES_ENV] = os.path.abspath(args.figures)
    return args


def demo(lesson_id: str, argv=None) -> argparse.Namespace:
    """Set up a demo of lesson ``lesson_id`` ("5.4"): its arguments (``seed``, ``figures``) and its
    lesson folder (``folder``), which is put on ``sys.path`` for the lesson's own modules and is where
    figures go (``figures/latest/``, git-ignored). The same in a shell and in a notebook."""
    from . import catalog

    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None) if not in_notebook() else None
    folder = catalog.lesson_dir(lesson_id)
    if script and Path(script).resolve().parent.name == folder.name:
        folder = Path(script).resolve().parent  # a script run from another copy of the course: its own folder
    args = script_args(_title(script) if script else None, argv)
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    set_lesson_folder(folder)
    args.folder = folder
    return args
