"""scikeras, adapted to the scikit-learn of this course.

Use ``from coursekit.sk import KerasClassifier, KerasRegressor`` instead of importing them from
scikeras. Two defects of scikeras 0.13 with scikit-learn >= 1.6 are mended here:

1. ``is_classifier()`` is False for scikeras estimators (they rely on the removed
   ``_estimator_type``), so ``cv=5`` silently uses KFold instead of StratifiedKFold and
   VotingClassifier refuses them. The subclasses declare their type through ``__sklearn_tags__``.
2. Given ``random_state``, scikeras sets ``TF_DETERMINISTIC_OPS=1``; if TensorFlow reads the flag
   only then, it caches it and every later unseeded Keras fit fails with "Random ops require a
   seed". Importing this module reads the flag first.
"""

from __future__ import annotations

import coursekit  # noqa: F401  (quiet TensorFlow before it is imported)
from scikeras.wrappers import KerasClassifier as _KerasClassifier
from scikeras.wrappers import KerasRegressor as _KerasRegressor
from sklearn.utils import ClassifierTags, RegressorTags

from .seeding import read_determinism_flag

read_determinism_flag()


class KerasClassifier(_KerasClassifier):
    """scikeras' KerasClassifier that scikit-learn recognises as a classifier."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        tags.regressor_tags = None
        return tags


class KerasRegressor(_KerasRegressor):
    """scikeras' KerasRegressor that scikit-learn recognises as a regressor."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor"
        tags.regressor_tags = RegressorTags()
        tags.classifier_tags = None
        return tags
