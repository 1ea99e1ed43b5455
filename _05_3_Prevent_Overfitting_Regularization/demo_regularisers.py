# %% [markdown]
# # Regularisers side by side on the Ames housing table: L2, decoupled weight decay (AdamW), L1, dropout
#
# The housing table has 261 inputs (most of them one-hot levels) and 1,755 training sales, so an
# unregularised network fits the training sales far better than new ones. The same network (Dense
# 128 and 64, ReLU, a linear output) is trained for a fixed 30 epochs of batches of 128 in each of
# these ways:
#
# - an L2 penalty in the loss (`kernel_regularizer=keras.regularizers.L2(...)`), trained with Adam;
# - decoupled weight decay (`keras.optimizers.AdamW`): every step shrinks the weights directly,
#   beside the gradient step, and nothing is added to the loss;
# - an L1 penalty in the loss, which drives weights to (almost) zero instead of shrinking them;
# - dropout after each hidden layer.
#
# Before that, three checks: with plain SGD an L2 penalty of strength `l2` and a decoupled decay of
# `2 * l2` are the same update, with Adam they are not; in Keras 3, `Adam(weight_decay=...)` and
# `AdamW(weight_decay=...)` are the same update; and what a Dropout layer does to its inputs in
# training and at inference, with a picture of the thinned networks it trains.
#
# Run it as a script, `python demo_regularisers.py` (or `course run 5.3 regularisers`), or as a
# notebook: `course notebook 5.3`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.3")  # --seed and --figures from a shell; the defaults in a notebook

import keras
import matplotlib.pyplot as plt
import numpy as np

import data
from coursekit.training import fast_compile, fast_fit, predict

# %% [markdown]
# ## The data and the network
#
# The Ames table as the `data` package prepares it, and one network for every variant below: Dense
# ReLU layers, a linear output whose bias starts at the mean log price, an optional penalty on every
# kernel and optional dropout after every hidden layer.

# %%
coursekit.set_seed(args.seed)
houses = data.prepare_housing()
n = houses.n_features
start = float(houses.y_train.mean())  # the output's bias starts at the mean log price
print(f"training sales: {len(houses.X_train):,}; inputs: {n}")


def network(penalty=None, width=(128, 64), rate=0.0) -> keras.Sequential:
    """Dense ReLU layers of ``width`` units and a linear output; ``penalty`` on every kernel,
    Dropout(``rate``) after every hidden layer."""
    layers = [keras.Input(shape=(n,))]
    for w in width:
        layers.append(keras.layers.Dense(w, activation="relu", kernel_regularizer=penalty))
        if rate:
            layers.append(keras.layers.Dropout(rate))
    layers.append(keras.layers.Dense(1, kernel_regularizer=penalty, bias_initializer=keras.initializers.Constant(start)))
    return keras.Sequential(layers)


# %% [markdown]
# ## An L2 penalty vs decoupled weight decay, with SGD and with Adam
#
# The same start, the same 50 batches, two updates: the penalty's gradient `2 * l2 * w` goes
# through the optimizer's step; the decay `learning_rate * weight_decay * w` is subtracted from
# the weights beside it (Keras's `weight_decay` argument; the biases are left out, as the
# penalty leaves them).

# %%
L2, STEPS = 0.01, 50
batches = [np.random.default_rng(args.seed).choice(len(houses.X_train), 64, replace=False) for _ in range(STEPS)]


def after_steps(model, optimizer) -> list[np.ndarray]:
    model.compile(optimizer=optimizer, loss="mse")
    for rows in batches:
        model.train_on_batch(houses.X_train[rows], houses.y_train[rows])
    return model.get_weights()


for name, make in [("SGD", lambda **kw: keras.optimizers.SGD(0.01, **kw)), ("Adam", lambda **kw: keras.optimizers.Adam(1e-3, **kw))]:
    coursekit.set_seed(args.seed)
    penalised = network(keras.regularizers.L2(L2), width=(32,))
    decayed = network(width=(32,))
    decayed.set_weights(penalised.get_weights())
    optimizer = make(weight_decay=2 * L2)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    a, b = after_steps(penalised, make()), after_steps(decayed, optimizer)
    print(f"{name}: after {STEPS} steps, L2 {L2:g} in the loss vs decay {2 * L2:g}: largest weight difference "
          f"{max(float(np.max(np.abs(x - y))) for x, y in zip(a, b)):.1e}")

