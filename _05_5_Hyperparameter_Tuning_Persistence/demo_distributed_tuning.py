# %% [markdown]
# # Tuning on many processes: an Optuna study on a PostgreSQL server, a worker killed mid-trial, a journal file
#
# A search that outgrows one process runs as several worker processes -- on one machine or on many --
# that share one study in a database server. This demo starts a PostgreSQL server of its own (a
# temporary folder, a free port on 127.0.0.1; stopped and removed at the end), creates a study there,
# and starts three worker processes (`optuna_worker.py`), each with its own Python and its own
# TensorFlow, as separate machines would have. They tune the housing network of the tuning benchmark
# (4 epochs a trial) until the study holds 6 completed trials. One of them is killed (SIGKILL) in the
# middle of a trial: its heartbeat stops, another worker marks the trial failed and runs it again.
# Last, the study is copied into a journal file: Optuna's storage for a cluster with a shared disk and
# no database server.
#
# Run it as a script, `python demo_distributed_tuning.py` (or `course run 5.5 distributed_tuning`), or
# as a notebook: `course notebook 5.5`. It needs the PostgreSQL server programs (`apt-get install
# postgresql`); the course's CI installs them.

# %%
import coursekit  # first: quiet TensorFlow, headless figures

args = coursekit.demo("5.5")  # --seed and --figures from a shell; the defaults in a notebook

import tempfile
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import optuna

import _lesson55
from coursekit import distributed

# %% [markdown]
# ## A PostgreSQL server of our own
#
# `distributed.start_postgres()` runs `initdb` into a new temporary folder and starts `postgres` on
# 127.0.0.1 at a free port, with one database. On a cluster the server runs on a machine of its own
# and every worker reaches it by its address; the URL is the only thing that changes.

# %%
reason = distributed.why_no_postgres()
if reason:
    raise SystemExit(f"demo_distributed_tuning: {reason}")
server = distributed.start_postgres()  # stopped, and its folder removed, in the last cell or at exit
print(f"a PostgreSQL server started in ~{server.seconds_to_start:.1f} s; the study's URL: {server.url}")
optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)  # heartbeat and retry: experimental

# %% [markdown]
# ## One study, created once
#
# On one machine a file is enough: `optuna.create_study(storage="sqlite:///studies.db", ...)`. For
# workers on many machines the one change is the storage's URL: a database server's. The workers
# then open the study by name; each runs `optuna_worker.py --storage URL --study housing`. A worker's
# storage is an `RDBStorage` with a heartbeat (`_lesson55.study_storage`): every second, while a
# trial runs, its worker writes that it is alive.

# %%
study = optuna.create_study(storage=server.url, study_name="housing", direction="minimize")
print(f"study 'housing' created in {server.url.split('@')[0]}@...; a worker's storage: "
      f"RDBStorage(URL, heartbeat_interval={_lesson55.HEARTBEAT_SECONDS}, grace_period={_lesson55.GRACE_SECONDS}, "
      "heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=2))")

# %% [markdown]
# ## Three workers, one killed
#
# Each worker asks the study for a trial, trains it and stores the score, until the study holds 6
# completed trials. Worker 3 is killed half a second after its first trial starts. Nothing tells the
# database; the trial stays RUNNING until its heartbeat is older than the grace period. The next
# worker that asks for a trial then marks it FAIL, and `RetryHeartbeatStaleTrialCallback` queues a
# copy with the same parameters, which the next free worker takes first.

# %%
t0 = time.time()
workers = _lesson55.start_optuna_workers(args.folder, server.url, "housing", n=3, trials=6, epochs=4, seed=args.seed,
                                         kill=(3, 1))
codes = distributed.wait_all(workers)
wall = time.time() - t0
for worker, code in zip(workers, codes):
    print(f"--- {worker.name} printed (exit code {code}{', killed with SIGKILL' if worker.killed_at else ''}):")
    print("\n".join(worker.lines))
print(f"~{wall:.0f} s from starting the workers to the last one's exit")

# %% [markdown]
# ## What the study holds
#
# The trial of the killed worker is FAIL, its copy COMPLETE (Optuna records which trial it retries),
# and no trial is left RUNNING or WAITING. Every worker stops once the study holds 6 completed
# trials; the trials still running then end too, so a study of three workers may hold one or two more.

# %%
study = optuna.load_study(study_name="housing", storage=server.url)
states = {state.name: len(study.get_trials(states=(state,))) for state in optuna.trial.TrialState}
print(f"trials by state: {states}")
for failed in study.get_trials(states=(optuna.trial.TrialState.FAIL,)):
    retries = [t for t in study.trials
               if optuna.storages.RetryHeartbeatStaleTrialCallback.retried_trial_number(t) == failed.number]
    for retry in retries:
        print(f"trial {failed.number} ({failed.user_attrs['worker']}, killed) is FAIL; trial {retry.number} retried it "
              f"with the same parameters ({retry.params == failed.params}), on {retry.user_attrs['worker']}: "
              f"{retry.state.name}, validation RMSE {retry.value:.4f}")
per_worker = {w.name: sum(t.user_attrs.get("worker") == w.name for t in study.get_trials(
    states=(optuna.trial.TrialState.COMPLETE,))) for w in workers}
print(f"completed trials per worker: {per_worker}")
print(f"best validation RMSE ~{study.best_value:.3f} (trial {study.best_trial.number}, {study.best_trial.user_attrs['worker']})")

# %% [markdown]
# ## Without a server: the journal file
#
# A cluster with a shared disk (NFS) and no database can keep the study in a file: Optuna's
# `JournalStorage` appends every operation (a trial created, a parameter drawn, a value stored) as one
# line of JSON, under a file lock, and loading the study replays them. The workers' one change is the
# storage: `optuna_worker.py --storage /shared/housing.log` instead of the URL
# (`JournalStorage(JournalFileBackend(path))`). Here the finished study is copied into such a file;
# `tests/test_distributed_tuning.py` runs the three workers on one. The journal has no heartbeat: a
# trial whose worker dies stays RUNNING there, and nobody retries it.

# %%
folder = tempfile.TemporaryDirectory(prefix="course_journal_")  # on a cluster: a folder of the shared disk
journal = str(Path(folder.name) / "housing.log")
optuna.copy_study(from_study_name="housing", from_storage=server.url, to_storage=_lesson55.study_storage(journal))
copy = optuna.load_study(study_name="housing", storage=_lesson55.study_storage(journal))
print(f"the journal file holds {len(copy.trials)} trials in {len(Path(journal).read_text().splitlines())} lines, "
      f"the same best value as the server: {copy.best_value == study.best_value}")
print("its first line:", Path(journal).read_text().splitlines()[0][:100], "...")
folder.cleanup()

# %% [markdown]
# ## The figure, and the server stopped
#
# Each worker's trials in time, from the lines it printed: the killed trial in red, its retry in green.

# %%
spans = _lesson55.trial_spans(workers, t0)
fig, ax = plt.subplots(figsize=(10, 2.8))
_lesson55.plot_trials(ax, spans, [w.name for w in workers],
                      "Three workers, one PostgreSQL study: worker 3 killed mid-trial, its trial retried")
coursekit.save_figure(fig, "distributed_tuning")
server.stop()
