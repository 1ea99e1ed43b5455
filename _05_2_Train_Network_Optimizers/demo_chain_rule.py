# %% [markdown]
# # The chain rule's product: why gradients vanish or explode with depth
#
# Back-propagation through one Dense layer multiplies the gradient by the layer's weights
# (transposed) and by its activation's slope. Over ten layers these factors multiply. This demo
# does the backward pass by hand in NumPy, at initialisation, on 512 churn rows, for five designs
# of 10 hidden layers of 32 units: sigmoid with Glorot weights (Keras's default), sigmoid with
# weights 4 times larger (a scale matched to its slope of 0.25), tanh with Glorot, ReLU with He,
# and ReLU with weights twice He's (too large). For each layer it prints the weight scale, the
# activation slope and their product, and how much of the gradient reaches the first layer.
#
# It measures random weights before training only: it says nothing about how training goes.
#
# Run it as a script, `python demo_chain_rule.py` (or `course run 5.2 chain_rule`), or as a
# notebook: `course notebook 5.2`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.2")  # --seed and --figures from a shell; the defaults in a notebook

import matplotlib.pyplot as plt
import numpy as np

import data

# %% [markdown]
# ## Set-up
#
# 512 churn training rows, and the five designs: an activation, its derivative, and how the
# initial weights are drawn (Glorot uniform: limit sqrt(6 / (fan_in + fan_out)); He normal:
# standard deviation sqrt(2 / fan_in)). Biases start at 0, as in Keras.

# %%
churn = data.prepare_churn()
X, y = churn.X_train[:512].astype(np.float64), churn.y_train[:512].astype(np.float64).reshape(-1, 1)
DEPTH, WIDTH = 10, 32


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


ACTIVATIONS = {  # name: (f, f')
    "sigmoid": (sigmoid, lambda z: sigmoid(z) * (1.0 - sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
}


def glorot(rng, fan_in, fan_out, times=1.0):
    limit = times * np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def he(rng, fan_in, fan_out, times=1.0):
    return rng.normal(0.0, times * np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))


DESIGNS = {  # label: (activation, initializer, multiple of its scale)
    "sigmoid, Glorot": ("sigmoid", glorot, 1.0),
    "sigmoid, 4 x Glorot": ("sigmoid", glorot, 4.0),
    "tanh, Glorot": ("tanh", glorot, 1.0),
    "ReLU, He": ("relu", he, 1.0),
    "ReLU, 2 x He": ("relu", he, 2.0),
}

# %% [markdown]
# ## The backward pass by hand
#
# Forward: h_l = f(h_(l-1) W_l). The output is one sigmoid unit (Glorot) with the binary
# cross-entropy, so the gradient arriving at the last hidden layer is the one Keras would compute.
# Backward, layer by layer: g_(l-1) = (g_l * f'(z_l)) W_l^T -- the chain rule. Per layer, the norm of
# the gradient is multiplied by about (weight scale) x (activation slope), where the weight scale is
# sqrt(fan_in x mean(W^2)) (1 for Glorot on square layers, sqrt(2) for He) and the slope is the RMS of
# f'(z) weighted by the incoming gradient, ||g * f'(z)|| / ||g||.

# %%
results = {}
for label, (act, init, times) in DESIGNS.items():
    f, df = ACTIVATIONS[act]
    rng = np.random.default_rng(args.seed)
    weights, pre, h = [], [], X
    for fan_in in [X.shape[1]] + [WIDTH] * (DEPTH - 1):
        W = init(rng, fan_in, WIDTH, times)
        z = h @ W
        weights.append(W)
        pre.append(z)
        h = f(z)
    w_out = glorot(rng, WIDTH, 1)
    p = sigmoid(h @ w_out)
    g = (p - y) / len(X) @ w_out.T  # d loss / d h_DEPTH for the mean binary cross-entropy
    norms, scales, slopes = [np.linalg.norm(g)], [], []
    for W, z in zip(weights[::-1], pre[::-1]):  # from the last hidden layer back to the first
        gz = g * df(z)
        scales.append(np.sqrt(W.shape[0] * np.mean(W**2)))
        slopes.append(np.linalg.norm(gz) / np.linalg.norm(g))
        g = gz @ W.T
        norms.append(np.linalg.norm(g))
    norms = np.array(norms[:DEPTH][::-1])  # ||d loss / d h_l|| for l = 1 .. DEPTH
    scale, slope = float(np.mean(scales[:-1])), float(np.exp(np.mean(np.log(slopes[:-1]))))
    measured = float((norms[0] / norms[-1]) ** (1 / (DEPTH - 1)))
    results[label] = (norms, scale, slope, measured)
    print(f"{label:<20} per layer: weight scale {scale:.2f} x slope {slope:.3f} = {scale * slope:.3f} "
          f"(measured {measured:.3f}); layer 1 receives {norms[0] / norms[-1]:.1e} of layer {DEPTH}'s gradient")

# %% [markdown]
# ## The figure
#
# Left: the gradient reaching each hidden layer, relative to the last one, on a log scale; the
# dashed line of each colour is (weight scale x slope) ** (10 - l), the product the chain rule
# predicts. Right: the two factors and their product for each design; the product is 1 on the
# dotted line, where the gradient neither shrinks nor grows.

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.4), gridspec_kw={"width_ratios": [1.2, 1]})
layers = np.arange(1, DEPTH + 1)
for (label, (norms, scale, slope, _)), color in zip(results.items(), plt.cm.tab10.colors):
    left.semilogy(layers, norms / norms[-1], "o-", ms=4, color=color, label=label)
    left.semilogy(layers, (scale * slope) ** (DEPTH - layers), "--", lw=1, color=color)
left.set_xlabel("hidden layer (1 = input side)")
left.set_ylabel(f"||d loss / d h_l|| / ||d loss / d h_{DEPTH}||")
left.set_title("The gradient reaching each layer (dashed: the product of per-layer factors)", fontsize=10)
left.legend(fontsize=8)
left.grid(alpha=0.3, which="both")

x = np.arange(len(results))
width = 0.27
scales = [r[1] for r in results.values()]
slopes = [r[2] for r in results.values()]
right.bar(x - width, scales, width, label="weight scale", color="tab:gray")
right.bar(x, slopes, width, label="activation slope", color="tab:orange")
right.bar(x + width, [a * b for a, b in zip(scales, slopes)], width, label="product: factor per layer", color="tab:blue")
right.axhline(1.0, color="black", ls=":", lw=1)
right.set_yscale("log")
right.set_ylim(0.1, 5)
right.set_yticks([0.1, 0.2, 0.5, 1, 2, 4], ["0.1", "0.2", "0.5", "1", "2", "4"])
right.minorticks_off()
right.set_xticks(x, list(results), rotation=20, fontsize=8)
right.set_title("Per-layer factor = weight scale x activation slope", fontsize=10)
right.legend(fontsize=8)
right.grid(alpha=0.3, axis="y", which="both")
fig.tight_layout()
coursekit.save_figure(fig, "chain_rule_product")
