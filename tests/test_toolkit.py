"""The toolkit: one seeding function, the scikeras adapter, figures, and the `course` command."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import coursekit
from coursekit import catalog, cli



def _tiny_fit(seed: int) -> np.ndarray:
    import keras

    coursekit.set_seed(seed)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, 6)).astype("float32")
    y = (X[:, 0] + X[:, 1] > 0).astype("float32")
    model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.2), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    model.fit(X, y, epochs=2, batch_size=32, verbose=0)
    return model.predict(X[:16], verbose=0).ravel()


def test_same_seed_same_numbers_other_seed_other_numbers():
    a, b, c = _tiny_fit(3), _tiny_fit(3), _tiny_fit(4)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert np.abs(a - c).max() > 1e-4


def test_scikeras_adapter_is_a_real_classifier_and_keeps_unseeded_keras_working():
    import keras
    from sklearn.base import clone, is_classifier, is_regressor
    from sklearn.model_selection import StratifiedKFold, check_cv, cross_val_score

    from coursekit.sk import KerasClassifier, KerasRegressor

    def build(meta):
        return keras.Sequential([keras.Input(shape=(meta["n_features_in_"],)), keras.layers.Dense(8, activation="relu"),
                                 keras.layers.Dense(1, activation="sigmoid")])

    clf = KerasClassifier(model=build, loss="binary_crossentropy", epochs=2, verbose=0, random_state=0)
    assert is_classifier(clf) and is_classifier(clone(clf))
    assert is_regressor(KerasRegressor(model=build))
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 4)).astype("float32")
    y = (X[:, 0] > 0).astype(int)
    assert isinstance(check_cv(3, y, classifier=is_classifier(clf)), StratifiedKFold)
    scores = cross_val_score(clf, X, y, cv=3)
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    # after a seeded scikeras fit, an unseeded Keras fit with random ops (dropout) still works
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dropout(0.5), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(X, y.astype("float32"), epochs=1, verbose=0)


def test_save_figure_honours_the_override(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.setenv("COURSE_FIGURES_DIR", str(tmp_path / "figs"))
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = coursekit.save_figure(fig, "line", __file__)
    assert path == tmp_path / "figs" / "line.png" and path.stat().st_size > 1000


def test_script_args_sets_seed_and_figures(tmp_path, monkeypatch):
    # setenv first, so that monkeypatch records the variable's absence and removes it again afterwards
    # (script_args sets it for the rest of the process; a later test must not inherit it)
    monkeypatch.setenv("COURSE_FIGURES_DIR", "unset-below")
    monkeypatch.delenv("COURSE_FIGURES_DIR")
    args = coursekit.script_args("Title\nmore", ["--seed", "4", "--figures", str(tmp_path)])
    assert args.seed == 4
    assert coursekit.figures_dir("x.py") == tmp_path
    monkeypatch.delenv("COURSE_FIGURES_DIR")


# --------------------------------------------------------------------------- the course command


def test_course_list_shows_every_exercise(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for ex_id in catalog.exercises():
        assert f"course check {ex_id}" in out
    assert "demo" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "5.9"], "no lesson '5.9'"),
        (["run", "5.1", "nonexistent"], "no demo matching 'nonexistent'"),
        (["check", "5.1"], "not an exercise id"),
        (["check", "5.1.99"], "no exercise 5.1.99"),
        (["grade", "--only", "5.1.99"], "no exercise matches"),
        (["grade", "--only", "5.9.9"], "not an exercise id"),
        (["hint", "5.1.99"], "no exercise 5.1.99"),
        (["solution", "bogus"], "not an exercise id"),
    ],
)
def test_course_rejects_bad_input_with_one_line(argv, message, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


STUDENT_ANSWERS = {
    "5.1.1": "import time\ndef count_params(n_inputs, hidden, n_outputs=1):\n    time.sleep(600)\n",  # hangs
    "5.1.2": "import os\ndef build_deep_narrow(n_features):\n    os._exit(3)\n",  # kills its own process
    "5.1.3": "def one_hot(labels, n_classes):\n    raise ValueError('shapes do not match')\n",  # raises
    "5.1.4": "def regression_errors(y_true, y_pred):\n    return {'mse': 0.0, 'mae': 0.0, 'rmse': 0.0}\n",  # wrong
    "5.2.1": None,  # an untouched stub
}


def test_grade_survives_hangs_crashes_and_exceptions(tmp_path):
    """One exercise hanging, crashing or raising never stops the grading of the others."""
    student = tmp_path / "student"
    for ex_id, body in STUDENT_ANSWERS.items():
        target = catalog.exercise_file(ex_id, "exercise", student)
        target.parent.mkdir(parents=True, exist_ok=True)
        stub = catalog.exercise_file(ex_id, "exercise").read_text()
        target.write_text(stub if body is None else stub.split("\ndef ", 1)[0] + "\n" + textwrap.dedent(body))
    out = tmp_path / "grades"
    # as an instructor runs it: a fresh `course` process (on Linux its grading processes are forked from it)
    proc = subprocess.run([sys.executable, "-m", "coursekit.cli", "grade", "--root", str(student), "--only",
                           *STUDENT_ANSWERS, "--timeout", "8", "--out", str(out)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    verdicts = {v["id"]: v for v in json.loads((out / "grades.json").read_text())["exercises"]}
    assert verdicts["5.1.1"]["status"] == "timeout"
    assert verdicts["5.1.2"]["status"] == "crashed"
    assert verdicts["5.1.3"]["status"] == "incorrect"
    assert any("shapes do not match" in c["measured"] for c in verdicts["5.1.3"]["checks"])
    assert verdicts["5.1.4"]["status"] == "incorrect" and verdicts["5.1.4"]["max_points"] == 10
    assert 0 <= verdicts["5.1.4"]["points"] < 10
    assert verdicts["5.2.1"]["status"] == "not attempted" and verdicts["5.2.1"]["wall_seconds"] == 0
    junit = (out / "junit.xml").read_text()
    assert junit.count("<testsuite ") == 5
    assert "0/5 exercises correct" in proc.stdout


def test_grading_without_fork_starts_fresh_processes(tmp_path):
    """In a process that has used TensorFlow, grading starts `python -I -m coursekit.grading.sandbox`
    processes instead of forking (the path every non-Linux platform takes)."""
    import tensorflow as tf

    from coursekit.grading import sandbox

    tf.constant(1.0) + 1.0  # this process has run TensorFlow now, whatever ran before in it
    assert not sandbox.can_fork()
    student = tmp_path / "student"
    target = catalog.exercise_file("5.1.3", "exercise", student)
    target.parent.mkdir(parents=True)
    stub = catalog.exercise_file("5.1.3", "exercise").read_text()
    target.write_text(stub.split("\ndef ", 1)[0] + "\n" + textwrap.dedent(STUDENT_ANSWERS["5.1.3"]))
    verdict = sandbox.grade_submission(["5.1.3"], root=student, seed=0, timeout=60)[0]
    assert verdict["status"] == "incorrect", verdict
    assert any("shapes do not match" in c["measured"] for c in verdict["checks"])


def test_check_reports_a_stub_as_not_attempted_and_next_points_to_it(tmp_path, monkeypatch, capsys):
    from coursekit import state

    monkeypatch.setattr(state, "_folder", lambda root: tmp_path / "state")
    code = cli.main(["check", "5.1.1", "--timeout", "60"])
    out = capsys.readouterr().out
    assert code == 1 and "NOT ATTEMPTED" in out  # the shipped exercise is a stub (test_contract checks it)
    assert json.loads((tmp_path / "state" / "status.json").read_text())["5.1.1"]["status"] == "not attempted"
    assert cli.main(["next"]) == 0
    out = capsys.readouterr().out
    assert "Next: 5.1.1 -- Depth vs width" in out and "read first:" in out


def test_hints_come_in_levels_and_are_counted(tmp_path, monkeypatch, capsys):
    from coursekit import state

    monkeypatch.setattr(state, "_folder", lambda root: tmp_path / "state")
    levels = catalog.hint_levels("5.1.1")
    assert len(levels) >= 2
    texts = []
    for _ in range(len(levels) + 1):
        assert cli.main(["hint", "5.1.1"]) == 0
        texts.append(capsys.readouterr().out)
    assert "hint 1 of" in texts[0] and f"hint {len(levels)} of" in texts[-1] and texts[0] != texts[1]
    assert json.loads((tmp_path / "state" / "hints.json").read_text())["5.1.1"] == len(levels)
    assert cli.main(["solution", "5.1.1"]) == 0
    assert "_5_1_1_solution.py" in capsys.readouterr().out
    assert "5.1.1" in json.loads((tmp_path / "state" / "solutions.json").read_text())


@pytest.mark.parametrize("ex_id", catalog.exercises())
def test_every_exercise_has_hints_in_levels(ex_id):
    levels = catalog.hint_levels(ex_id)
    assert 2 <= len(levels) <= 3, f"{ex_id}: {len(levels)} hint levels"
    assert all(len(level) > 40 for level in levels)


def test_grade_refuses_missing_root(tmp_path):
    assert cli.main(["grade", "--root", str(tmp_path / "nope")]) == 2


@pytest.mark.platforms
def test_course_run_one_demo(tmp_path, capsys):
    assert cli.main(["run", "5.1", "activations", "--figures", str(tmp_path)]) == 0
    assert (tmp_path / "activations.png").exists()
    assert "ok in" in capsys.readouterr().out


def test_the_seed_table_flags_a_target_whose_margin_is_below_the_seed_spread(tmp_path):
    from coursekit import seedtable

    runs = []
    for seed, auc in [(0, 0.84), (1, 0.80), (2, 0.83)]:
        path = tmp_path / f"seed{seed}.json"
        checks = [{"name": "test AUC", "measured": auc, "expected": ">= 0.79"},
                  {"name": "weights", "measured": "2,913", "expected": "<= 3000"},
                  {"name": "is compiled", "measured": "yes", "expected": "compiled"}]
        path.write_text(json.dumps({"seed": seed, "exercises": [
            {"id": "5.1.1", "status": "correct" if auc > 0.79 else "incorrect", "checks": checks}]}))
        runs.append(path)
    text = seedtable.table(runs)
    auc = next(line for line in text.splitlines() if "test AUC" in line)
    assert "0.8 to 0.84" in auc and auc.rstrip().endswith("| yes |")  # margin 0.01 < spread 0.04
    weights = next(line for line in text.splitlines() if "| weights" in line)
    assert "| 87 |" in weights and not weights.rstrip().endswith("| yes |")
    assert "is compiled" not in text
    assert seedtable.main([]) == 2


def test_a_student_sees_whether_test_targets_are_met_not_the_test_numbers():
    """`course check`, the exercise file run and a class's feedback show a test-split check as met or
    missed, without its number; validation numbers and every number of the instructor's report stay."""
    from coursekit import classroom
    from coursekit.grading.report import check_lines, on_test_split, scoreboard_lines

    checks = [("test_auc", True, "0.8412", ">= 0.83"), ("test RMSE (log price)", False, "0.1734", "<= 0.16"),
              ("val_auc", True, "0.8520", ">= 0.84"), ("fastest setting", True, "adam", "adam")]
    verdict = {"id": "5.1.3", "status": "incorrect", "points": 7, "max_points": 10, "message": "",
               "metrics": {"test_auc": 0.8412, "val_auc": 0.852, "unweighted network: test cost at 0.5": 1.2345},
               "checks": [{"name": n, "ok": ok, "measured": m, "expected": e, "hint": "h", "part": ""}
                          for n, ok, m, e in checks]}
    shown = "\n".join(check_lines(verdict))
    assert "0.8412" not in shown and "0.1734" not in shown and "1.234" not in shown, shown
    assert "test_auc: measured met" in shown and "test RMSE (log price): measured missed" in shown, shown
    assert "0.8520" in shown and "adam" in shown, shown
    assert "0.1734" in "\n".join(check_lines(verdict, test_numbers=True))
    handed_back = classroom.feedback("alice", [verdict], {"graded_at": "now", "course_version": "x", "seed": 0})
    handed_back += json.dumps(classroom.gradescope([verdict], 1.0))
    assert "0.1734" not in handed_back and "missed" in handed_back, handed_back
    assert "0.8412" in "\n".join(scoreboard_lines([verdict]))  # the instructor's scoreboard keeps the numbers
    assert [on_test_split(n) for n in ("test_auc", "Test F1 at the validation threshold", "latest", "attested",
                                       "contest cost", "val_auc")] == [True, True, False, False, False, False]
