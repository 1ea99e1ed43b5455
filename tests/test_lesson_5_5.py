"""Rubric of lesson 5.5: hyperparameter tuning and model persistence.

Each ``grade_5_5_K`` holds that exercise's targets. Each target comes from the solution's
measured spread over seeds 0-4 (the comment above it gives the numbers) with a margin, and
the wrong answers at the bottom show that the rubric rejects them. The searches are tiny on
purpose (2 folds or one hold-out split, 10-15 epochs, 3-12 networks): the checks are about the
method -- fits counted, budgets kept, seeds replayed, artifacts reloaded -- more than the score.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from rubric import Verdict, exercise_params

GRID_DIALS = {"reg__model__learning_rate", "reg__model__hidden_layers", "reg__model__neurons", "reg__batch_size"}
CHURN_COLUMNS = sorted([
    "female", "senior_citizen", "partner", "dependents", "phone_service", "paperless_billing",
    "tenure", "monthly_charges", "total_charges", "multiple_lines", "internet_service", "online_security",
    "online_backup", "device_protection", "tech_support", "streaming_tv", "streaming_movies", "contract",
    "payment_method",
])


# --------------------------------------------------------------------------- 5.5.1


def grade_5_5_1(r) -> Verdict:
    v = Verdict("5.5.1")
    if not v.has_keys(r, ["grid", "n_candidates", "n_fits_counted", "n_models_built", "full_grid_fits",
                          "cv_rmse", "test_rmse", "best_params"]):
        return v
    grid = r["grid"] if isinstance(r["grid"], dict) else {}
    v.equal("grid dials", sorted(grid), sorted(GRID_DIALS),
            "route all four dials to the regressor: reg__model__learning_rate, reg__model__hidden_layers, "
            "reg__model__neurons, reg__batch_size")
    v.equal("n_candidates", r["n_candidates"], 4, "2 learning rates x 2 depths x 1 width x 1 batch size = 4")
    rates = [float(x) for x in grid.get("reg__model__learning_rate", [])]
    v.check("learning rates on a log scale", len(rates) >= 2 and max(rates) / min(rates) >= 10, rates,
            "at least 10x apart", "rates matter by factors, not by differences: 0.003 and 0.03")
    v.check("count_fits matches models built", r["n_fits_counted"] == r["n_models_built"],
            f"counted {r['n_fits_counted']}, built {r['n_models_built']}", "equal",
            "candidates x folds, plus 1 for the refit of the best")
    v.equal("n_models_built", r["n_models_built"], 9, "4 candidates x 2 folds + 1 refit")
    v.equal("full_grid_fits", r["full_grid_fits"], 271, "FULL_GRID has 54 candidates; with 5 folds and a refit: 271")
    best = r["best_params"] if isinstance(r["best_params"], dict) else {}
    v.check("best parameters are a grid point", best and all(best.get(k) in grid.get(k, []) for k in grid), best,
            "one value of each grid list", "read search.best_params_ after the search")
    # Measured over seeds 0-4: cv RMSE 0.140-0.152, test RMSE 0.119-0.134 (log price; ridge CV 0.143).
    # A network that never trained (output stuck at the starting log price 12) scores about 0.40.
    v.at_most("cv_rmse", r["cv_rmse"], 0.18, "a learning rate that trains in 10 epochs (0.03) should win")
    v.at_most("test_rmse", r["test_rmse"], 0.18, "refit=True trains the best candidate on all training rows")
    return v


# --------------------------------------------------------------------------- 5.5.2


def check_log_uniform(v: Verdict, distribution, low: float = 1e-3, high: float = 1e-1) -> bool:
    """The learning rate's distribution itself, sampled by the rubric: log-uniform on [low, high] puts
    half of the draws below the geometric mean (0.01) and a uniform one about 9% (the few draws of a
    search cannot tell them apart, 4,000 can)."""
    try:
        draws = np.asarray(distribution.rvs(size=4000, random_state=np.random.RandomState(0)), dtype=float)
    except Exception as exc:  # noqa: BLE001 -- a list, None, or anything without rvs
        return v.check("learning rate distribution is log-uniform", False, f"{type(distribution).__name__}: {exc}"[:120],
                       "a scipy.stats distribution", "sample the rate from scipy.stats.loguniform(1e-3, 1e-1): a list is "
                       "sampled uniformly among its few values")
    inside = bool(np.all((draws >= low * (1 - 1e-9)) & (draws <= high * (1 + 1e-9))))
    below = float(np.mean(draws < np.sqrt(low * high)))
    return v.check("learning rate distribution is log-uniform", inside and 0.45 <= below <= 0.55,
                   f"{below:.2f} of 4,000 draws below {np.sqrt(low * high):g}", "0.45-0.55, all in [0.001, 0.1]",
                   "a uniform distribution on [0.001, 0.1] spends 90% of its draws above 0.01: sample the rate on a log "
                   "scale, scipy.stats.loguniform(1e-3, 1e-1)")


def grade_5_5_2(r) -> Verdict:
    from sklearn.model_selection import RandomizedSearchCV

    v = Verdict("5.5.2")
    if not v.has_keys(r, ["grid_fits", "random_fits", "grid_val_rmse", "random_val_rmse", "random_learning_rates",
                          "random_search"]):
        return v
    v.check("random search is a RandomizedSearchCV", isinstance(r["random_search"], RandomizedSearchCV),
            type(r["random_search"]).__name__, "RandomizedSearchCV", "make_random_search returns RandomizedSearchCV(...)")
    v.equal("grid_fits", r["grid_fits"], 9, "the given 3 x 3 grid on one hold-out split trains 9 networks")
    v.check("random fits <= grid fits / 3", 0 < r["random_fits"] * 3 <= r["grid_fits"],
            r["random_fits"], f"<= {r['grid_fits'] // 3}", "n_iter=3")
    rates = [float(x) for x in r["random_learning_rates"]]
    continuous = (len(set(rates)) == len(rates) and not set(rates) <= {0.001, 0.01, 0.1}
                  and all(1e-3 <= x <= 1e-1 for x in rates))
    v.check("learning rates sampled log-uniformly", continuous, [round(x, 5) for x in rates],
            "distinct values in [0.001, 0.1], not the grid's", "scipy.stats.loguniform(1e-3, 1e-1)")
    space = getattr(r["random_search"], "param_distributions", {}) or {}
    check_log_uniform(v, space.get("reg__model__learning_rate") if isinstance(space, dict) else None)
    # Measured over seeds 0-4: grid best 0.1345-0.1406, random best 0.1334-0.1400,
    # random - grid between -0.0072 and +0.0041; the grid's slowest rate alone (0.001) scores about 0.2.
    v.at_most("random - grid RMSE", r["random_val_rmse"] - r["grid_val_rmse"], 0.02,
              "sample the learning rate on a log scale across the grid's whole range")
    v.at_most("random_val_rmse", r["random_val_rmse"], 0.17, "sample the learning rate log-uniformly in [0.001, 0.1]")
    return v


# --------------------------------------------------------------------------- 5.5.3


def grade_5_5_3(r) -> Verdict:
    import optuna

    v = Verdict("5.5.3")
    if not v.has_keys(r, ["best_val_auc", "n_trials", "rerun_same_params", "rerun_max_auc_gap", "max_epochs_run", "study"]):
        return v
    study = r["study"]
    v.equal("n_trials", r["n_trials"], 6, "study.optimize(..., n_trials=N_TRIALS) with N_TRIALS = 6")
    v.check("study maximises", getattr(study, "direction", None) == optuna.study.StudyDirection.MAXIMIZE,
            getattr(study, "direction", None), "MAXIMIZE", "create_study(direction='maximize'): AUC is better high")
    v.check("TPE sampler", isinstance(getattr(study, "sampler", None), optuna.samplers.TPESampler),
            type(getattr(study, "sampler", None)).__name__, "TPESampler", "sampler=optuna.samplers.TPESampler(seed=seed)")
    v.check("a pruner", not isinstance(getattr(study, "pruner", None), optuna.pruners.NopPruner),
            type(getattr(study, "pruner", None)).__name__, "MedianPruner", "pruner=optuna.pruners.MedianPruner(...)")
    v.check("rerun proposes the same hyperparameters", r["rerun_same_params"] is True, r["rerun_same_params"], "True",
            "seed the sampler: TPESampler(seed=seed)")
    v.at_most("rerun AUC gap", r["rerun_max_auc_gap"], 1e-4,
              "seed Keras inside the objective, per trial: coursekit.set_seed(seed * 1000 + trial.number)")
    v.at_most("max_epochs_run", r["max_epochs_run"], 8, "fit for at most MAX_EPOCHS epochs")
    # Measured over seeds 0-4: best validation AUC 0.8315-0.8369 in 6 trials (replay gap 0 on every seed).
    v.at_least("best_val_auc", r["best_val_auc"], 0.825, "search learning rate on a log scale; return the best val_auc")
    return v


# --------------------------------------------------------------------------- 5.5.4


def grade_5_5_4(r) -> Verdict:
    v = Verdict("5.5.4")
    if not v.has_keys(r, ["candidate_val_auc", "candidate_units", "chosen_units", "test_auc", "fresh_gap_keras",
                          "fresh_gap_savedmodel", "fresh_gap_weights", "fresh_rows", "test_rows", "fresh_input_names",
                          "truncated_keras_error", "truncated_weights_error", "model"]):
        return v
    aucs, units = list(r["candidate_val_auc"]), list(r["candidate_units"])
    best = units[aucs.index(max(aucs))] if aucs else None
    v.equal("chosen model is the best on validation", r["chosen_units"], best, "keep the candidate with the highest val AUC")
    # Measured over seeds 0-4: test AUC 0.8385-0.8451 (logistic regression 0.843).
    v.at_least("test_auc", r["test_auc"], 0.82, "scale numbers and one-hot categories inside the model; early-stop on val_auc")
    for kind in ("keras", "savedmodel", "weights"):
        # Measured: 0.0 on every seed (the same float32 graph); 1e-5 allows another CPU's rounding.
        v.at_most(f"fresh_gap_{kind}", r[f"fresh_gap_{kind}"], 1e-5,
                  f"the {kind} artifact reloaded in a new process must predict what the trained model predicts")
    v.equal("fresh process scored every raw record", r["fresh_rows"], r["test_rows"], "predict all rows of the CSV")
    v.equal("artifact inputs are the raw columns", sorted(r["fresh_input_names"]), CHURN_COLUMNS,
            "one keras.Input per raw column, named after it: preprocessing belongs inside the model")
    model = r["model"]
    v.check("no Lambda layers", isinstance(model, keras.Model) and not any(
        isinstance(layer, keras.layers.Lambda) for layer in model.layers), "Lambda found" if isinstance(model, keras.Model)
        else type(model).__name__, "none", "Lambda layers need safe_mode=False to load: use built-in layers")
    for kind, name in (("keras", "truncated_churn.keras"), ("weights", "truncated_churn.weights.h5")):
        msg = str(r[f"truncated_{kind}_error"])
        v.check(f"truncated .{'keras' if kind == 'keras' else 'weights.h5'} error", msg.startswith("ArtifactError")
                and name in msg and "corrupt or truncated" in msg, msg[:90], "ArtifactError naming the file, "
                "'corrupt or truncated'", "check zipfile.is_zipfile / h5py.is_hdf5 and wrap load errors in ArtifactError")
    return v


GRADERS = {"5.5.1": grade_5_5_1, "5.5.2": grade_5_5_2, "5.5.3": grade_5_5_3, "5.5.4": grade_5_5_4}


@pytest.mark.parametrize("ex_id", exercise_params(GRADERS))
def test_exercise(ex_id, exercise_run, record_verdict):
    record_verdict(GRADERS[ex_id](exercise_run(ex_id))).assert_passed()


# --------------------------------------------------------------------------- wrong answers


def test_rubric_rejects_a_grid_missing_dials_and_a_count_without_refit(wrong_run):
    """A grid with one point and no batch size (3 fits: cheap), and count_fits that forgets the refit."""

    def wrong_grid():
        return {"reg__model__learning_rate": [0.03], "reg__model__hidden_layers": [2], "reg__model__neurons": [32]}

    def wrong_count(param_grid, n_splits, refit=True):
        from sklearn.model_selection import ParameterGrid

        return len(ParameterGrid(param_grid)) * n_splits

    verdict = grade_5_5_1(wrong_run("5.5.1", design_grid=wrong_grid, count_fits=wrong_count))
    assert {"grid dials", "n_candidates", "learning rates on a log scale", "count_fits matches models built",
            "full_grid_fits"} <= set(verdict.failed_names()), verdict.report()


def test_rubric_rejects_an_unseeded_search(wrong_run):
    """A TPE sampler without a seed: the replay proposes other hyperparameters (and 1 trial, to keep it cheap)."""
    import optuna

    def unseeded_study(seed):
        return optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(),
                                   pruner=optuna.pruners.MedianPruner())

    def patch(module):
        module.N_TRIALS = 1

    verdict = grade_5_5_3(wrong_run("5.5.3", make_study=unseeded_study, patch=patch))
    assert {"rerun proposes the same hyperparameters", "n_trials"} <= set(verdict.failed_names()), verdict.report()


def test_rubric_rejects_a_loader_without_clear_errors(wrong_run):
    """load_artifact that calls Keras directly: a truncated .keras file reports 'File not found'."""

    def naive_load(path, model=None):
        path = str(path)
        if path.endswith(".weights.h5"):
            model.load_weights(path)
            return model
        if path.endswith(".keras"):
            return keras.models.load_model(path)
        return keras.layers.TFSMLayer(path, call_endpoint="serve")

    def patch(module):
        # To keep this check cheap: one candidate, and the reload done in this process (the fresh
        # process is checked by test_exercise; this wrong answer is about the damaged-file errors).
        module.CANDIDATE_UNITS = (8,)

        def reload_here(paths, units, records_csv, out):
            import pandas as pd

            import _lesson55
            import data

            records = pd.read_csv(records_csv)
            reloaded = module.load_artifact(paths["keras"])
            rebuilt = module.build_raw_model(data.split_churn().train, units=units)
            return {
                "keras": _lesson55.predict_records(reloaded, records),
                "savedmodel": _lesson55.predict_records(module.load_artifact(paths["savedmodel"]), records),
                "weights": _lesson55.predict_records(module.load_artifact(paths["weights"], model=rebuilt), records),
                "input_names": sorted(t.name for t in reloaded.inputs),
            }

        module._reload_in_fresh_process = reload_here

    verdict = grade_5_5_4(wrong_run("5.5.4", load_artifact=naive_load, patch=patch))
    assert {"truncated .keras error", "truncated .weights.h5 error"} <= set(verdict.failed_names()), verdict.report()


def test_5_5_2_rejects_a_uniform_learning_rate_distribution():
    from scipy.stats import loguniform, uniform

    ok, wrong = Verdict("5.5.2"), Verdict("5.5.2")
    assert check_log_uniform(ok, loguniform(1e-3, 1e-1)), ok.report()
    assert not check_log_uniform(wrong, uniform(1e-3, 1e-1 - 1e-3)), wrong.report()
    assert "log" in wrong.failures[0].hint
    assert not check_log_uniform(Verdict("5.5.2"), [1e-3, 1e-2, 1e-1])
