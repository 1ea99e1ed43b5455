"""Headless figures, saved as PNG (and shown inline in a notebook).

A run writes its figures where they change nothing that git tracks: ``figures/latest/`` of the
lesson (git-ignored), or the folder named by ``$COURSE_FIGURES_DIR`` (``--figures DIR``). The
figures a lesson's README embeds (``figures/*.png``, committed) are regenerated only on purpose, by
a maintainer: ``course run 5.N --update-figures``.
"""

from __future__ import annotations

import os
from pathlib import Path

FIGURES_ENV = "COURSE_FIGURES_DIR"
LATEST = "latest"  # the git-ignored subfolder of a lesson's figures/ that ordinary runs write into

_lesson_folder: list[Path] = []  # set by coursekit.demo(): the folder of the demo that runs


def set_lesson_folder(folder: Path) -> None:
    _lesson_folder[:] = [Path(folder)]


def figures_dir(script: str | os.PathLike | None = None) -> Path:
    """Where figures go: ``$COURSE_FIGURES_DIR`` if set, else ``figures/latest/`` of the demo's lesson
    (:func:`coursekit.demo`), else beside ``script``, else in the working folder."""
    override = os.environ.get(FIGURES_ENV)
    if override:
        folder = Path(override)
    elif script is not None:
        folder = Path(script).resolve().parent / "figures" / LATEST
    elif _lesson_folder:
        folder = _lesson_folder[0] / "figures" / LATEST
    else:
        folder = Path.cwd() / "figures" / LATEST
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_figure(fig, name: str, script: str | os.PathLike | None = None) -> Path:
    """Save ``fig`` as ``<figures_dir>/<name>.png``, show it if this is a notebook, close it, print
    and return the path."""
    import matplotlib.pyplot as plt

    from .scripts import in_notebook

    path = figures_dir(script) / (name if name.endswith(".png") else f"{name}.png")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    print(f"figure: {path}")
    if in_notebook():
        from IPython.display import Image, display

        display(Image(filename=str(path)))
        return _ShownPath(path)
    return path


class _ShownPath(type(Path())):
    """The path of a figure already shown in the notebook: as a cell's last value it shows nothing more."""

    def _ipython_display_(self):
        pass
