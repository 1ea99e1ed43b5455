"""Train the deployable churn model and save it where you say (the artifact of lesson 5.5).

    python train_churn_artifact.py OUT [--epochs N] [--seed S] [--force]

OUT ending in ``.keras`` gets a Keras file (architecture, weights, optimizer state); any other path
gets a TensorFlow SavedModel folder (``model.export``), which TF Serving and other runtimes load
without this code. The model takes raw customer records -- its scaling and one-hot encoding are
layers inside it (``_lesson55.build_raw_churn_model``) -- so ``predict_churn.py OUT records.csv``
scores a CSV of raw records with nothing else shipped beside it.

Training uses the course's fixed churn split: the training rows to fit, the validation rows to
choose the epoch (early stopping on validation ROC AUC, best epoch restored); the test rows are not
touched. An existing OUT is kept unless ``--force``; the artifact is written under a temporary
name and renamed when complete, so an interrupted run never leaves half an artifact at OUT. Any
problem ends with one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import coursekit

PROG = "train_churn_artifact"


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        print(f"{PROG}: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def main(argv=None) -> int:
    parser = _Parser(prog=PROG, description="Train the raw-record churn model and save it to OUT.")
    parser.add_argument("out", type=Path, help="a .keras file, or a folder for a SavedModel")
    parser.add_argument("--epochs", type=int, default=10, help="at most this many epochs (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of initialisation and shuffling (default 0)")
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")
    args = parser.parse_args(argv)

    out = args.out
    problem = None
    if args.epochs < 1:
        problem = f"--epochs must be at least 1, got {args.epochs}"
    elif out.exists() and not args.force:
        problem = f"{out} exists; pass --force to replace it"
    elif not out.parent.is_dir():
        problem = f"{out.parent}: no such folder"
    if problem:
        print(f"{PROG}: {problem}", file=sys.stderr)
        return 2

    import numpy as np
    from sklearn.metrics import roc_auc_score

    import _lesson55
    import data

    coursekit.set_seed(args.seed)
    split = data.split_churn()
    model, history = _lesson55.train_raw_churn_model(split, seed=args.seed, epochs=args.epochs)
    val_auc = roc_auc_score(split.val[data.churn.TARGET], _lesson55.predict_records(model, split.val))

    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        staged = work / out.name
        if out.suffix == ".keras":
            model.save(staged)
        else:
            model.export(str(staged), verbose=False)
        if out.exists():  # --force
            shutil.rmtree(out) if out.is_dir() else out.unlink()
        staged.replace(out)
    except OSError as exc:
        print(f"{PROG}: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(work, ignore_errors=True)
    best = int(np.argmax(history.history["val_auc"])) + 1
    kind = "Keras file" if out.suffix == ".keras" else "SavedModel folder"
    print(f"trained {len(history.epoch)} epochs (best epoch {best}); validation ROC AUC {val_auc:.4f}")
    print(f"saved the {kind} {out} ({_size(out) / 1024:.1f} KiB); score records with: "
          f"python predict_churn.py {out} records.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
