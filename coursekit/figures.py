"""Headless figures, saved as PNG.

A run writes its figures where they change nothing that git tracks: ``figures/latest/`` beside the
script (git-ignored), or the folder named by ``$COURSE_FIGURES_DIR`` (``--figures DIR``). The
figures a lesson's README embeds (``figures/*.png``, committed) are regenerated only on purpose, by
a maintainer: ``course run 5.N --update-figures``.
"""

from __future__ import annotations

import os
from pathlib import Path

FIGURES_ENV = "COURSE_FIGURES_DIR"
LATEST = "latest"  # the git-ignored subfolder of a lesson's figures/ that ordinary runs write into


def figures_dir(script: str | os.PathLike) -> Path:
    """Where a script's figures go: ``$COURSE_FIGURES_DIR`` if set, else ``figures/latest/`` beside the script."""
    override = os.environ.get(FIGURES_ENV)
    folder = Path(override) if override else Path(script).resolve().parent / "figures" / LATEST
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_figure(fig, name: str, script: str | os.PathLike) -> Path:
    """Save ``fig`` as ``<figures_dir>/<name>.png``, close it, print and return the path."""
    import matplotlib.pyplot as plt

    path = figures_dir(script) / (name if name.endswith(".png") else f"{name}.png")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    print(f"figure: {path}")
    return path
