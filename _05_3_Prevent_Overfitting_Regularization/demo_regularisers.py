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
# Before that, two checks: with plain SGD an L2 penalty of strength `l2` and a decoupled decay of
# `2 * l2` are the same update, with Adam they are not; and what a Dropout layer does to its
# inputs in training and at inference.
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
# ## The regularisers compared
#
# Now the comparison, 30 epochs each from the same start. The errors are measured from the
# predictions (RMSE of the log price, dropout off), so no penalty term is in them.


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
