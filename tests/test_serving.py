"""The deployable churn artifact of lesson 5.5: trained to a path the user names, served from raw records.

``train_churn_artifact.py`` and ``predict_churn.py`` are called through their ``main()`` in this
process (one small model is trained once for the module), and once each as a real command. Every
bad input must end with exactly one line on stderr, exit status 2, nothing on stdout and no output
file; good records must get one probability each, never NaN.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coursekit import catalog
from coursekit.grading import load_module
from data import churn

LESSON = catalog.REPO / catalog.LESSONS["5.5"].folder


@pytest.fixture(scope="module")
def tools():
    sys.path.insert(0, str(LESSON))
    try:
        yield load_module(LESSON / "train_churn_artifact.py"), load_module(LESSON / "predict_churn.py")
    finally:
        sys.path.remove(str(LESSON))


@pytest.fixture(scope="module")
def artifact(tools, once):
    train, _ = tools

    def make(folder: Path) -> Path:  # once per test run, for every worker
        out = folder / "churn.keras"
        assert train.main([str(out), "--epochs", "2"]) == 0
        return out

    return once("artifact", make)


@pytest.fixture(scope="module")
def records():
    """Ten raw records as a user would have them: the test split's raw columns, with an id."""
    import data

    frame = data.split_churn().test[churn.FEATURES].head(10).copy()
    frame.insert(0, "customer_id", [f"c{i:03d}" for i in range(len(frame))])
    return frame


def _predict(tools, capsys, *argv):
    _, predict = tools
    code = predict.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _refused(tools, capsys, model, csv, *words):
    out_file = csv.with_name("predictions.csv")
    code, out, err = _predict(tools, capsys, model, csv, "--out", out_file)
    lines = err.strip().splitlines()
    assert code == 2 and out == "" and len(lines) == 1 and lines[0].startswith("predict_churn: "), (code, out, err)
    assert all(w in lines[0] for w in words), lines[0]
    assert not out_file.exists() and not list(csv.parent.glob(".predictions.csv.*")), "an output file was written"
    return lines[0]


def test_the_artifact_scores_raw_records(tools, artifact, records, tmp_path, capsys):
    csv = tmp_path / "records.csv"
    records.to_csv(csv, index=False)
    code, out, err = _predict(tools, capsys, artifact, csv)
    assert code == 0 and err == "", err
    lines = out.strip().splitlines()
    assert lines[0] == "customer_id,churn_probability" and len(lines) == len(records) + 1
    probs = np.array([float(line.split(",")[1]) for line in lines[1:]])
    assert [line.split(",")[0] for line in lines[1:]] == list(records["customer_id"])
    assert np.all((probs >= 0) & (probs <= 1)) and probs.std() > 0
    out_file = tmp_path / "predictions.csv"
    assert _predict(tools, capsys, artifact, csv, "--out", out_file)[0] == 0
    assert out_file.read_text().strip().splitlines() == lines


def test_a_first_month_customer_with_blank_charges_is_scored_as_in_training(tools, artifact, records, tmp_path, capsys):
    frame = records.astype(str)
    frame.loc[0, ["tenure", "total_charges"]] = ["0", " "]
    csv = tmp_path / "first_month.csv"
    frame.to_csv(csv, index=False)
    code, out, err = _predict(tools, capsys, artifact, csv)
    assert code == 0 and len(out.strip().splitlines()) == len(records) + 1
    assert "note: blank total_charges read as 0.0 for 1 first-month customer" in err


def _csv(tmp_path, records, name, change):
    frame = records.astype(str).copy()
    frame = change(frame) if change else frame
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


BAD_RECORDS = [
    ("missing column", lambda f: f.drop(columns=["contract"]), ["missing columns", "contract"]),
    ("misspelt column", lambda f: f.rename(columns={"tenure": "tenure_months"}), ["missing columns", "tenure"]),
    ("unexpected column", lambda f: f.assign(region="north"), ["unexpected columns", "region"]),
    ("non-numeric value", lambda f: f.assign(monthly_charges=["12.5"] * 3 + ["twelve"] + ["20"] * 6),
     ["monthly_charges", "must be numeric", "line(s) 5", "twelve"]),
    ("missing value", lambda f: f.assign(tenure=["3"] * 6 + [""] + ["3"] * 3), ["missing values", "line(s) 8", "tenure"]),
    ("blank charges after the first month", lambda f: f.assign(tenure=["5"] * 10, total_charges=[""] + ["9"] * 9),
     ["missing values", "line(s) 2", "total_charges"]),
    ("binary column not 0/1", lambda f: f.assign(partner=["Yes"] * 10), ["partner", "must be numeric"]),
    ("unknown category", lambda f: f.assign(contract=["Three year"] + ["One year"] * 9),
     ["contract", "unknown values", "Three year", "line(s) 2", "out-of-vocabulary"]),
]


