"""What ``course`` remembers in a copy of the course (``.course/``, git-ignored): each exercise's last
verdict, how many hint levels were shown, which solutions were opened. The instructor's grade
report reads the last two from a student's copy."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from . import catalog


STATE_ENV = "COURSE_STATE_DIR"  # another folder for this course copy's records (the notebook tests use one)


def _folder(root: Path) -> Path:
    override = os.environ.get(STATE_ENV)
    if override and Path(root).resolve() == catalog.REPO:
        return Path(override)
    return Path(root) / ".course"


def _read(root: Path, name: str) -> dict:
    try:
        data = json.loads((_folder(root) / name).read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write(root: Path, name: str, data: dict) -> None:
    folder = _folder(root)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.tmp"
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(folder / name)  # never a half-written file


def verdicts(root: Path = catalog.REPO) -> dict:
    return _read(root, "status.json")


def record_verdicts(results: list[dict], root: Path = catalog.REPO) -> None:
    status = verdicts(root)
    for v in results:
        status[v["id"]] = {"status": v["status"], "when": time.strftime("%Y-%m-%d %H:%M"),
                           "points": v.get("points"), "max_points": v.get("max_points")}
    _write(root, "status.json", status)


def hints_shown(ex_id: str, root: Path = catalog.REPO) -> int:
    return int(_read(root, "hints.json").get(ex_id, 0))


def record_hint(ex_id: str, level: int, root: Path = catalog.REPO) -> None:
    hints = _read(root, "hints.json")
    hints[ex_id] = max(int(hints.get(ex_id, 0)), level)
    _write(root, "hints.json", hints)


def record_solution_opened(ex_id: str, root: Path = catalog.REPO) -> None:
    opened = _read(root, "solutions.json")
    opened.setdefault(ex_id, time.strftime("%Y-%m-%d %H:%M"))
    _write(root, "solutions.json", opened)


def usage(root: Path = catalog.REPO) -> dict:
    """Hints used and solutions opened in a copy of the course (for the instructor's report)."""
    return {"hints": {k: int(v) for k, v in _read(root, "hints.json").items()},
            "solutions": sorted(_read(root, "solutions.json"))}
