"""The tuning benchmark of lesson 5.5 on a tiny configuration, and its committed results.

The full benchmark (five seeds, 24 fits of 20 epochs per strategy) takes minutes and is run by
hand; here it runs with one seed and a budget of two fits of three epochs, which is enough to check
that every strategy is charged the same budget in epochs, that the best-so-far curves are what the
trials scored, and that the committed CSV the lesson quotes is complete.
"""

from __future__ import annotations

import csv

import pytest

from coursekit import catalog

LESSON = catalog.REPO / catalog.LESSONS["5.5"].folder


def _read(path):
    with open(path) as handle:
        return list(csv.DictReader(handle))


@pytest.mark.platforms
def test_every_strategy_gets_the_same_budget_and_an_honest_best_so_far(bench, tmp_path, capsys):
    out = tmp_path / "tiny.csv"
    assert bench.main(["--seeds", "0", "--fits", "2", "--max-epochs", "3", "--out", str(out)]) == 0
    rows = _read(out)
    assert {r["strategy"] for r in rows} == set(bench.STRATEGIES)
    for strategy in bench.STRATEGIES:
        run = [r for r in rows if r["strategy"] == strategy]
        used = [int(r["epochs_used"]) for r in run]
        assert used == sorted(used) and used[-1] <= 2 * 3, (strategy, used)
        if strategy != "hyperband":  # full fits only: exactly the budget
            assert used == [3, 6], (strategy, used)
        best = float("inf")
        for r in run:
            best = min(best, float(r["score"]))
            assert abs(float(r["best_so_far"]) - best) < 1e-9, (strategy, r)
    assert "best val RMSE" in capsys.readouterr().out


def test_the_committed_results_cover_five_seeds_and_the_whole_budget(bench):
    rows = _read(LESSON / "results" / "tuning_benchmark.csv")
    seeds = {int(r["seed"]) for r in rows}
    assert seeds == {0, 1, 2, 3, 4}
    for strategy in bench.STRATEGIES:
        for seed in seeds:
            run = [r for r in rows if r["strategy"] == strategy and int(r["seed"]) == seed]
            assert run and int(run[-1]["epochs_used"]) == 24 * 20, (strategy, seed, run[-1:])
