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


def _choose_by(pick):
    """A choose() over four candidates within the budget, keeping the trial ``pick(scores)`` names."""
    def choose(evaluate, budget):
        candidates = [{"l2": 0.03}, {"l2": 0.1}, {"patience": 5}, {"l2": 0.01, "dropout": 0.3}][:budget]
        scores = [evaluate(config) for config in candidates]
        return candidates[pick(scores)]
    return choose


def test_5_3_4_rejects_on_made_up_trials_the_highest_loss_the_last_trial_and_a_nan_taken_for_the_lowest(reference, seed):
    """Direction and bookkeeping errors, and min() over losses with a NaN first (min keeps the NaN)."""
    ref = reference("5.3.4")
    only = ["the choice on made-up trials"]
    for pick, words in [(lambda s: s.index(max(s)), ("lowest",)), (lambda s: len(s) - 1, ("not the last",)),
                        (lambda s: s.index(min(s)), ("nan",))]:
        verdict = EX.grade(ref.replaced(choose=_choose_by(pick)), seed, only=only)
        assert_fails(verdict, "choose on made-up trials", *words)


def test_5_3_4_rejects_a_search_that_ignores_the_budget_it_is_given(reference, seed):
    """An argument silently ignored: four trials whatever the budget."""
    def choose(evaluate, budget):
        candidates = [{"l2": 0.03}, {"l2": 0.1}, {"patience": 5}, {"l2": 0.01, "dropout": 0.3}]
        scores = [evaluate(config) for config in candidates]
        return candidates[min(range(len(scores)), key=lambda i: (scores[i] != scores[i], scores[i]))]
    verdict = EX.grade(reference("5.3.4").replaced(choose=choose), seed, only=["the choice on made-up trials"])
    assert_fails(verdict, "choose on made-up trials", "budget you are given")


def _network(n_features, config, *, dropout=True, penalty_after_build=False):
    penalty = keras.regularizers.L2(config["l2"]) if config.get("l2") else None
    layers = [keras.Input(shape=(n_features,))]
    for units in (256, 256, 256):
        layers.append(keras.layers.Dense(units, activation="relu",
                                         kernel_regularizer=None if penalty_after_build else penalty))
        if dropout and config.get("dropout"):
            layers.append(keras.layers.Dropout(config["dropout"]))
    model = keras.Sequential(layers + [keras.layers.Dense(1, activation="sigmoid")])
    if penalty_after_build:
        for layer in model.layers[:-1]:
            layer.kernel_regularizer = penalty
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
    return model


def test_5_3_4_rejects_a_dropout_rate_that_never_becomes_a_layer_and_a_penalty_never_applied(reference, seed, monkeypatch):
    """Options of a configuration the built network ignores: the trial scores another network than it names."""
    monkeypatch.setitem(SEARCH, "budget", 1)
    ref = reference("5.3.4")
    only = ["the search"]
    no_dropout = ref.replaced(build_network=lambda n, c: _network(n, c, dropout=False),
                              choose=_choose_only({"l2": 0.01, "dropout": 0.3}))
    assert_fails(EX.grade(no_dropout, seed, only=only), "every option of a configuration shows in the network",
                 "never becomes a dropout layer")
    late = ref.replaced(build_network=lambda n, c: _network(n, c, penalty_after_build=True), choose=_choose_only({"l2": 0.03}))
    assert_fails(EX.grade(late, seed, only=only), "every option of a configuration shows in the network", "after it is built")


def test_5_3_4_grades_the_logits_form_as_the_same_network(reference, seed, monkeypatch):
    """Dense(1) with no activation and BinaryCrossentropy(from_logits=True) is the task's network."""
    monkeypatch.setitem(SEARCH, "budget", 1)

    def logits(n_features, config):
        model = keras.Sequential([keras.Input(shape=(n_features,))]
                                 + [keras.layers.Dense(256, activation="relu", kernel_regularizer=keras.regularizers.L2(
                                     config.get("l2", 0.0))) for _ in range(3)] + [keras.layers.Dense(1)])
        model.compile(keras.optimizers.Adam(1e-3), keras.losses.BinaryCrossentropy(from_logits=True))
        return model
    verdict = EX.grade(reference("5.3.4").replaced(build_network=logits, choose=_choose_only({"l2": 0.03})), seed,
                       only=["the search"])
    assert not verdict.failures, verdict.report()