# Keras 3: every optimizer's weight_decay is decoupled; AdamW is Adam with a default decay of 0.004
coursekit.set_seed(args.seed)
adam_model, adamw_model = network(width=(32,)), network(width=(32,))
adamw_model.set_weights(adam_model.get_weights())
a = after_steps(adam_model, keras.optimizers.Adam(1e-3, weight_decay=2 * L2))
b = after_steps(adamw_model, keras.optimizers.AdamW(1e-3, weight_decay=2 * L2))
print(f"Adam(weight_decay={2 * L2:g}) vs AdamW(weight_decay={2 * L2:g}), after {STEPS} steps: largest weight difference "
      f"{max(float(np.max(np.abs(x - y))) for x, y in zip(a, b)):.1e}; AdamW's default decay: "
      f"{keras.optimizers.AdamW().weight_decay:g}")

# %% [markdown]
# ## What a Dropout layer does
#
# A Dropout layer on 10,000 ones: in training mode about half are zeroed and the rest doubled
# (so the mean stays near 1); at inference the layer is the identity.

# %%
layer = keras.layers.Dropout(0.5)
ones = np.ones((1, 10_000), dtype="float32")
dropped = np.asarray(layer(ones, training=True))
print(f"\nDropout(0.5), training mode: {np.mean(dropped == 0):.3f} of 10,000 ones zeroed, the others {dropped.max():g}, "
      f"mean {dropped.mean():.3f}; at inference unchanged: {np.array_equal(np.asarray(layer(ones, training=False)), ones)}")

# %% [markdown]
# ## A picture of dropout
#
# A small network (6 inputs, two hidden layers of 8 units, one output) with `Dropout(0.5)` after
# each hidden layer. For two training steps, the masks come from a real Dropout layer: each unit is
# dropped on its own with probability 0.5, so the share dropped varies from layer to layer and
# step to step, and each step trains another thinned network. The kept units' outputs are
# multiplied by 2 (`1 / (1 - rate)`, "inverted dropout"), so at inference every unit is used and
# nothing is rescaled.

# %%
SIZES, RATE = [6, 8, 8, 1], 0.5
mask_layer = keras.layers.Dropout(RATE, seed=args.seed)
masks = [[np.asarray(mask_layer(np.ones((1, width), dtype="float32"), training=True))[0] for width in SIZES[1:-1]]
         for _ in range(2)]
for step, step_masks in enumerate(masks, start=1):
    kept = ", ".join(f"hidden layer {k + 1} keeps {int(np.sum(m > 0))} of {len(m)}" for k, m in enumerate(step_masks))
    print(f"training step {step}: {kept}; each kept output times {step_masks[0].max():g}")


def draw_network(ax, step_masks, title):
    """Units as circles, layer by layer; dropped units white and crossed out, with no connections.
    ``step_masks`` is None at inference (every unit kept, nothing rescaled)."""
    training = step_masks is not None
    hidden = step_masks if training else [np.ones(n) for n in SIZES[1:-1]]
    keep = [np.ones(SIZES[0], bool)] + [m > 0 for m in hidden] + [np.ones(1, bool)]
    ys = [np.linspace(-(n - 1) / 2, (n - 1) / 2, n) for n in SIZES]
    for k in range(len(SIZES) - 1):
        for i, y0 in enumerate(ys[k]):
            for j, y1 in enumerate(ys[k + 1]):
                if keep[k][i] and keep[k + 1][j]:
                    ax.plot([k, k + 1], [y0, y1], color="tab:blue", alpha=0.25, linewidth=0.7)
    for k, (y, on) in enumerate(zip(ys, keep)):
        for yi, alive in zip(y, on):
            ax.scatter(k, yi, s=180, zorder=3, color="tab:blue" if alive else "white",
                       edgecolors="tab:blue" if alive else "lightgray")
            if not alive:
                ax.scatter(k, yi, s=80, zorder=4, marker="x", color="gray")
            elif training and 0 < k < len(SIZES) - 1:
                ax.annotate("x2", (k, yi), xytext=(7, -3), textcoords="offset points", fontsize=7)
    ax.set_xticks(range(len(SIZES)), ["inputs", "hidden 1", "hidden 2", "output"])
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
draw_network(axes[0], masks[0], "training step 1: a thinned network;\nkept outputs x 2")
draw_network(axes[1], masks[1], "training step 2: another thinned network")
draw_network(axes[2], None, "inference: every unit,\noutputs not rescaled")
fig.suptitle(f"Dropout({RATE}) after each hidden layer: dropped units crossed out", y=1.03)
coursekit.save_figure(fig, "dropout_network")

