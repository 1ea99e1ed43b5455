# %% [markdown]
# # How sure is a metric? Bootstrap intervals of the test AUC, and the spread over seeds
#
# The test split has 1,409 customers; another 1,409 would give another AUC. `scipy.stats.bootstrap`
# resamples the test customers with replacement and gives a percentile interval for the network's
# test ROC AUC and -- resampling both models' scores TOGETHER (`paired=True`) -- for the difference
# between the network and the logistic regression. That interval covers one source of doubt, which
# customers happened to land in the test split, for one trained network. A second source is the
# training itself: the same network trained with another seed. The demo trains it with seeds 0-4
# and sets that spread beside the intervals.
#
# Run it as a script, `python demo_uncertainty.py` (or `course run 5.4 uncertainty`), or as a
# notebook: `course notebook 5.4`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.4")  # --seed and --figures from a shell; the defaults in a notebook

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import bootstrap, rankdata
from sklearn.metrics import roc_auc_score

from _models_5_4 import churn, churn_mlp, logistic

# %% [markdown]
# ## The network (seed 0) and the baseline on the test split

# %%
coursekit.set_seed(args.seed)
y = churn().y_test.astype(int)
p_mlp, p_lr = churn_mlp(args.seed).p_test, logistic()[1]


def auc(labels, scores, axis=-1):
    """ROC AUC along ``axis`` (vectorised for scipy): the probability that a churner outranks a non-churner."""
    labels, scores = np.moveaxis(labels, axis, -1), np.moveaxis(scores, axis, -1)
    n_pos = labels.sum(axis=-1)
    ranks = rankdata(scores, axis=-1)
    return ((ranks * labels).sum(axis=-1) - n_pos * (n_pos + 1) / 2) / (n_pos * (labels.shape[-1] - n_pos))


def difference(labels, a, b, axis=-1):
    return auc(labels, a, axis) - auc(labels, b, axis)


# %% [markdown]
# ## Bootstrap intervals: one model, and the paired difference

# %%
rng = np.random.default_rng(args.seed)
settings = dict(paired=True, vectorized=True, n_resamples=2000, batch=200, method="percentile", rng=rng)
one = bootstrap((y, p_mlp), auc, **settings)
pair = bootstrap((y, p_mlp, p_lr), difference, **settings)
print(f"test customers: {len(y):,}")
print(f"test ROC AUC: MLP {roc_auc_score(y, p_mlp):.3f}, logistic regression {roc_auc_score(y, p_lr):.3f}")
print(f"MLP test AUC, 95% bootstrap interval [{one.confidence_interval.low:.3f}, {one.confidence_interval.high:.3f}] "
      f"(2,000 resamples of {len(y):,} customers)")
print(f"MLP - logistic, paired 95% interval [{pair.confidence_interval.low:+.4f}, {pair.confidence_interval.high:+.4f}] "
      f"around {difference(y, p_mlp, p_lr):+.4f}")
unpaired = one.bootstrap_distribution - bootstrap((y, p_lr), auc, **settings).bootstrap_distribution
print(f"the same difference with the two models resampled apart: "
      f"[{np.percentile(unpaired, 2.5):+.4f}, {np.percentile(unpaired, 97.5):+.4f}]")

# %% [markdown]
# ## The spread over training seeds
#
# Each seed changes the initial weights and the order of the batches, not the split.

# %%
seeds = range(5)
seed_auc = np.array([roc_auc_score(y, churn_mlp(s).p_test) for s in seeds])
seed_diff = seed_auc - roc_auc_score(y, p_lr)
print(f"MLP test AUC over seeds 0-4: {', '.join(f'{a:.3f}' for a in seed_auc)} "
      f"(range {seed_auc.max() - seed_auc.min():.3f}; the bootstrap interval is "
      f"{one.confidence_interval.high - one.confidence_interval.low:.3f} wide)")
print(f"MLP - logistic over seeds 0-4: {', '.join(f'{d:+.4f}' for d in seed_diff)} "
      f"(the paired interval of seed {args.seed} is {pair.confidence_interval.high - pair.confidence_interval.low:.4f} wide)")
below = -seed_diff[seed_diff < 0]
print(f"the MLP scores below the logistic regression with {len(below)} of {len(seed_diff)} seeds"
      + (f", by {below.min():.4f} to {below.max():.4f}" if len(below) else ""))

fig, (ax_one, ax_pair) = plt.subplots(1, 2, figsize=(10.5, 4))
ax_one.hist(one.bootstrap_distribution, bins=40, alpha=0.6, label=f"bootstrap, seed {args.seed}")
edges = np.linspace(unpaired.min(), unpaired.max(), 80)
ax_pair.hist(unpaired, bins=edges, alpha=0.4, color="tab:orange", label="the two models resampled apart")
ax_pair.hist(pair.bootstrap_distribution, bins=edges, alpha=0.8, color="tab:blue", label="paired bootstrap")
for ax, values, interval in [(ax_one, seed_auc, one.confidence_interval), (ax_pair, seed_diff, pair.confidence_interval)]:
    for edge in interval:
        ax.axvline(edge, color="k", ls="--", lw=1)
    ax.plot(values, np.zeros_like(values), "rv", ms=9, label="seeds 0-4 (trained again)")
    ax.legend(fontsize=8)
ax_one.set(xlabel="MLP test ROC AUC", ylabel="resamples", title="One model: test customers vs seeds")
ax_pair.set(xlabel="test AUC, MLP - logistic regression", title="The difference between two models")
coursekit.save_figure(fig, "churn_bootstrap_auc")
