"""Wrong answers to exercise 5.5.2 (random search against a grid): each must fail the check aimed at it."""

from __future__ import annotations

import numpy as np

from coursekit.grading import assert_fails
from coursekit.graders.ex_5_5_2 import EX


def _space_of(**dists):
    return lambda: dists


def test_5_5_2_rejects_a_uniform_learning_rate_and_a_list(reference, seed):
    from scipy import stats

    uniform = _space_of(learning_rate=stats.uniform(1e-4, 1e-1), l2=stats.loguniform(1e-6, 1e-2))
    verdict = EX.grade(reference("5.5.2").replaced(random_space=uniform), seed, only=["the ranges and their scale"])
    assert_fails(verdict, "learning_rate spread on a log scale", "uniform", "log")
    listed = _space_of(learning_rate=[1e-3, 1e-2, 1e-1], l2=stats.loguniform(1e-6, 1e-2))
    verdict = EX.grade(reference("5.5.2").replaced(random_space=listed), seed, only=["the ranges and their scale"])
    assert_fails(verdict, "learning_rate distribution", "list")


def test_5_5_2_rejects_a_narrow_range_and_a_range_ten_epochs_cannot_use(reference, seed):
    from scipy import stats

    narrow = _space_of(learning_rate=stats.loguniform(5e-3, 2e-2), l2=stats.loguniform(1e-6, 1e-2))
    verdict = EX.grade(reference("5.5.2").replaced(random_space=narrow), seed, only=["the ranges and their scale"])
    assert_fails(verdict, "learning_rate span", "widen")
    slow = _space_of(learning_rate=stats.loguniform(1e-5, 5e-4), l2=stats.loguniform(1e-6, 1e-2))
    verdict = EX.grade(reference("5.5.2").replaced(random_space=slow), seed,
                       only=["the ranges and their scale", "random search against the grid"])
    assert_fails(verdict, "random mean best RMSE", "too slow")


def test_5_5_2_rejects_sampling_from_the_global_state_and_one_that_ignores_the_space(reference, seed):
    def global_state(space, n, seed):
        return [{dial: float(dist.rvs()) for dial, dist in space.items()} for _ in range(n)]

    def always_log_uniform(space, n, seed):
        rng = np.random.default_rng(seed)
        out = []
        for _ in range(n):
            cand = {}
            for dial, dist in space.items():
                low, high = dist.support()
                low, high = max(low, 1e-6), min(high, 1e6)
                cand[dial] = float(np.exp(rng.uniform(np.log(low), np.log(high))))
            out.append(cand)
        return out

    verdict = EX.grade(reference("5.5.2").replaced(sample=global_state), seed, only=["sampling"])
    assert_fails(verdict, "the seed decides the draws", "random_state", "global")
    verdict = EX.grade(reference("5.5.2").replaced(sample=always_log_uniform), seed, only=["sampling"])
    assert_fails(verdict, "draws follow the distributions", "whatever the distribution")


def test_5_5_2_rejects_one_seed_given_to_every_dial(reference, seed):
    """Randomness: each dial drawn with the same seed, so the dials move together."""
    def same_seed_per_dial(space, n, seed):
        columns = {dial: dist.rvs(size=n, random_state=seed) for dial, dist in space.items()}
        return [{dial: float(columns[dial][i]) for dial in space} for i in range(n)]

    verdict = EX.grade(reference("5.5.2").replaced(sample=same_seed_per_dial), seed, only=["sampling"])
    assert_fails(verdict, "draws are independent", "same random stream", "one generator")


def test_5_5_2_rejects_a_generator_per_candidate_seeded_with_seed_plus_i(reference, seed):
    """Randomness: neighbouring seeds' searches share all but one candidate."""
    def seed_plus_i(space, n, seed):
        out = []
        for i in range(n):
            rng = np.random.default_rng(seed + i)
            out.append({dial: float(dist.rvs(random_state=rng)) for dial, dist in space.items()})
        return out

    verdict = EX.grade(reference("5.5.2").replaced(sample=seed_plus_i), seed, only=["sampling"])
    assert_fails(verdict, "draws are independent", "seed + i")


def test_5_5_2_rejects_a_generator_made_again_for_every_candidate(reference, seed):
    """Randomness seeded per candidate instead of once before the loop: every candidate is the same."""
    def reseeded(space, n, seed):
        out = []
        for _ in range(n):
            rng = np.random.default_rng(seed)
            out.append({dial: float(dist.rvs(random_state=rng)) for dial, dist in space.items()})
        return out

    verdict = EX.grade(reference("5.5.2").replaced(sample=reseeded), seed, only=["sampling"])
    assert_fails(verdict, "the candidates differ", "inside the loop", "before the loop")


def test_5_5_2_rejects_a_generator_made_once_at_import_and_a_memo_keyed_on_the_seed(reference, seed):
    """The seed given not used (a module-level generator made once) and state kept between calls."""
    shared = np.random.default_rng(0)

    def module_generator(space, n, seed):
        return [{dial: float(dist.rvs(random_state=shared)) for dial, dist in space.items()} for _ in range(n)]

    verdict = EX.grade(reference("5.5.2").replaced(sample=module_generator), seed, only=["sampling"])
    assert_fails(verdict, "the seed decides the draws", "from the seed")

    memo = {}

    def remembered(space, n, seed):
        if seed not in memo:
            rng = np.random.default_rng(seed)
            memo[seed] = [{dial: float(dist.rvs(random_state=rng)) for dial, dist in space.items()} for _ in range(n)]
        return memo[seed]

    verdict = EX.grade(reference("5.5.2").replaced(sample=remembered), seed, only=["sampling"])
    assert_fails(verdict, "sample returns the candidates", "earlier call")


def test_5_5_2_rejects_a_sample_that_ignores_n(reference, seed):
    """An argument overwritten: the exercise's BUDGET candidates whatever n is asked."""
    def budget_always(space, n, seed):
        rng = np.random.default_rng(seed)
        return [{dial: float(dist.rvs(random_state=rng)) for dial, dist in space.items()} for _ in range(9)]

    verdict = EX.grade(reference("5.5.2").replaced(sample=budget_always), seed, only=["sampling"])
    assert_fails(verdict, "sample returns the candidates", "n of them")
