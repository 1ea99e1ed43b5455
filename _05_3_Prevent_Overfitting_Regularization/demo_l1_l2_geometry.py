# %% [markdown]
# # Why L1 gives exact zeros and L2 does not: the diamond, the circle and the loss contours
#
# A problem with two weights, small enough to draw: a quadratic loss whose best weights, without
# a penalty, are `w* = (1.5, 0.5)`, with correlated inputs so that its contours are tilted
# ellipses. Adding a penalty `strength * |w|_1` (L1) or `strength * |w|_2^2` (L2) to the loss gives
# the same answer as minimising the loss alone inside a ball: a diamond for L1, a circle for L2,
# whose size the strength sets. The answer is where the smallest loss contour touches the ball.
# The diamond has corners on the axes, and the contour usually touches it there, where one
# weight is exactly 0; the circle has no corners.
#
# Three panels: the geometry at one strength; every weight as the strength grows (the paths);
# and what an optimizer that steps on the loss's gradient (SGD, Adam) does with L1, against a
# solver that thresholds. Everything is computed in float64 with NumPy, no training noise.
#
# Run it as a script, `python demo_l1_l2_geometry.py` (or `course run 5.3 l1_l2_geometry`), or as a
# notebook: `course notebook 5.3`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.3")  # --seed and --figures from a shell; the defaults in a notebook

import matplotlib.pyplot as plt
import numpy as np

# %% [markdown]
# ## The loss and the two penalised solutions
#
# The loss is `0.5 * (w - w*)' H (w - w*)`. The L2 solution has a closed form, `(H + 2 s I)^-1 H w*`
# for strength `s`. The L1 solution comes from proximal gradient steps (ISTA): a gradient step on
# the loss, then every weight moved `s * step` towards 0 and set to exactly 0 if it would cross
# it (soft thresholding, what scikit-learn's `Lasso` does one coordinate at a time).

# %%
H = np.array([[1.0, 0.3], [0.3, 0.5]])
W_STAR = np.array([1.5, 0.5])
STRENGTH = 0.5


def loss(w: np.ndarray) -> np.ndarray:
    d = w - W_STAR
    return 0.5 * np.einsum("...i,ij,...j->...", d, H, d)


def gradient(w: np.ndarray) -> np.ndarray:
    return H @ (w - W_STAR)


def soft_threshold(z: np.ndarray, t: float) -> np.ndarray:
    return np.sign(z) * np.maximum(np.abs(z) - t, 0.0)


def l1_solution(strength: float, steps: int = 5000) -> np.ndarray:
    step = 1.0 / np.linalg.eigvalsh(H).max()
    w = np.zeros(2)
    for _ in range(steps):
        w = soft_threshold(w - step * gradient(w), strength * step)
    return w


def l2_solution(strength: float) -> np.ndarray:
    return np.linalg.solve(H + 2 * strength * np.eye(2), H @ W_STAR)


w1, w2 = l1_solution(STRENGTH), l2_solution(STRENGTH)
print(f"no penalty: w = ({W_STAR[0]:.2f}, {W_STAR[1]:.2f})")
print(f"strength {STRENGTH}: L1 w = ({w1[0]:.3f}, {w1[1]:.3f}), second weight exactly zero: {w1[1] == 0.0}; "
      f"L2 w = ({w2[0]:.3f}, {w2[1]:.3f})")

# %% [markdown]
# ## The paths: every weight as the strength grows
#
# L1 sets the second weight to exactly 0 from a finite strength on (it is where the loss's slope
# for that weight, at the solution, is no larger than the strength) and the first one later. L2
# shrinks both smoothly: the penalty's pull, `2 * s * w`, fades as a weight nears 0, so it never
# gets there.

# %%
strengths = np.linspace(0.0, 2.0, 201)
l1_path = np.array([l1_solution(s, steps=2000) for s in strengths])
l2_path = np.array([l2_solution(s) for s in strengths])
# where the second weight reaches 0 under L1, in closed form: w* and H give it
zero_from = W_STAR[1] * np.linalg.det(H) / (H[0, 0] - H[0, 1])
print(f"L1: second weight exactly 0 from strength {zero_from:.3f} on "
      f"(path: {int(np.sum(l1_path[:, 1] == 0.0))} of {len(strengths)} strengths); "
      f"L2: weights exactly 0 on the path: {int(np.sum(l2_path == 0.0))}")

# %% [markdown]
# ## Gradient steps vs thresholding
#
# SGD and Adam do not threshold: with an L1 penalty in the loss they step along its gradient,
# `s * sign(w)`, which does not shrink as the weight nears 0. A weight whose best value is 0
# overshoots it and jitters around it, at about the size of the step. The same 400 steps of size
# `0.05` from `w*`, with the gradient of the penalised loss, and with the proximal step.

