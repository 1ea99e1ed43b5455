"""Command-line arguments shared by demos and exercises."""

from __future__ import annotations

import argparse
import os

from .figures import FIGURES_ENV


def script_args(description: str | None = None, argv=None) -> argparse.Namespace:
    """Parse ``--seed`` and ``--figures DIR`` (the latter sets where ``save_figure`` writes)."""
    parser = argparse.ArgumentParser(description=(description or "").strip().splitlines()[0] if description else None)
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--figures", metavar="DIR", help="write figures here instead of figures/latest/ beside the script")
    args = parser.parse_args(argv)
    if args.figures:
        os.environ[FIGURES_ENV] = os.path.abspath(args.figures)
    return args
