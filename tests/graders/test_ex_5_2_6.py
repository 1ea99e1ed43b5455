"""Wrong answers to exercise 5.2.6: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_2_6.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import keras

from coursekit.graders.ex_5_2_6 import EX
from coursekit.grading import assert_fails


def _backup_only(model, train, epochs, backup_dir, callbacks=()):
    return model.fit(train.X_train, train.y_train, validation_data=(train.X_val, train.y_val), epochs=epochs, batch_size=128,
                     verbose=0, callbacks=[keras.callbacks.BackupAndRestore(backup_dir), *callbacks])


def _restart_from_scratch(model, train, epochs, backup_dir, callbacks=()):
    return model.fit(train.X_train, train.y_train, validation_data=(train.X_val, train.y_val), epochs=epochs, batch_size=128,
                     verbose=0, callbacks=[keras.callbacks.ModelCheckpoint(f"{backup_dir}/last.keras"), *callbacks])


def test_5_2_6_rejects_a_restart_from_scratch(reference, seed):
    verdict = EX.grade(reference("5.2.6").replaced(fit_resumable=_restart_from_scratch), seed,
                       only=["resume after an interruption"])
    assert_fails(verdict, "the restart runs only the remaining epochs", "backupandrestore")
    assert_fails(verdict, "nothing left in backup_dir after a finished run", "backup behind")


def test_5_2_6_rejects_an_early_stopping_that_forgets(reference):
    # Seed 0: the best epoch (3) comes before the interruption; Keras alone trains past the epoch where it should stop.
    verdict = EX.grade(reference("5.2.6").replaced(fit_resumable=_backup_only), 0,
                       only=["early stopping survives the restart"])
    assert_fails(verdict, "EarlyStopping stops where it would have without the interruption", "wait")


# The wrong answers below are top-level functions: the rubric's new process imports them from this file.

_IN_MEMORY = {}


class _KeepInMemory(keras.callbacks.Callback):
    """Keeps an EarlyStopping's state in a module-level dict keyed by the backup folder."""

    def __init__(self, stop, key):
        super().__init__()
        self.stop, self.key = stop, key

    def on_train_begin(self, logs=None):
        for field, value in _IN_MEMORY.get(self.key, {}).items():
            setattr(self.stop, field, value)

    def on_epoch_end(self, epoch, logs=None):
        _IN_MEMORY[self.key] = {f: getattr(self.stop, f) for f in ("wait", "best", "best_epoch")}


def _early_stopping_in_memory(model, train, epochs, backup_dir, callbacks=()):
    callbacks = list(callbacks)
    keepers = [_KeepInMemory(cb, f"{backup_dir}/{i}") for i, cb in enumerate(callbacks)
               if isinstance(cb, keras.callbacks.EarlyStopping)]
    return model.fit(train.X_train, train.y_train, validation_data=(train.X_val, train.y_val), epochs=epochs, batch_size=128,
                     verbose=0, callbacks=[keras.callbacks.BackupAndRestore(backup_dir), *callbacks, *keepers])


class _KeepInWorkingFolder(keras.callbacks.Callback):
    """Keeps an EarlyStopping's state in a file of the working folder, not of backup_dir."""

    def __init__(self, stop):
        super().__init__()
        self.stop, self.path = stop, Path("early_stopping_state.json")

    def on_train_begin(self, logs=None):
        if self.path.exists():
            for field, value in json.loads(self.path.read_text()).items():
                setattr(self.stop, field, value)

    def on_epoch_end(self, epoch, logs=None):
        self.path.write_text(json.dumps({"wait": int(self.stop.wait), "best": float(self.stop.best),
                                         "best_epoch": int(self.stop.best_epoch)}))


def _early_stopping_in_the_working_folder(model, train, epochs, backup_dir, callbacks=()):
    callbacks = list(callbacks)
    keepers = [_KeepInWorkingFolder(cb) for cb in callbacks if isinstance(cb, keras.callbacks.EarlyStopping)]
    return model.fit(train.X_train, train.y_train, validation_data=(train.X_val, train.y_val), epochs=epochs, batch_size=128,
                     verbose=0, callbacks=[keras.callbacks.BackupAndRestore(backup_dir), *callbacks, *keepers])


def test_5_2_6_rejects_early_stopping_state_kept_in_memory(reference):
    """Passes when the restart runs in the same process; a restarted job is a new one."""
    _IN_MEMORY.clear()
    verdict = EX.grade(reference("5.2.6").replaced(fit_resumable=_early_stopping_in_memory), 0,
                       only=["early stopping survives the restart"])
    assert_fails(verdict, "EarlyStopping stops where it would have without the interruption", "new process")
    assert "a restart in a new process resumes from backup_dir" not in verdict.failed_names(), verdict.report()


def test_5_2_6_rejects_a_state_file_outside_backup_dir(reference, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    verdict = EX.grade(reference("5.2.6").replaced(fit_resumable=_early_stopping_in_the_working_folder), 0,
                       only=["early stopping survives the restart"])
    assert_fails(verdict, "EarlyStopping stops where it would have without the interruption", "inside backup_dir")


def test_5_2_6_rejects_a_backup_outside_backup_dir(reference, seed, tmp_path, monkeypatch):
    """The whole backup in the working folder: the restarted job, elsewhere, starts again from scratch."""
    monkeypatch.chdir(tmp_path)
    verdict = EX.grade(reference("5.2.6").replaced(fit_resumable=_backup_in_the_working_folder), seed,
                       only=["early stopping survives the restart"])
    assert_fails(verdict, "a restart in a new process resumes from backup_dir", "outside backup_dir")


def _backup_in_the_working_folder(model, train, epochs, backup_dir, callbacks=()):
    return model.fit(train.X_train, train.y_train, validation_data=(train.X_val, train.y_val), epochs=epochs, batch_size=128,
                     verbose=0, callbacks=[keras.callbacks.BackupAndRestore("backup"), *callbacks])
