"""The course's files as the grading relies on them: a snapshot held in memory, compared with the
disk after every exercise a submission runs, and put back where it differs (``sandbox``)."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from .. import catalog



def watched_roots() -> list[Path]:
    roots = [catalog.REPO / "coursekit", catalog.REPO / "data", catalog.REPO / "tests", catalog.REPO / "pyproject.toml"]
    roots += [catalog.lesson_dir(lesson_id) for lesson_id in catalog.LESSONS]
    return roots


def _site_folders() -> list[Path]:
    """Where a new ``.pth`` or ``sitecustomize.py`` would change every later Python start."""
    import site

    folders = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
    user = getattr(site, "getusersitepackages", lambda: None)()
    return [Path(f) for f in folders + ([user] if user else [])]


def _raw_data_files() -> list[Path]:
    from data import guard

    files = []
    for folder in guard._data_folders():
        for name in ("modeldata/wa_churn.csv", "modeldata/ames.csv", "digits.csv.gz"):
            path = Path(folder) / name
            if path.is_file():
                files.append(path)
    return files


GENERATED_FOLDERS = {".git", ".course", "grades", "artifacts", "build", "dist", ".pytest_cache"}
GENERATED_SUFFIXES = {".keras", ".h5", ".db", ".pkl", ".joblib"}


def _skip(path: Path) -> bool:
    """Not watched: what runs generate (as .gitignore lists it) and a student's own exercise files."""
    parts = set(path.parts)
    if parts & GENERATED_FOLDERS or ("figures" in parts and "latest" in parts) or path.suffix in GENERATED_SUFFIXES:
        return True
    if any(part.endswith(".egg-info") or part.startswith(".venv") for part in path.parts):
        return True
    return path.name.endswith("_exercise.py") and catalog.FILE_NAME.match(path.name) is not None


class CourseFiles:
    """A snapshot of the files the grading relies on; :meth:`restore` puts back whatever changed.

    Watched: the toolkit and graders (``coursekit/``), ``data/``, ``tests/``, the lesson folders
    (except the exercise files, which are a student's own in their copy, and ``figures/latest/``), the
    raw data the loaders read, and the site folders (new ``.pth``, ``sitecustomize``,
    ``usercustomize``). Bytecode caches are restored and cleaned silently: Python writes them itself."""

    def __init__(self):
        self.files: dict[Path, bytes] = {}
        for root in watched_roots():
            for path in ([root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())):
                if not _skip(path):
                    self.files[path] = path.read_bytes()
        for path in _raw_data_files():
            self.files[path] = path.read_bytes()
        self.digests = {p: hashlib.blake2b(b, digest_size=16).digest() for p, b in self.files.items()}
        self.site = {f: set(os.listdir(f)) if f.is_dir() else set() for f in _site_folders()}

    def restore(self) -> list[str]:
        """Put back every changed or removed file, remove new ones; the changes other than bytecode."""
        changed = []
        present = set()
        for root in watched_roots():
            for path in ([root] if root.is_file() else [p for p in root.rglob("*") if p.is_file() or p.is_symlink()]):
                if _skip(path) and not path.is_symlink():
                    continue
                present.add(path)
                if path not in self.files:
                    if not path.suffix == ".pyc":
                        changed.append(f"added {self._rel(path)}")
                    path.unlink(missing_ok=True)
                elif path.is_symlink() or hashlib.blake2b(path.read_bytes(), digest_size=16).digest() != self.digests[path]:
                    if path.suffix != ".pyc":
                        changed.append(f"changed {self._rel(path)}")
                    self._put_back(path)
        for path in _raw_data_files():
            present.add(path)
            if hashlib.blake2b(path.read_bytes(), digest_size=16).digest() != self.digests.get(path):
                changed.append(f"changed {path.name} (raw data)")
                self._put_back(path)
        for path in set(self.files) - present:
            if path.suffix != ".pyc":
                changed.append(f"removed {self._rel(path)}")
            self._put_back(path)
        for folder, names in self.site.items():
            if not folder.is_dir():
                continue
            for name in set(os.listdir(folder)) - names:
                if name.endswith(".pth") or name.split(".")[0] in ("sitecustomize", "usercustomize"):
                    changed.append(f"added {folder / name}")
                    _remove(folder / name)
        return changed

    def _put_back(self, path: Path) -> None:
        if path.is_symlink() or path.is_dir():
            _remove(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.files[path])

    @staticmethod
    def _rel(path: Path) -> str:
        try:
            return str(path.relative_to(catalog.REPO))
        except ValueError:
            return str(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
