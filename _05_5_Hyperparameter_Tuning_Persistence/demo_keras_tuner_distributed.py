# %% [markdown]
# # Keras Tuner's own distributed mode: a chief and two workers
#
# Keras Tuner needs no database to run on many machines: one process, the chief, holds the oracle
# (the search algorithm and the results) and serves it over gRPC; every worker asks it for a trial,
# trains the model and reports the score. Which role a process plays is set by three environment
# variables, so every process runs the same script (`keras_tuner_worker.py`, the churn cost hypermodel
# of `demo_keras_tuner.py`). This demo starts a chief and two workers on the loopback interface.
#
# Run it as a script, `python demo_keras_tuner_distributed.py` (or `course run 5.5
# keras_tuner_distributed`), or as a notebook: `course notebook 5.5`.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.5")  # --seed and --figures from a shell; the defaults in a notebook

import json
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt

import _lesson55
from coursekit import distributed

# %% [markdown]
# ## Three processes, three environments
#
# `KERASTUNER_TUNER_ID` is `chief` for the chief and a name of its own for each worker;
# `KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT` say where the chief serves (here 127.0.0.1 and
# a free port; on a cluster, the chief machine's address). Each process has a folder of its own; the
# chief's holds the results.

# %%
port = distributed.free_port()
folder = tempfile.TemporaryDirectory(prefix="course_keras_tuner_cluster_")  # removed in the last cell


def start(role: str):
    env = {"KERASTUNER_TUNER_ID": role, "KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_ORACLE_PORT": str(port)}
    print(" ".join(f"{k}={v}" for k, v in env.items()), f"python keras_tuner_worker.py --directory {role}/")
    return distributed.start_worker(role, [str(args.folder / "keras_tuner_worker.py"), "--directory",
                                           str(Path(folder.name) / role), "--trials", "6",
                                           "--seed", str(1000 * args.seed + 1)],
                                    env=distributed.worker_env(env), cwd=args.folder)


t0 = time.time()
chief = start("chief")
workers = [start("tuner0"), start("tuner1")]

# %% [markdown]
# ## What the workers print
#
# Each worker runs trials until the chief answers that the search (6 trials) is over. Keras Tuner
# 1.4.8 also prints `True` whenever it sends a conditional hyperparameter over gRPC (a leftover
# `print` in `keras_tuner/src/engine/conditions.py`); those lines are counted here, not shown.

# %%
codes = distributed.wait_all(workers)
finished = time.time() - t0
for worker, code in zip(workers, codes):
    noise = sum(line == "True" for line in worker.lines)
    print(f"--- {worker.name} printed (exit code {code}; {noise} lines 'True' not shown):")
    print("\n".join(line for line in worker.lines if line != "True"))
print(f"~{finished:.0f} s from starting the three processes to the workers' exit")

# %% [markdown]
# ## The chief's results
#
# The chief saves each trial when its worker reports it (`trial_*/trial.json` in its folder), so its
# results are complete as soon as the workers are done. The chief process itself lingers: once it has
# told a worker to stop while another still runs a trial, Keras Tuner's chief sleeps 20 s before it
# looks again whether everyone is done (`keras_tuner/src/distribute/oracle_chief.py`). The demo does not
# wait for it and stops it; `tests/test_distributed_tuning.py` waits, and sees it exit by itself.

# %%
results = Path(folder.name) / "chief" / "churn"
trials = {t["trial_id"]: t for t in (json.loads(p.read_text()) for p in results.glob("trial_*/trial.json"))}
reported = {}
for worker in workers:
    for line in worker.lines:
        if " ends: validation cost " in line:
            trial_id = line.split("trial ")[1].split(" ")[0]
            reported[trial_id] = (worker.name, float(line.rsplit(" ", 1)[1]))
by_worker = {w.name: sorted(t for t, (name, _) in reported.items() if name == w.name) for w in workers}
same = all(abs(trials[t]["score"] - cost) < 1e-4 for t, (_, cost) in reported.items())
print(f"the chief holds {len(trials)} trials, all {set(t['status'] for t in trials.values())}; "
      f"run by {by_worker}; every score the one its worker printed: {same}")
best = min(trials.values(), key=lambda t: t["score"])
print(f"lowest validation cost ~{best['score']:.3f} per customer (trial {best['trial_id']}, {reported[best['trial_id']][0]})")
chief.process.terminate()
chief.wait(timeout=30)

# %% [markdown]
# ## The figure
#
# Each worker's trials in time, from the lines it printed.

# %%
spans = _lesson55.trial_spans(workers, t0)
fig, ax = plt.subplots(figsize=(10, 2.2))
_lesson55.plot_trials(ax, spans, [w.name for w in workers], "Keras Tuner: two workers, one chief (the oracle)")
coursekit.save_figure(fig, "keras_tuner_distributed")
folder.cleanup()
