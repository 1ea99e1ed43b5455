"""Wrong answers of exercise 5.3.4 (the regularisation case study).

Each plausible mistake must fail the check aimed at it, and that check's hint must name the mistake.
A wrong answer runs only the parts it concerns; the grader's own baselines are cached per seed and
process."""

from __future__ import annotations

import keras

from coursekit.graders.ex_5_3_4 import EX, SEARCH
from coursekit.grading import assert_fails


def _choose_only(*configs, returned=None):
    def choose(evaluate, budget):
        scores = [evaluate(config) for config in configs]
        return returned if returned is not None else configs[scores.index(min(scores))]
    return choose


def test_5_3_4_rejects_no_regularisation_and_a_penalty_far_too_strong(reference, seed):
    ref = reference("5.3.4")
    verdict = EX.grade(ref.replaced(choose=_choose_only({})), seed)  # measured: gain 0, gap 0.98-1.14
    assert_fails(verdict, "test log loss gain over the unregularised network", "memorises")
    assert_fails(verdict, "validation loss - training loss", "overfitting")
    verdict = EX.grade(ref.replaced(choose=_choose_only({"l2": 3.0})), seed)  # test AUC 0.50, gain 0.57-0.73
    assert_fails(verdict, "test_auc", "underfits")


def test_5_3_4_rejects_a_search_over_budget_and_an_untried_choice(reference, seed, monkeypatch):
    ref = reference("5.3.4")
    monkeypatch.setitem(SEARCH, "budget", 1)  # one short early-stopping trial, then one too many
    over = ref.replaced(choose=_choose_only({"patience": 3}, {"patience": 4}))
    assert_fails(EX.grade(over, seed, only=["the search"]), "trials within the budget", "budget")
    untried = ref.replaced(choose=_choose_only(returned={"l2": 0.03}))  # decided without a trial
    assert_fails(EX.grade(untried, seed, only=["the search"]), "the chosen configuration is one of the trials", "untried")


def test_5_3_4_rejects_the_configuration_with_the_highest_validation_loss(reference, seed, monkeypatch):
    """A direction error in a procedure: max instead of min over the trials' losses."""
    monkeypatch.setitem(SEARCH, "budget", 2)

    def choose(evaluate, budget):
        configs = [{"patience": 3}, {"l2": 3.0}]
        scores = [evaluate(config) for config in configs]
        return configs[scores.index(max(scores))]
    verdict = EX.grade(reference("5.3.4").replaced(choose=choose), seed, only=["the search"])
    assert_fails(verdict, "the choice has the lowest validation loss of the trials", "lowest", "direction")


def test_5_3_4_rejects_a_smaller_network(reference, seed):
    def smaller(n_features, config):
        model = keras.Sequential([keras.Input(shape=(n_features,)), keras.layers.Dense(32, activation="relu"),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
        return model

    verdict = EX.grade(reference("5.3.4").replaced(build_network=smaller), seed, only=["the search"])
    assert_fails(verdict, "every trial is the task's network", "do not shrink")
