# %% [markdown]
# # An MLP drawn: layers, shapes and parameter counts
#
# What it shows: the churn network of this lesson (40 inputs, hidden layers of 64 and 32 ReLU
# units, one sigmoid output) as a diagram. Every unit of a `Dense` layer is connected to every
# unit of the layer before it, so a layer with `n_in` inputs and `n_out` units has
# `n_in * n_out` weights plus `n_out` biases. The counts are computed by that formula and
# checked against Keras's own `count_params`. No training happens here.
#
# Figure: the diagram, with each layer's output shape and parameter count.
#
# Run it as a script, `python demo_mlp_diagram.py` (or `course run 5.1 mlp_diagram`), or as a
# notebook: `course notebook 5.1`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.1")  # --seed and --figures from a shell; the defaults in a notebook

import keras
import matplotlib.pyplot as plt
import numpy as np

# %% [markdown]
# ## The network and its counts
#
# The same `Sequential` model as `demo_churn_classifier.py`. For each `Dense` layer: the
# formula's count beside Keras's.

# %%
coursekit.set_seed(args.seed)
WIDTHS = [40, 64, 32, 1]  # input, two hidden layers, output
model = keras.Sequential(
    [
        keras.Input(shape=(WIDTHS[0],)),
        keras.layers.Dense(WIDTHS[1], activation="relu"),
        keras.layers.Dense(WIDTHS[2], activation="relu"),
        keras.layers.Dense(WIDTHS[3], activation="sigmoid"),
    ]
)
counts = []
for layer, n_in, n_out in zip(model.layers, WIDTHS[:-1], WIDTHS[1:]):
    formula = n_in * n_out + n_out
    counts.append(formula)
    print(f"Dense({n_out}, {layer.activation.__name__}): {n_in} x {n_out} weights + {n_out} bias{'es' if n_out > 1 else ''} = "
          f"{formula:,} parameters (Keras: {layer.count_params():,}); output shape (batch, {n_out})")
print(f"total: {sum(counts):,} parameters (Keras: {model.count_params():,})")

# %% [markdown]
# ## The diagram
#
# At most eight units are drawn per layer (the dots stand for the rest); every drawn unit is
# connected to every drawn unit of the next layer, as in the network.

# %%
SHOWN = 8
labels = ["input\n(batch, 40)", "Dense(64, relu)\n(batch, 64)", "Dense(32, relu)\n(batch, 32)",
          "Dense(1, sigmoid)\n(batch, 1)"]
fig, ax = plt.subplots(figsize=(10, 5.2))
positions = []
for i, width in enumerate(WIDTHS):
    n = min(width, SHOWN)
    ys = np.linspace(-1, 1, n) if n > 1 else np.array([0.0])
    positions.append(ys)
for i in range(len(WIDTHS) - 1):
    for y0 in positions[i]:
        for y1 in positions[i + 1]:
            ax.plot([i, i + 1], [y0, y1], color="tab:blue", alpha=0.25, linewidth=0.6, zorder=1)
for i, (width, ys) in enumerate(zip(WIDTHS, positions)):
    colour = "tab:grey" if i == 0 else ("tab:orange" if i == len(WIDTHS) - 1 else "tab:green")
    ax.scatter(np.full(len(ys), i), ys, s=220, color=colour, edgecolor="black", zorder=2)
    if width > SHOWN:
        ax.text(i + 0.09, 0, "⋮", fontsize=18, ha="left", va="center")
        ax.text(i, 1.22, f"{width} units", ha="center", fontsize=9)
    ax.text(i, -1.35, labels[i], ha="center", va="top", fontsize=9)
for i, count in enumerate(counts):
    n_in, n_out = WIDTHS[i], WIDTHS[i + 1]
    ax.text(i + 0.5, 1.5, f"{n_in}×{n_out} + {n_out}\n= {count:,} parameters", ha="center", fontsize=9,
            bbox=dict(boxstyle="round", facecolor="white", edgecolor="tab:blue"))
ax.set_xlim(-0.5, len(WIDTHS) - 0.5)
ax.set_ylim(-2.0, 1.95)
ax.axis("off")
ax.set_title(f"The churn MLP: {sum(counts):,} parameters (weights and biases)")
coursekit.save_figure(fig, "mlp_diagram")
