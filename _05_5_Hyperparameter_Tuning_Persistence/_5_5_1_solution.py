"""Exercise 5.5.1 -- Design a grid under a budget of fits, and count what a search costs.

Goal: choose which dials of a Keras house-price regressor a grid search varies, and their values,
so that the search fits in 9 networks and its refit winner predicts well; count the networks first.
Read first: README.md sections 2 and 3, demo_grid_search.py

The rubric runs scikit-learn's ``GridSearchCV`` on a pipeline of its own: the housing preprocessor
(step ``prep``) and a scikeras ``KerasRegressor`` (step ``reg``) whose network has
``hidden_layers`` ReLU layers of ``neurons`` units and is trained by Adam at ``learning_rate`` for
10 epochs. The dials you may put in the grid, routed by step name, and their limits:

    reg__model__learning_rate   Adam's learning rate, in (0, 1]
    reg__model__hidden_layers   1 to 3
    reg__model__neurons         8 to 256
    reg__batch_size             32 to 512

A dial you leave out keeps its default (learning rate 1e-3, 1 layer of 32, batches of 128).
Which dials vary, and at which values, is your decision: the budget allows few candidates, so
spend them where the score depends on the choice.

Your code:
- ``design_grid()``: the ``param_grid`` (a dict of lists) to search;
- ``count_fits(param_grid, n_splits, refit)``: how many networks ``GridSearchCV`` trains for any
  grid it accepts (a dict of lists, or a list of such dicts), computed from the grid alone.

What the rubric does and measures (you do not write any of it):
- calls ``count_fits`` on hidden grids, fold counts and refit settings and compares with the
  number scikit-learn's own search would train;
- asks ``design_grid`` twice: the same grid both times;
- counts the networks your grid costs with 2-fold cross-validation on the training split and a
  refit of the winner: at most 9, and equal to what your ``count_fits`` says;
- runs the search, then scores the refit best pipeline once on the test split: the 2-fold CV RMSE
  of log price must be at most 0.16 and the test RMSE at most 0.145 (the RMSE of a log price is
  about a relative error: 0.145 is about 14.5% of a price).

Run this file to see what the rubric measures; ``course check 5.5.1`` records the verdict and
``course hint 5.5.1`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None

MAX_FITS = 9  # networks the search may train, the refit included
N_SPLITS = 2  # folds of the rubric's cross-validation


def design_grid() -> dict:
    """The grid to search: dial name -> list of values (dials from the module docstring)."""
    # TODO: decide which dials vary and their values, within the budget of fits.
    return {
        "reg__model__learning_rate": [0.01, 0.03],
        "reg__model__hidden_layers": [1, 2],
    }


def count_fits(param_grid, n_splits: int, refit: bool = True) -> int:
    """Networks ``GridSearchCV(param_grid, cv=n_splits, refit=refit)`` trains, from the grid alone."""
    # TODO: candidates times folds, and the refit; a list of grids searches each of them.
    grids = [param_grid] if isinstance(param_grid, dict) else list(param_grid)
    candidates = 0
    for grid in grids:
        size = 1
        for values in grid.values():
            size *= len(values)
        candidates += size
    return candidates * n_splits + (1 if refit else 0)


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
