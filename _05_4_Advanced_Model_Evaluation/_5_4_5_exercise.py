"""Exercise 5.4.5 -- Calibration: a reliability curve, the Brier score, and a recalibration.

Goal: measure whether a churn model's probabilities mean what they say, and map them, with a
function fitted on the validation split, to probabilities that do.
Read first: README.md section 8 (reliability diagram, Brier score, calibration error,
recalibration on validation data); demo_calibration.py

- ``reliability_curve(y_true, p, n_bins)``: cut [0, 1] into ``n_bins`` equal bins (edges
  ``np.linspace(0, 1, n_bins + 1)``); bin k holds the probabilities above its lower edge and up to
  its upper edge, and the first bin also holds 0. For each bin that holds a case, in order: the
  fraction of positives and the mean probability. Return the two arrays, fractions first (as
  ``sklearn.calibration.calibration_curve`` does).
- ``brier_score(y_true, p)``: the mean squared difference between probability and outcome.
- ``fit_recalibration(y_val, p_val)``: from validation labels and a model's validation
  probabilities, fit a map (Platt scaling, isotonic regression, or another of your choice) and
  return it as a function that takes an array of probabilities and returns the recalibrated ones.

What the rubric does and measures (you do not write any of it):
- compares your curve and Brier score with scikit-learn's on 16 hidden cases (probabilities on
  bin edges, 0 and 1, empty bins, one case; the curve with other numbers of bins as well), each
  call on fresh copies and the first case asked again at the end, to within 1e-09;
- calls ``fit_recalibration`` on two made-up validation sets whose true probabilities it knows,
  one after the other: each map must come within 0.07 of the truth on average (over
  probabilities 0.05 to 0.95), return one probability per probability given, and the first map
  must not change when the second is fitted;
- trains its own churn network with churners weighted 3 times (its probabilities are inflated on
  purpose), calls ``fit_recalibration`` with its validation predictions, and applies your function
  to its test predictions: their expected calibration error (10 equal bins, the rubric's own)
  must fall to at most 0.04 (0.15-0.17 before), the Brier score must fall, and the test ROC AUC
  may drop by at most 0.01.

Run this file to see what the rubric measures; ``course check 5.4.5`` records the verdict and
``course hint 5.4.5`` gives a hint.
"""

try:
    import coursekit
except ModuleNotFoundError:  # run by a Python without the course installed: say what to do, in one line
    raise SystemExit("This Python lacks the course: activate its environment (source .venv/bin/activate) or, in the "
                     "course folder, pip install -e \".[test]\" -c constraints.txt") from None
import numpy as np


def reliability_curve(y_true, p, n_bins: int = 10) -> tuple:
    """(fraction of positives, mean probability) of each non-empty bin, lowest bin first."""
    # TODO: put each probability in its bin, then summarise the bins that hold cases.
    raise NotImplementedError("reliability_curve: return the fraction of positives and the mean probability per bin")


def brier_score(y_true, p) -> float:
    """Mean of (p - y)^2."""
    # TODO: one number for the whole set.
    raise NotImplementedError("brier_score: return the Brier score of the probabilities")


def fit_recalibration(y_val, p_val):
    """A function: array of probabilities -> recalibrated probabilities, fitted on validation data."""
    # TODO: fit the map on the validation labels and probabilities; return it as a function.
    raise NotImplementedError("fit_recalibration: return a function that recalibrates probabilities")


if __name__ == "__main__":
    coursekit.selfcheck(__file__)
