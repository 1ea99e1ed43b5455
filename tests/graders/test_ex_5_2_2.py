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
