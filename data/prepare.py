"""Fixed, stratified train/validation/test splits and preprocessors fit on the training split only.

Every lesson uses the same split of each table (``SPLIT_SEED``), so numbers are comparable across
lessons: 60% train, 20% validation (epochs, thresholds, hyperparameters), 20% test (touched once).
The ``seed`` of an exercise changes the network's initialisation and shuffling, not the split.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from . import churn as _churn
from . import housing as _housing
from .errors import DataSchemaError
from .guard import RULE, TestSplitAccess, protect

SPLIT_SEED = 42
VAL_FRACTION = 0.2
TEST_FRACTION = 0.2


@dataclass
class Split:
    """Three disjoint frames of one table."""

    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame


@dataclass
class Prepared:
    """Model-ready float32 arrays, with the fitted preprocessor and the raw frames they came from."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    feature_names: list[str]
    preprocessor: object = None
    frames: Split | None = field(default=None, repr=False)

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    def train_val(self) -> "TrainVal":
        """What a student's function may see: copies of the training and validation arrays only."""
        return TrainVal(self.X_train.copy(), self.y_train.copy(), self.X_val.copy(), self.y_val.copy(),
                        list(self.feature_names))


@dataclass(frozen=True)
class TrainVal:
    """Training and validation data, without the test split (which the rubric alone scores)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    feature_names: list[str]

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    def __getattr__(self, name: str):
        if name.endswith("test") or name in ("frames", "preprocessor"):
            raise TestSplitAccess(f"{RULE} (it asked for .{name}, which this data does not hold)")
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}; it holds "
                             "X_train, y_train, X_val, y_val, feature_names and n_features")


def three_way_split(frame: pd.DataFrame, stratify: pd.Series, seed: int = SPLIT_SEED) -> Split:
    """Split a frame 60/20/20, stratified on ``stratify``, reproducibly for a given seed."""
    if len(frame) < 10:
        raise DataSchemaError(f"cannot split a table of {len(frame)} rows into train/validation/test")
    rest, test = train_test_split(frame, test_size=TEST_FRACTION, stratify=stratify, random_state=seed)
    val_share = VAL_FRACTION / (1.0 - TEST_FRACTION)
    train, val = train_test_split(
        rest, test_size=val_share, stratify=stratify.loc[rest.index], random_state=seed
    )
    return Split(train.reset_index(drop=True), val.reset_index(drop=True), test.reset_index(drop=True))


# --------------------------------------------------------------------------- churn


def split_churn(frame: pd.DataFrame | None = None, seed: int = SPLIT_SEED) -> Split:
    """The churn table split 60/20/20, stratified on the target."""
    protect("data.split_churn")
    frame = _churn.load_churn() if frame is None else frame
    return three_way_split(frame, frame[_churn.TARGET], seed)


def churn_preprocessor() -> ColumnTransformer:
    """Scale numeric columns, pass 0/1 columns through, one-hot encode categories (unfitted)."""
    return ColumnTransformer(
        [
            ("num", StandardScaler(), _churn.NUMERIC),
            ("bin", "passthrough", _churn.BINARY),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), _churn.CATEGORICAL),
        ],
        verbose_feature_names_out=False,
    )


def prepare_churn(frame: pd.DataFrame | None = None, seed: int = SPLIT_SEED) -> Prepared:
    """Churn arrays: preprocessor fit on the training split only, applied to all three."""
    protect("data.prepare_churn")
    split = split_churn(frame, seed)
    pre = churn_preprocessor()
    feats = _churn.FEATURES
    X_train = pre.fit_transform(split.train[feats]).astype(np.float32)
    return Prepared(
        X_train=X_train,
        y_train=split.train[_churn.TARGET].to_numpy(np.float32),
        X_val=pre.transform(split.val[feats]).astype(np.float32),
        y_val=split.val[_churn.TARGET].to_numpy(np.float32),
        X_test=pre.transform(split.test[feats]).astype(np.float32),
        y_test=split.test[_churn.TARGET].to_numpy(np.float32),
        feature_names=list(pre.get_feature_names_out()),
        preprocessor=pre,
        frames=split,
    )


# --------------------------------------------------------------------------- housing


def split_housing(frame: pd.DataFrame | None = None, seed: int = SPLIT_SEED) -> Split:
    """The housing table split 60/20/20, stratified on price quintiles."""
    protect("data.split_housing")
    frame = _housing.load_housing() if frame is None else frame
    bins = pd.qcut(frame[_housing.TARGET], q=5, labels=False, duplicates="drop")
    return three_way_split(frame, bins, seed)


def housing_preprocessor() -> ColumnTransformer:
    """Impute and scale numerics, one-hot encode categories (rare levels grouped), unfitted.

    Areas and other right-skewed sizes are log-transformed (``log1p``) before scaling: the largest
    lot in the training split (159,000 square feet) would otherwise sit 23 standard deviations
    above the mean, and a network fed such a value extrapolates wildly.
    """
    return ColumnTransformer(
        [
            (
                "size",
                make_pipeline(SimpleImputer(strategy="median"), FunctionTransformer(np.log1p, feature_names_out="one-to-one"), StandardScaler()),
                _housing.SKEWED,
            ),
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), _housing.UNSKEWED),
            (
                "cat",
                OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10, sparse_output=False),
                _housing.CATEGORICAL,
            ),
        ],
        verbose_feature_names_out=False,
    )


def prepare_housing(frame: pd.DataFrame | None = None, seed: int = SPLIT_SEED) -> Prepared:
    """Housing arrays; the targets are log prices (``data.to_dollars`` converts back)."""
    protect("data.prepare_housing")
    split = split_housing(frame, seed)
    pre = housing_preprocessor()
    feats = _housing.FEATURES
    X_train = pre.fit_transform(split.train[feats]).astype(np.float32)
    return Prepared(
        X_train=X_train,
        y_train=split.train[_housing.LOG_TARGET].to_numpy(np.float32),
        X_val=pre.transform(split.val[feats]).astype(np.float32),
        y_val=split.val[_housing.LOG_TARGET].to_numpy(np.float32),
        X_test=pre.transform(split.test[feats]).astype(np.float32),
        y_test=split.test[_housing.LOG_TARGET].to_numpy(np.float32),
        feature_names=list(pre.get_feature_names_out()),
        preprocessor=pre,
        frames=split,
    )


# --------------------------------------------------------------------------- digits


def prepare_digits(seed: int = SPLIT_SEED) -> Prepared:
    """scikit-learn's bundled 8x8 handwritten digits (1,797 images, 10 classes).

    Pixels 0-16 are scaled to 0-1 (a fixed scale, so nothing is learned from the test split);
    labels are integers 0-9 (sparse labels).
    """
    protect("data.prepare_digits")
    from sklearn.datasets import load_digits

    digits = load_digits(as_frame=True)
    frame = digits.frame
    split = three_way_split(frame, frame["target"], seed)
    pixels = list(digits.feature_names)

    def arrays(part: pd.DataFrame):
        return (part[pixels].to_numpy(np.float32) / 16.0, part["target"].to_numpy(np.int64))

    X_train, y_train = arrays(split.train)
    X_val, y_val = arrays(split.val)
    X_test, y_test = arrays(split.test)
    return Prepared(X_train, y_train, X_val, y_val, X_test, y_test, pixels, None, split)
