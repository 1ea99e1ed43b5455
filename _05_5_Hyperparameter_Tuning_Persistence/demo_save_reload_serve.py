# %% [markdown]
# # Save, reload and serve a churn model that takes raw customer records
#
# The preprocessing -- scaling the numbers, one-hot encoding the categories -- is built from Keras
# layers inside the model, so the saved artifact maps a raw customer record to a churn probability
# and nobody has to ship a matching scikit-learn preprocessor beside it. The model is saved three
# ways (`.keras`, an exported SavedModel, `.weights.h5`) and exported as a LiteRT (`.tflite`) file;
# each is reloaded and compared, and
# `predict_churn.py` scores a CSV of raw records in a fresh Python process. A truncated file and a
# `Lambda` layer show what loading refuses, and why.
#
# Artifacts go to a temporary folder (never into the repository).
#
# Run it as a script, `python demo_save_reload_serve.py` (or `course run 5.5 save_reload_serve`), or
# as a notebook: `course notebook 5.5`. It takes about 15-30 s on 2 cores.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.5")  # --seed and --figures from a shell; the defaults in a notebook

import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import h5py
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from sklearn.metrics import roc_auc_score

import _lesson55
import data
from data import churn as schema

# %% [markdown]
# ## Set-up
#
# Raw churn frames (strings and numbers), a fixed split, tf.data pipelines of records.

# %%
coursekit.set_seed(args.seed)
split = data.split_churn()
print("a raw record:", split.test[schema.FEATURES].iloc[0].to_dict())

# %% [markdown]
# ## The model
#
# One named input per raw column, the preprocessing inside (`_lesson55.build_raw_churn_model`:
# `Normalization` learns the numeric columns' means and variances from the training rows and stores
# them as weights; `StringLookup` one-hot encodes each category with a fixed vocabulary). Early
# stopping on the validation AUC chooses the epoch.

# %%
model, history = _lesson55.train_raw_churn_model(split, seed=args.seed, epochs=10)
proba = _lesson55.predict_records(model, split.test)
print(f"trained {len(history.epoch)} epochs; test ROC AUC {roc_auc_score(split.test[schema.TARGET], proba):.4f}")

# %% [markdown]
# ## Three ways to save, and a LiteRT export
#
# `.keras` is a zip of the architecture (JSON config), the weights and the optimizer state: the
# file to keep. `export` writes a TensorFlow SavedModel -- a graph that TF Serving or another
# language can run without the Python code -- and, with `format="litert"`, one `.tflite` file for
# phones and small devices. `.weights.h5` holds variables only (the layers', and the optimizer's
# of a compiled, trained model): the code that built the model must build it again before loading.

# %%
tmp = tempfile.TemporaryDirectory(prefix="lesson55_demo_")
folder = Path(tmp.name)
model.save(folder / "churn.keras")
model.export(str(folder / "churn_savedmodel"), verbose=False)
model.save_weights(folder / "churn.weights.h5")
model.export(str(folder / "churn.tflite"), format="litert", verbose=False)


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


sizes = {name: size(folder / name) for name in ["churn.keras", "churn_savedmodel", "churn.weights.h5", "churn.tflite"]}
for name, nbytes in sizes.items():
    print(f"{name:<18} {nbytes / 1024:8.1f} KiB")

# What a .weights.h5 file holds: the values under each of its top-level groups.
counts = {}
with h5py.File(folder / "churn.weights.h5", "r") as f:
    f.visititems(lambda name, obj: counts.update({name.split("/")[0]: counts.get(name.split("/")[0], 0) + obj.size})
                 if isinstance(obj, h5py.Dataset) else None)
print(f"churn.weights.h5 holds {counts.get('layers', 0):,} values of the layers and {counts.get('optimizer', 0):,} of "
      f"the optimizer (Adam's two moments per trainable weight, its step count and its rate)")

# %% [markdown]
# ## Reload and compare
#
# Reload each and compare the predictions on the test records; the `.tflite` file runs in
# TensorFlow Lite's interpreter.

