# %% [markdown]
# # Which search strategy finds a good network sooner? The tuning benchmark, summarised
#
# `benchmark_tuning.py` ran grid, random, TPE and Hyperband search on the same housing network at
# the same budget (24 full fits of 20 epochs each, counted in epochs) for five seeds and committed
# one row per trial to `results/tuning_benchmark.csv`. This demo reads that file -- it trains
# nothing -- draws the best validation RMSE found so far against the budget spent, as the mean over
# the seeds with the range between the best and the worst seed, and prints the numbers the lesson
# quotes. Rerun the benchmark (10-20 minutes) to refresh the file.
#
# Run it as a script, `python demo_tuning_benchmark.py` (or `course run 5.5 tuning_benchmark`), or as
# a notebook: `course notebook 5.5`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.5")  # --seed and --figures from a shell; the defaults in a notebook

import csv

import matplotlib.pyplot as plt
import numpy as np

import benchmark_tuning as bench

# %% [markdown]
# ## The trials
#
# One row each, with the epochs and seconds used so far and the best score so far.

# %%
source = args.folder / "results" / "tuning_benchmark.csv"
with source.open() as handle:
    rows = [{k: (v if k == "strategy" else float(v)) for k, v in row.items()} for row in csv.DictReader(handle)]
seeds = sorted({int(r["seed"]) for r in rows})
fits = int(max(r["epochs_used"] for r in rows if r["strategy"] == "grid") / 20)
print(f"{len(rows)} trials from {source.name}: {len(seeds)} seeds x {len(bench.STRATEGIES)} strategies")

# %% [markdown]
# ## The summary
#
# The best validation RMSE (log price) at the end of the budget, and how much of the budget each
# strategy needed to reach the best point of the grid run with the same seed.

# %%
for line in bench.summarise(rows, fits, 20):
    print(line)
for strategy in bench.STRATEGIES:  # wall seconds of the benchmark's machine: 2 cores, shared with other jobs
    ends = [max(r["seconds_used"] for r in rows if r["strategy"] == strategy and int(r["seed"]) == s) for s in seeds]
    print(f"{strategy:<9} {np.mean(ends):.0f} s per run of the budget on average")

# %% [markdown]
# ## The figure
#
# Best so far against the budget, on a common axis of full fits (epochs / 20), mean and range over
# seeds.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for strategy, colour in zip(bench.STRATEGIES, ["tab:gray", "tab:blue", "tab:green", "tab:red"]):
    for ax, unit, scale in zip(axes, ["epochs_used", "seconds_used"], [20, 1]):
        runs = [[r for r in rows if r["strategy"] == strategy and int(r["seed"]) == seed] for seed in seeds]
        xs = [np.array([r[unit] for r in run]) / scale for run in runs]
        ys = [np.array([r["best_so_far"] for r in run]) for run in runs]
        # from the point where every seed has finished its first trial to the end of the shortest run
        grid_x = np.linspace(max(x[0] for x in xs), min(x[-1] for x in xs), 96)
        curves = np.array([y[np.searchsorted(x, grid_x, side="right") - 1] for x, y in zip(xs, ys)])
        ax.plot(grid_x, curves.mean(axis=0), color=colour, label=strategy)
        ax.fill_between(grid_x, curves.min(axis=0), curves.max(axis=0), color=colour, alpha=0.15)
axes[0].set_xlabel("budget spent (full fits of 20 epochs)")
axes[1].set_xlabel("seconds")
axes[0].set_ylabel("best validation RMSE so far (log price)")
axes[0].set_ylim(0.125, 0.2)
axes[0].legend()
fig.suptitle(f"Tuning the housing network: mean and range over {len(seeds)} seeds")
coursekit.save_figure(fig, "tuning_benchmark")
