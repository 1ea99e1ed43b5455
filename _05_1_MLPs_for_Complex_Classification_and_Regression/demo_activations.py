# %% [markdown]
# # Activation functions and their gradients
#
# What it shows: ReLU, sigmoid and tanh, and the newer LeakyReLU, ELU, SELU, GELU and swish,
# computed with Keras's own activation functions, beside their derivatives (by automatic
# differentiation). Sigmoid's derivative never exceeds 0.25 and vanishes for large |x|: stacked
# sigmoid layers multiply these small factors, which is why hidden layers use ReLU and its kin.
#
# Run it as a script, `python demo_activations.py` (or `course run 5.1 activations`), or as a
# notebook: `course notebook 5.1`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.1")  # --seed and --figures from a shell; the defaults in a notebook

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

# %% [markdown]
# ## The functions
#
# A grid of x from -5 to 5, and the eight activation functions, Keras's own.

# %%
x = tf.constant(np.linspace(-5, 5, 401), dtype=tf.float32)
functions = {
    "relu": keras.activations.relu,
    "sigmoid": keras.activations.sigmoid,
    "tanh": keras.activations.tanh,
    "leaky_relu": lambda z: keras.activations.leaky_relu(z, negative_slope=0.1),
    "elu": keras.activations.elu,
    "selu": keras.activations.selu,
    "gelu": keras.activations.gelu,
    "swish": keras.activations.silu,
}

# %% [markdown]
# ## Values and derivatives
#
# `tf.GradientTape` differentiates each function at every x.

# %%
at_4 = int(np.argmin(np.abs(x.numpy() - 4.0)))  # the index of x = 4
values, grads = {}, {}
for name, f in functions.items():
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    values[name], grads[name] = y.numpy(), tape.gradient(y, x).numpy()
    print(f"{name:>10}: largest derivative on the grid {grads[name].max():.3f}, derivative at x=4: {grads[name][at_4]:.4f}")

# %% [markdown]
# ## SELU at 0
#
# SELU's derivative jumps at 0: scale * alpha just left of 0, scale just right of it. A grid that
# steps over 0 misses the left limit, so compute it where it is.

# %%
near_zero = tf.constant([-1e-6, 1e-6], dtype=tf.float32)
with tf.GradientTape() as tape:
    tape.watch(near_zero)
    y = keras.activations.selu(near_zero)
left, right = tape.gradient(y, near_zero).numpy()
print(f"selu: derivative just left of 0 {left:.4f} (its largest), just right of 0 {right:.4f}")

# %% [markdown]
# ## The figure
#
# Each activation beside its derivative.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for name in functions:
    style = "-" if name in ("relu", "sigmoid", "tanh") else "--"
    axes[0].plot(x.numpy(), values[name], style, label=name)
    axes[1].plot(x.numpy(), grads[name], style, label=name)
axes[0].set_title("activation f(x)")
axes[1].set_title("derivative f'(x)")
for ax in axes:
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set_xlabel("x")
axes[0].set_ylim(-2, 5)
axes[1].legend(fontsize=8)
coursekit.save_figure(fig, "activations")
