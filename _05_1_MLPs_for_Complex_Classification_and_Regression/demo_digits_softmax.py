"""Demo 5.1 -- Ten classes with softmax: scikit-learn's handwritten digits.

What it shows: a multi-class network ends in one unit per class with a softmax, so each row of
predictions is a probability distribution; with integer labels the loss is sparse categorical
cross-entropy. Figure: the confusion matrix on the test split (which digits it mixes up).
"""

# %%
import coursekit

args = coursekit.script_args(__doc__)
coursekit.set_seed(args.seed)

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score  # noqa: E402

import data  # noqa: E402
from coursekit.training import fit_early_stopping, predict  # noqa: E402

# %%
digits = data.prepare_digits()
print(f"images: {len(digits.y_train)} train / {len(digits.y_val)} val / {len(digits.y_test)} test, "
      f"{digits.n_features} pixels each; labels are integers {sorted(set(digits.y_train.tolist()))}")

model = keras.Sequential(
    [
        keras.Input(shape=(digits.n_features,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"], steps_per_execution=32)
history = fit_early_stopping(model, digits.X_train, digits.y_train, digits.X_val, digits.y_val,
                             monitor="val_accuracy", mode="max", patience=15, epochs=100, batch_size=32)

# %%
# Each prediction row sums to 1; the class is the argmax.
probs = predict(model, digits.X_test)
print(f"first test image: probabilities {np.round(probs[0], 3)} (sum {probs[0].sum():.3f}), "
      f"predicted {probs[0].argmax()}, true {digits.y_test[0]}")
y_pred = probs.argmax(axis=1)
print(f"epochs run: {len(history.epoch)}; test accuracy {accuracy_score(digits.y_test, y_pred):.3f}")

# %%
fig, ax = plt.subplots(figsize=(5.5, 5))
ConfusionMatrixDisplay.from_predictions(digits.y_test, y_pred, ax=ax, colorbar=False)
ax.set_title("Digits MLP: confusion matrix (test)")
coursekit.save_figure(fig, "digits_confusion_matrix", __file__)
