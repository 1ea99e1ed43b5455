"""Wrong answers to exercise 5.2.6: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_2_6.py``)."""

from __future__ import annotations

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