# %%
reloaded = keras.models.load_model(folder / "churn.keras")  # safe_mode=True: runs no code from the file
served = keras.layers.TFSMLayer(str(folder / "churn_savedmodel"), call_endpoint="serve")
rebuilt = keras.models.clone_model(model)  # same architecture, new (random) weights ...
rebuilt.load_weights(folder / "churn.weights.h5")  # ... until the saved ones are loaded
for name, artifact in [(".keras", reloaded), ("SavedModel", served), (".weights.h5", rebuilt)]:
    gap = np.max(np.abs(_lesson55.predict_records(artifact, split.test) - proba))
    print(f"{name:<12} max |reloaded - original| = {gap:.2e}")

# The .tflite file runs in TensorFlow Lite's interpreter, one named input per raw column as in the
# SavedModel. TF 2.21 still ships tf.lite.Interpreter, with a warning that it is deprecated in
# favour of the interpreter of the ai_edge_litert package (not installed here).
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated")
    runner = tf.lite.Interpreter(model_path=str(folder / "churn.tflite")).get_signature_runner("serving_default")
lite = runner(**{k: v.numpy() for k, v in _lesson55.raw_inputs(split.test).items()})["output_0"].ravel()
gap = np.max(np.abs(lite - proba))
print(f"{'.tflite':<12} max |LiteRT - original|   = {gap:.1e} (below 1e-5: {gap < 1e-5})")

# %% [markdown]
# ## Serving
#
# A fresh Python process scores a CSV of raw records with `predict_churn.py`. The CSV is five
# customers of the test split, written as a client would send them (no label, no encoding).

# %%
records = folder / "customers.csv"
split.test[schema.FEATURES].head(5).to_csv(records, index=False)
command = args.folder / "predict_churn.py"
out = subprocess.run([sys.executable, str(command), str(folder / "churn_savedmodel"), str(records)],
                     capture_output=True, text=True, timeout=300)
print(f"$ python predict_churn.py churn_savedmodel customers.csv   (exit {out.returncode})")
print(out.stdout.strip())
fresh = np.array([float(line.split(",")[1]) for line in out.stdout.strip().splitlines()[1:]])
print(f"fresh process vs this one: max gap {np.max(np.abs(fresh - proba[:5])):.1e} (4 decimals printed)")

# %% [markdown]
# ## What loading refuses
#
# A truncated `.keras` file is no longer a zip archive: Keras itself reports "File not found", so
# `predict_churn.py` checks the archive first and says what is wrong.

# %%
blob = (folder / "churn.keras").read_bytes()
(folder / "truncated.keras").write_bytes(blob[: len(blob) // 2])
bad = subprocess.run([sys.executable, str(command), str(folder / "truncated.keras"), str(records)],
                     capture_output=True, text=True, timeout=300)
print(f"truncated file -> exit {bad.returncode}: {bad.stderr.strip().splitlines()[-1]}")
try:
    keras.models.load_model(folder / "truncated.keras")
except ValueError as exc:
    print("keras.models.load_model on it says:", str(exc).split(". ")[0])

# A Lambda layer stores Python bytecode; loading it would run code from the file, so Keras refuses
# unless you pass safe_mode=False -- do that only for files you made yourself. A pickle is the same.
lam = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Lambda(lambda t: t * 2.0)])
lam.save(folder / "lambda.keras")
try:
    keras.models.load_model(folder / "lambda.keras")
except ValueError as exc:
    print("Lambda layer, safe_mode=True ->", str(exc).split(". ")[0][:120])

# %% [markdown]
# ## The figure
#
# Artifact sizes and the fresh process' probabilities against the original model's.

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
axes[0].barh(list(sizes), [v / 1024 for v in sizes.values()], color=["tab:blue", "tab:orange", "tab:green", "tab:purple"])
axes[0].set_xlabel("size on disk (KiB)")
axes[0].set_title("one model, four artifacts")
axes[1].scatter(proba[:5], fresh, s=40)
axes[1].plot([0, 1], [0, 1], color="grey", lw=1)
axes[1].set_xlabel("probability in the training process")
axes[1].set_ylabel("predict_churn.py, fresh process")
axes[1].set_title("raw records in, same probabilities out")
coursekit.save_figure(fig, "artifacts_and_serving")
tmp.cleanup()