@pytest.mark.parametrize("case,change,words", BAD_RECORDS, ids=[c[0] for c in BAD_RECORDS])
def test_bad_records_are_refused_in_one_line(tools, artifact, records, tmp_path, capsys, case, change, words):
    _refused(tools, capsys, artifact, _csv(tmp_path, records, "records.csv", change), *words)


def test_unknown_categories_can_be_scored_and_are_named(tools, artifact, records, tmp_path, capsys):
    csv = _csv(tmp_path, records, "records.csv", lambda f: f.assign(contract=["Three year"] + ["One year"] * 9))
    code, out, err = _predict(tools, capsys, artifact, csv, "--allow-unknown")
    assert code == 0 and len(out.strip().splitlines()) == len(records) + 1
    assert "note:" in err and "Three year" in err and "out-of-vocabulary" in err


@pytest.mark.parametrize("case,content,words", [
    ("empty file", b"", ["empty"]),
    ("header only", (",".join(churn.FEATURES) + "\n").encode(), ["header but no records"]),
    ("binary file", bytes(range(256)) * 8, ["not a text CSV file"]),
    ("not UTF-8", ("tenure\n" + "caf\xe9\n").encode("latin-1"), ["not UTF-8"]),
], ids=["empty", "header-only", "binary", "latin-1"])
def test_unreadable_record_files_are_refused_in_one_line(tools, artifact, tmp_path, capsys, case, content, words):
    csv = tmp_path / "records.csv"
    csv.write_bytes(content)
    _refused(tools, capsys, artifact, csv, *words)


def test_bad_model_files_are_refused_in_one_line(tools, artifact, records, tmp_path, capsys):
    csv = _csv(tmp_path, records, "records.csv", None)
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(artifact.read_bytes()[: artifact.stat().st_size // 2])
    _refused(tools, capsys, truncated, csv, "corrupt or truncated")
    renamed = tmp_path / "records.keras"
    renamed.write_bytes(csv.read_bytes())
    _refused(tools, capsys, renamed, csv, "corrupt or truncated")
    not_a_model = tmp_path / "other.keras"
    with zipfile.ZipFile(not_a_model, "w") as z:
        z.writestr("hello.txt", "not a model")
    _refused(tools, capsys, not_a_model, csv, "cannot load the model")
    _refused(tools, capsys, tmp_path / "nowhere.keras", csv, "no such model")
    _refused(tools, capsys, tmp_path, csv, "not a SavedModel folder")
    _refused(tools, capsys, csv, csv, "expected a .keras file")


def test_a_model_that_does_not_take_raw_records_is_refused(tools, records, tmp_path, capsys):
    import keras

    prepared = keras.Sequential([keras.Input(shape=(40,)), keras.layers.Dense(1, activation="sigmoid")])
    path = tmp_path / "prepared_inputs.keras"
    prepared.save(path)
    _refused(tools, capsys, path, _csv(tmp_path, records, "records.csv", None), "does not take raw churn records")


def test_the_trainer_keeps_an_existing_artifact_and_refuses_bad_arguments(tools, artifact, tmp_path, capsys):
    train, _ = tools
    before = artifact.read_bytes()
    assert train.main([str(artifact)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err and artifact.read_bytes() == before
    assert train.main([str(tmp_path / "no" / "such" / "dir" / "m.keras")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert train.main([str(tmp_path / "m.keras"), "--epochs", "0"]) == 2
    assert "--epochs must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        train.main([str(tmp_path / "m.keras"), "--epochs", "many"])
    err = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and len(err) == 1 and "invalid int value" in err[0]


@pytest.mark.platforms
def test_both_commands_run_as_commands(artifact, records, tmp_path):
    """A real process each: the trainer writes a SavedModel folder, the server scores with it."""
    saved = tmp_path / "churn_savedmodel"
    run = subprocess.run([sys.executable, str(LESSON / "train_churn_artifact.py"), str(saved), "--epochs", "1"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert (saved / "saved_model.pb").is_file() and "validation ROC AUC" in run.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "a staging folder was left behind"
    csv = tmp_path / "records.csv"
    records.to_csv(csv, index=False)
    served = subprocess.run([sys.executable, str(LESSON / "predict_churn.py"), str(saved), str(csv)],
                            capture_output=True, text=True, timeout=120)
    assert served.returncode == 0, served.stderr[-2000:]
    table = pd.read_csv(pd.io.common.StringIO(served.stdout))
    assert list(table.columns) == ["customer_id", "churn_probability"] and len(table) == len(records)
    assert table["churn_probability"].between(0, 1).all()
