# %% [markdown]
# # Ten classes with softmax: scikit-learn's handwritten digits
#
# What it shows: a multi-class network ends in one unit per class with a softmax, so each row of
# predictions is a probability distribution, and the predicted class is its argmax; with integer
# labels the loss is sparse categorical cross-entropy. A softmax layer on the raw pixels (multinomial
# logistic regression) is the baseline that a hidden layer must beat.
#
# Figure: the confusion matrix of the network on the test split (which digits it mixes up).
#
# Run it as a script, `python demo_digits_softmax.py` (or `course run 5.1 digits_softmax`), or as a
# notebook: `course notebook 5.1`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.1")  # --seed and --figures from a shell; the defaults in a notebook

import keras
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score

import data

# %% [markdown]
# ## The data and the classifier
#
# The digits, split into train, validation and test, with integer labels; and a classifier with
# the given hidden ReLU layers that ends in 10 softmax units, trained with sparse categorical
# cross-entropy.

# %%
coursekit.set_seed(args.seed)
digits = data.prepare_digits()
print(f"{len(digits.y_train) + len(digits.y_val) + len(digits.y_test):,} images: "
      f"{len(digits.y_train):,} train / {len(digits.y_val)} val / {len(digits.y_test)} test, "
      f"{digits.n_features} pixels each; labels are integers {sorted(set(digits.y_train.tolist()))}")


def softmax_classifier(hidden: list[int]) -> keras.Model:
    layers = [keras.Input(shape=(digits.n_features,))] + [keras.layers.Dense(u, activation="relu") for u in hidden]
    model = keras.Sequential(layers + [keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", steps_per_execution=32)
    return model


# %% [markdown]
# ## The baseline and the network
#
# The baseline (no hidden layer) and a network with one hidden layer of 128 ReLU units, trained the
# same way: early stopping on the validation loss, best epoch restored.

# %%
results = {}
for name, hidden in [("softmax regression", []), ("128 ReLU + softmax", [128])]:
    coursekit.set_seed(args.seed)
    model = softmax_classifier(hidden)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    history = model.fit(digits.X_train, digits.y_train, validation_data=(digits.X_val, digits.y_val), epochs=60,
                        batch_size=64, callbacks=[stop], verbose=0)
    probs = model.predict(digits.X_test, verbose=0)
    results[name] = probs
    print(f"{name}: {model.count_params():,} parameters, {len(history.epoch)} epochs, "
          f"test accuracy {accuracy_score(digits.y_test, probs.argmax(axis=1)):.3f}")

# %% [markdown]
# ## Probabilities
#
# Each prediction row sums to 1; the class is the argmax.

# %%
probs = results["128 ReLU + softmax"]
print(f"first test image: probabilities {np.round(probs[0], 3)} (sum {probs[0].sum():.3f}), "
      f"predicted {probs[0].argmax()}, true {digits.y_test[0]}")
y_pred = probs.argmax(axis=1)

# %% [markdown]
# ## The figure
#
# The confusion matrix of the network on the test split.

# %%
fig, ax = plt.subplots(figsize=(5.5, 5))
ConfusionMatrixDisplay.from_predictions(digits.y_test, y_pred, ax=ax, colorbar=False)
ax.set_title("Digits MLP (128 ReLU): confusion matrix (test)")
coursekit.save_figure(fig, "digits_confusion_matrix")
