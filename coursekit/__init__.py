"""The course toolkit: seeding, quiet TensorFlow, headless figures, script arguments, the
scikeras adapter and the ``course`` command.

Import it before TensorFlow or Keras (``import coursekit`` as a script's first import): it sets
the environment variables TensorFlow and matplotlib read when they start.
"""

import os as _os

# Hide TensorFlow's C++ start-up log and keep oneDNN's reordering off (bit-stable results);
# both must be set before TensorFlow is imported. Users can still override them.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
_os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Figures are written to files; no window ever opens (headless servers, CI, grading).
_os.environ.setdefault("MPLBACKEND", "Agg")

from .seeding import set_seed  # noqa: E402
from .figures import figures_dir, save_figure  # noqa: E402
from .scripts import demo, in_notebook, script_args  # noqa: E402


def selfcheck(path: str) -> None:
    """Run the rubric's harness on an exercise file and print what it measures (its ``__main__``)."""
    from .selfcheck import selfcheck as _run

    _run(path)

def check(ex_id: str, seed: int = 0) -> None:
    """In a notebook: grade the functions this kernel defined for exercise ``ex_id`` (as ``course check``)."""
    from .notebooks import check as _check

    _check(ex_id, seed)


def hint(ex_id: str, level: int | None = None) -> None:
    """In a notebook: the next hint level of exercise ``ex_id`` (as ``course hint``)."""
    from .notebooks import hint as _hint

    _hint(ex_id, level)


__all__ = ["check", "demo", "figures_dir", "hint", "in_notebook", "save_figure", "script_args", "selfcheck", "set_seed"]