# %% [markdown]
# ## The regularisers compared
#
# Now the comparison, 30 epochs each from the same start. The errors are measured from the
# predictions (RMSE of the log price, dropout off), so no penalty term is in them.
#
# Keras multiplies the decay by the learning rate: each step shrinks a weight by
# `learning_rate * weight_decay` of its size. Over a run, decay alone would leave
# `(1 - learning_rate * weight_decay) ** steps` of it; the demo prints that for the decays it tries
# and for Keras's default, over the steps the run made. This run is short (30 epochs of 14
# batches), which is why its decays are far larger than the usual ones.


# %%
def rmse(model, X, y) -> float:
    return float(np.sqrt(np.mean((predict(model, X) - y) ** 2)))


variants = {  # name: (penalty on every kernel, AdamW's decay, dropout rate)
    "none": (None, None, 0.0),
    "L2 0.001": (keras.regularizers.L2(1e-3), None, 0.0),
    "L2 0.01": (keras.regularizers.L2(1e-2), None, 0.0),
    "AdamW decay 1": (None, 1.0, 0.0),
    "AdamW decay 10": (None, 10.0, 0.0),
    "L1 0.001": (keras.regularizers.L1(1e-3), None, 0.0),
    "dropout 0.2": (None, None, 0.2),
    "dropout 0.5": (None, None, 0.5),
}
results, kernels = {}, {}
print(f"\n{'variant':<15} {'train RMSE':>10} {'val RMSE':>9} {'first-layer |w| < 0.001':>24} {'inputs used':>12}")
for name, (penalty, decay, rate) in variants.items():
    coursekit.set_seed(args.seed)
    model = network(penalty, rate=rate)
    if decay is None:
        optimizer = keras.optimizers.Adam(1e-3)
    else:
        optimizer = keras.optimizers.AdamW(1e-3, weight_decay=decay)
        optimizer.exclude_from_weight_decay(var_names=["bias"])
    model.compile(optimizer=optimizer, loss="mse")
    fast_compile(model)
    fast_fit(model, houses.X_train, houses.y_train, None, None, epochs=30, batch_size=128, seed=args.seed)
    W = np.asarray(model.layers[0].kernel)
    importance = np.abs(W).mean(axis=1)
    used = int(np.sum(importance > 0.1 * importance.max()))  # inputs whose weights are not negligible
    kernels[name] = W.ravel()
    results[name] = (rmse(model, houses.X_train, houses.y_train), rmse(model, houses.X_val, houses.y_val),
                     float(np.mean(np.abs(W) < 1e-3)), used)
    print(f"{name:<15} {results[name][0]:>10.3f} {results[name][1]:>9.3f} {results[name][2]:>24.2f} {used:>12}")

steps = int(model.optimizer.iterations)
print(f"\ndecay alone over the {steps} steps at learning rate 0.001 would leave of a weight's size: " + ", ".join(
    f"{decay:g} -> {(1 - 1e-3 * decay) ** steps:.3f}" for decay in (0.004, 1.0, 10.0)) + " (0.004: Keras's default)")

# %% [markdown]
# ## The figure
#
# Left: training and validation RMSE of each variant (one seed: differences of a few thousandths
# between variants are within what another seed changes). Right: the first layer's 261 x 128
# weights, on a log count scale.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12.5, 4.4))
names = list(results)
pos = np.arange(len(names))
axes[0].barh(pos + 0.2, [results[k][0] for k in names], height=0.4, color="tab:gray", label="training")
axes[0].barh(pos - 0.2, [results[k][1] for k in names], height=0.4, color="tab:blue", label="validation")
axes[0].set_yticks(pos, names)
axes[0].invert_yaxis()
axes[0].set_xlabel("RMSE of the log price after 30 epochs")
axes[0].set_title(f"Ames: {len(houses.X_train):,} training sales, {n} inputs")
axes[0].legend()
bins = np.linspace(-0.3, 0.3, 121)
for name, color in [("none", "tab:gray"), ("L2 0.01", "tab:blue"), ("AdamW decay 10", "tab:green"), ("L1 0.001", "tab:red")]:
    axes[1].hist(kernels[name], bins=bins, histtype="step", linewidth=1.5, color=color, label=name)
axes[1].set_yscale("log")
axes[1].set_xlabel("first-layer weight")
axes[1].set_ylabel("count (log scale)")
axes[1].set_title("where the first layer's weights end up")
axes[1].legend(fontsize=8)
coursekit.save_figure(fig, "regularisers")
