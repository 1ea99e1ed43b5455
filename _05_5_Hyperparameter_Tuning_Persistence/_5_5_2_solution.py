"""Exercise 5.5.2 -- Random search against a grid, honestly: equal budgets, the same ranges, several seeds.

Goal: choose the ranges of a housing network's learning rate and L2 penalty, sample them the way
these dials should be sampled, and let the rubric compare your random search with a grid over the
same ranges at the same budget, on three seeds.
Read first: README.md section 4, demo_tuning_benchmark.py

The network is the rubric's: one hidden layer of 64 ReLU units with an L2 penalty on its weights,
trained by Adam for 10 epochs on the housing training split (log prices); a candidate's score is
its best validation RMSE over those epochs. Two dials are searched, by these names:

    learning_rate   Adam's learning rate, in (0, 1]
    l2              the L2 penalty's strength, in (0, 1]

Your code:
- ``random_space()``: for each dial a ``scipy.stats`` distribution to sample from. The range and
  the distribution are your decision; the rubric builds its grid on the same ranges.
- ``sample(space, n, seed)``: ``n`` candidates (dicts dial -> value) drawn from the distributions
  of any ``space`` of this form; the same seed must give the same candidates, in any process.

What the rubric does and measures (you do not write any of it):
- draws 4,000 values from each of your distributions: the learning rate's range spans at least a
  factor of 10, and each dial is spread evenly over its range on a log scale (each quarter of the
  range in log terms holds between 0.2 and 0.3 of the draws);
- calls ``sample`` on hidden spaces and seeds: the draws must follow those distributions, no
  candidate may repeat another, the same seed must repeat them (whatever NumPy's global state),
  another seed must change them, and the dials must not move together;
- for three seeds, trains 9 candidates from your ``sample`` and the 3 x 3 grid over your ranges
  (the centres of three equal parts of each range on a log scale), each pair of searches starting
  from the same initial weights: the mean over the seeds of the random search's best validation
  RMSE must be at most 0.14, and at most 0.005 above the grid's mean.

Run this file to see what the rubric measures; ``course check 5.5.2`` records the verdict and
``course hint 5.5.2`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import numpy as np
from scipy import stats

BUDGET = 9  # candidates per search
DIALS = ("learning_rate", "l2")


def random_space() -> dict:
    """Dial name -> a scipy.stats distribution (frozen: with its range) to draw that dial from."""
    # TODO: a range and a distribution for each dial, chosen for how the dial acts.
    return {"learning_rate": stats.loguniform(3e-3, 5e-2), "l2": stats.loguniform(1e-6, 1e-2)}


def sample(space: dict, n: int, seed: int) -> list[dict]:
    """``n`` candidates drawn from ``space``: a list of dicts with the space's dials as keys."""
    # TODO: draw every candidate from the distributions, reproducibly from the seed alone.
    rng = np.random.default_rng(seed)
    return [{dial: float(dist.rvs(random_state=rng)) for dial, dist in space.items()} for _ in range(n)]


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
