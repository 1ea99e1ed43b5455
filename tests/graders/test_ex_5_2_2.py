"""Wrong answers to exercise 5.2.2: each plausible mistake must fail the check aimed at it, and that
check's hint must name the mistake (the grader: ``coursekit/graders/ex_5_2_2.py``)."""

from __future__ import annotations

import keras
import numpy as np

import coursekit
import data
from coursekit.graders.ex_5_2_2 import EX, _COMPARE
from coursekit.grading import assert_fails


def test_5_2_2_rejects_a_shared_optimizer_and_a_misnamed_one(reference, seed):
    ref = reference("5.2.2")
    shared = {}
    wrong = ref.replaced(make_optimizer=lambda name: shared.setdefault(name, ref.module.make_optimizer(name)))
    assert_fails(EX.grade(wrong, seed, only=["fresh optimizers of the right kind"]), "sgd is a new optimizer per call", "shared")
    no_nesterov = ref.replaced(make_optimizer=lambda name: keras.optimizers.SGD(0.02, momentum=0.9) if name == "nesterov"
                               else ref.module.make_optimizer(name))
    assert_fails(EX.grade(no_nesterov, seed, only=["fresh optimizers of the right kind"]),
           "nesterov is SGD with momentum and nesterov=True", "nesterov")


def test_5_2_2_rejects_one_rate_for_all_and_scores_on_the_training_loss(reference, seed, monkeypatch):
    monkeypatch.setitem(_COMPARE, "seeds", 1)  # one seed is enough to see each mistake
    monkeypatch.setitem(_COMPARE, "names", ("sgd", "adam"))
    ref = reference("5.2.2")
    make = ref.module.make_optimizer

    def same_rate(name):  # SGD at Adam's rate: 0.5 and more after 4 epochs
        opt = make(name)
        return type(opt).from_config({**opt.get_config(), "learning_rate": 3e-3})

    def training_loss(make_optimizer, build_model, fit, names, seeds):
        out = {}
        for name in names:
            out[name] = []
            for s in seeds:
                coursekit.set_seed(s)
                model = build_model()
                model.compile(optimizer=make_optimizer(name), loss="binary_crossentropy")
                out[name].append(min(fit(model, s).history["loss"]))
        return out

    assert_fails(EX.grade(ref.replaced(make_optimizer=same_rate), seed, only=["fresh optimizers of the right kind",
           "the comparison"]), "mean score of the worst (sgd)", "own learning rate")
    assert_fails(EX.grade(ref.replaced(compare=training_loss), seed, only=["fresh optimizers of the right kind", "the comparison"]),
           "reported scores are the runs' best validation losses", "training loss")


def test_5_2_2_rejects_ranking_by_the_best_seed(reference, seed):
    wrong = reference("5.2.2").replaced(rank=lambda results: sorted(
        ((n, float(np.mean(s)), float(np.min(s)), float(np.max(s))) for n, s in results.items()), key=lambda r: r[2]))
    assert_fails(EX.grade(wrong, seed, only=["ranking with spread"]), "rank", "lucky seed")


def test_5_2_2_rejects_made_up_scores_and_a_run_on_the_test_split(reference, seed, monkeypatch):
    monkeypatch.setitem(_COMPARE, "seeds", 1)
    monkeypatch.setitem(_COMPARE, "names", ("adam",))
    ref = reference("5.2.2")
    made_up = ref.replaced(compare=lambda make, build, fit, names, seeds: {n: [0.40] * len(seeds) for n in names})
    assert_fails(EX.grade(made_up, seed, only=["fresh optimizers of the right kind", "the comparison"]),
                 "every optimizer and seed was trained", "fit(model, seed)")

    def on_test_rows(make, build, fit, names, seeds):
        churn = data.prepare_churn()  # the loaders are closed while student code runs
        return {n: [float(churn.y_test.mean())] * len(seeds) for n in names}

    verdict = EX.grade(ref.replaced(compare=on_test_rows), seed, only=["fresh optimizers of the right kind", "the comparison"])
    assert "compare uses only train and validation data" in verdict.failed_names(), verdict.report()


COMPARISON = ["fresh optimizers of the right kind", "the comparison"]


def _compare(*, seed_each_run=True, score=min, own_make=None, all_names=False, seed_offset=False):
    """compare() as a student writes it, with one mistake switched on."""
    def compare(make_optimizer, build_model, fit, names, seeds):
        make_optimizer = own_make or make_optimizer
        names = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw") if all_names else names
        if not seed_each_run:
            coursekit.set_seed(seeds[0])
        results = {}
        for name in names:
            results[name] = []
            for i, seed in enumerate(seeds):
                if seed_each_run:
                    coursekit.set_seed(seed + i if seed_offset else seed)
                model = build_model()
                model.compile(optimizer=make_optimizer(name), loss="binary_crossentropy")
                results[name].append(score(fit(model, seed).history["val_loss"]))
        return results
    return compare


def _made_up_only(monkeypatch):
    """The real comparison trains nothing here: no names asked (the made-up runs are graded first)."""
    monkeypatch.setitem(_COMPARE, "names", ())


def test_5_2_2_rejects_seeding_once_before_the_loops(reference, seed, monkeypatch):
    _made_up_only(monkeypatch)
    wrong = reference("5.2.2").replaced(compare=_compare(seed_each_run=False))
    assert_fails(EX.grade(wrong, seed, only=COMPARISON), "each run seeded with its seed before its model is built",
                 "seeding once")


def test_5_2_2_rejects_seed_plus_i_per_run(reference, seed, monkeypatch):
    _made_up_only(monkeypatch)
    wrong = reference("5.2.2").replaced(compare=_compare(seed_offset=True))
    assert_fails(EX.grade(wrong, seed, only=COMPARISON), "each run seeded with its seed before its model is built",
                 "another number")


def test_5_2_2_rejects_the_last_or_the_highest_validation_loss(reference, seed, monkeypatch):
    _made_up_only(monkeypatch)
    for score in (lambda losses: losses[-1], max):
        wrong = reference("5.2.2").replaced(compare=_compare(score=score))
        assert_fails(EX.grade(wrong, seed, only=COMPARISON), "compare's scores on made-up runs", "lowest validation loss")


def test_5_2_2_rejects_compare_ignoring_its_arguments(reference, seed, monkeypatch):
    """Arguments ignored: the module's own make_optimizer instead of the one given; all six names instead of those asked."""
    _made_up_only(monkeypatch)
    ref = reference("5.2.2")
    own = ref.replaced(compare=_compare(own_make=ref.module.make_optimizer))
    assert_fails(EX.grade(own, seed, only=COMPARISON), "compare uses the functions it is given", "as arguments")
    every = ref.replaced(compare=_compare(all_names=True))
    assert_fails(EX.grade(every, seed, only=COMPARISON), "compare runs each name and seed given, once", "names and the seeds you are given")


def test_5_2_2_rejects_make_optimizer_with_state_between_calls(reference, seed):
    """State between calls: a rate that halves on every call (a 'schedule' kept in a module-level counter)."""
    ref = reference("5.2.2")
    calls = {"n": 0}

    def halving(name):
        calls["n"] += 1
        opt = ref.module.make_optimizer(name)
        return type(opt).from_config({**opt.get_config(), "learning_rate": float(opt.learning_rate) / 2 ** calls["n"]})
    assert_fails(EX.grade(ref.replaced(make_optimizer=halving), seed, only=["fresh optimizers of the right kind"]),
                 "sgd: the same settings every call, unused", "no state")