# %%
STEP, STEPS = 0.05, 400
trajectories = {}
for name in ("gradient steps on loss + L1", "proximal steps (threshold)"):
    w = W_STAR.copy()
    second = []
    for _ in range(STEPS):
        if name.startswith("gradient"):
            w = w - STEP * (gradient(w) + STRENGTH * np.sign(w))
        else:
            w = soft_threshold(w - STEP * gradient(w), STEP * STRENGTH)
        second.append(w[1])
    trajectories[name] = np.array(second)
    last = trajectories[name][-100:]
    print(f"{name:<28}: last 100 steps, largest |second weight| {np.abs(last).max():.4f}, "
          f"steps at exactly 0: {int(np.sum(last == 0.0))}")

# %% [markdown]
# ## The figure
#
# Left: loss contours, the L1 diamond and the L2 circle sized to each solution, and the contour
# through each solution (it touches the ball there). Middle: the paths. Right: the second weight
# under the two kinds of step (symmetric log scale, so 0 is visible).

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
ax = axes[0]
g = np.linspace(-1.6, 2.4, 400)
G1, G2 = np.meshgrid(g, g)
grid = np.stack([G1, G2], axis=-1)
ax.contour(G1, G2, loss(grid), levels=np.linspace(0.02, 2.0, 12), colors="lightgray", linewidths=0.8)
t = np.abs(w1).sum()
ax.fill([t, 0, -t, 0], [0, t, 0, -t], color="tab:red", alpha=0.15)
ax.plot([t, 0, -t, 0, t], [0, t, 0, -t, 0], color="tab:red", label="L1 ball (diamond)")
r = np.linalg.norm(w2)
angle = np.linspace(0, 2 * np.pi, 200)
ax.fill(r * np.cos(angle), r * np.sin(angle), color="tab:blue", alpha=0.12)
ax.plot(r * np.cos(angle), r * np.sin(angle), color="tab:blue", label="L2 ball (circle)")
ax.contour(G1, G2, loss(grid), levels=[loss(w1)], colors="tab:red", linestyles="--", linewidths=1)
ax.contour(G1, G2, loss(grid), levels=[loss(w2)], colors="tab:blue", linestyles="--", linewidths=1)
ax.plot(*W_STAR, "k*", markersize=12, label="no penalty")
ax.plot(*w1, "o", color="tab:red", label=f"L1: ({w1[0]:.2f}, {w1[1]:.0f})")
ax.plot(*w2, "o", color="tab:blue", label=f"L2: ({w2[0]:.2f}, {w2[1]:.2f})")
ax.axhline(0, color="black", linewidth=0.6)
ax.axvline(0, color="black", linewidth=0.6)
ax.set_aspect("equal")
ax.set_xlim(-1.6, 2.4)
ax.set_ylim(-1.6, 2.0)
ax.set_xlabel("first weight")
ax.set_ylabel("second weight")
ax.set_title(f"penalty strength {STRENGTH}: the contour meets\nthe diamond at a corner, the circle off the axes")
ax.legend(fontsize=7, loc="lower left")

ax = axes[1]
for k, style in [(0, "-"), (1, "--")]:
    ax.plot(strengths, l1_path[:, k], style, color="tab:red", label=f"L1, weight {k + 1}")
    ax.plot(strengths, l2_path[:, k], style, color="tab:blue", label=f"L2, weight {k + 1}")
ax.axvline(zero_from, color="tab:red", linewidth=0.6, linestyle=":")
ax.axhline(0, color="black", linewidth=0.6)
ax.set_xlabel("penalty strength")
ax.set_ylabel("weight at the solution")
ax.set_title("L1 sets weights to exactly 0 one by one;\nL2 shrinks them, never to 0")
ax.legend(fontsize=7)

ax = axes[2]
for (name, second), color in zip(trajectories.items(), ["tab:orange", "tab:red"]):
    ax.plot(np.arange(1, STEPS + 1), second, color=color, linewidth=0.8, label=name)
ax.set_yscale("symlog", linthresh=1e-3)
ax.set_xlabel("step")
ax.set_ylabel("second weight (symmetric log scale)")
ax.set_title(f"L1 at strength {STRENGTH}, step {STEP}: gradient steps\njitter around 0, thresholding lands on it")
ax.legend(fontsize=7)
for a in axes:
    a.grid(alpha=0.3)
fig.tight_layout()
coursekit.save_figure(fig, "l1_l2_geometry")
