"""The result table: its columns (one record each), the row builders, atomic writes, typed loading."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from qvc._io import atomic_open
from qvc.energy.hardware import ENERGY_COMPONENTS
from qvc.errors import QvcUsageError

if TYPE_CHECKING:
    from qvc.energy.carbon import CarbonIntensity
    from qvc.energy.ftqc import FtqcCost
    from qvc.energy.hardware import HardwareCost
    from qvc.energy.meters import Measurement

#: Bumped when a column changes meaning or disappears.
SCHEMA_VERSION = 1

#: Which part of the runner writes a column (see the row builders below).
ColumnGroup = Literal["run", "energy", "circuits", "hardware", "ibm", "sweep", "simulator", "tuning", "kernel",
                     "per_prediction", "ftqc"]
ColumnType = Literal["int", "float", "text", "bool"]

_NO_BLANK = object()


@dataclass(frozen=True)
class Column:
    """One result column: its name, type, what it means and which builder writes it.

    ``blank`` is the value a row carries when the column does not apply (a
    classical model has no hardware cost): by default ``0`` for counts, ``NaN``
    for numbers and ``""`` for text.
    """

    name: str
    dtype: ColumnType
    group: ColumnGroup
    meaning: str
    blank_override: object = _NO_BLANK

    @property
    def blank(self) -> object:
        """Value of the column in a row it does not apply to."""
        if self.blank_override is not _NO_BLANK:
            return self.blank_override
        return {"int": 0, "float": np.nan, "text": "", "bool": False}[self.dtype]


_COLUMN_LIST: tuple[Column, ...] = (
    Column("schema_version", "int", "run", "version of this table's layout"),
    Column("run_id", "text", "run", "run folder name"),
    Column("dataset", "text", "run", "dataset name"),
    Column("model", "text", "run", "svm | qsvc | mlp | vqc"),
    Column("pair", "text", "run", "svm (svm vs qsvc) or nn (mlp vs vqc)"),
    Column("family", "text", "run", "classical | quantum"),
    Column("seed", "int", "run", "seed of split, initialisation and sampling"),
    Column("execution", "text", "run",
           "how the quantum model was computed: exact | shots | noisy:<fake backend> | "
           "ibm:<backend> (classical models: 'classical')"),
    Column("qubits", "int", "run", "features = qubits"),
    Column("n_train", "int", "run", "training samples"),
    Column("n_test", "int", "run", "test samples"),
    Column("n_params", "int", "run", "trainable parameters (0 for kernel methods)"),
    Column("optimizer_steps", "float", "run",
           "what the shared --max-iter budget bought: MLP L-BFGS iterations, VQC COBYLA objective "
           "evaluations (empty for kernel models)"),
    Column("matching", "text", "run", "the matching rule that pairs this model with its partner"),
    Column("accuracy_train", "float", "run", "accuracy on the training split"),
    Column("accuracy_test", "float", "run", "accuracy on the test split"),
    Column("f1_test", "float", "run", "macro F1 on the test split"),
    Column("majority_rate", "float", "run",
           "accuracy of always predicting the test split's most common class (the chance floor)"),
    Column("above_majority", "bool", "run",
           "True when accuracy_test > majority_rate: the model learned something; False rows are "
           "flagged in the report and never priced as if they worked"),
    Column("untrained", "bool", "run",
           "True when accuracy_train <= the training split's majority rate: the fit did not learn even its own "
           "training data (e.g. a matched MLP too narrow, or stuck, at its budget); flagged in the report"),
    Column("hyperparameters", "text", "run",
           "JSON of every hyperparameter the fitted model used (tuned or fixed)"),
    Column("tuned", "bool", "tuning", "True when the hyperparameters were chosen by CV (not --no-tune)"),
    Column("cv_accuracy", "float", "tuning",
           "mean validation accuracy of the chosen candidate (stratified k-fold on the training split)"),
    Column("cv_folds", "int", "tuning", "folds of the tuning cross-validation"),
    Column("tune_candidates", "int", "tuning",
           "candidates tried (the same for both models of a pair: --tune-budget capped by the smaller grid)"),
    Column("tune_budget_note", "text", "tuning",
           "why tune_candidates is below --tune-budget (its own grid, or the pair rule); empty: the whole budget"),
    Column("tune_method", "text", "tuning", "how the search ran (grid or sampled; Gram matrices reused ...)"),
    Column("tune_seconds", "float", "tuning", "wall seconds of the whole search"),
    Column("tune_cpu_seconds", "float", "tuning", "process CPU seconds of the whole search"),
    Column("tune_energy_j", "float", "tuning", "local energy of the whole search (J), metered like fit"),
    Column("tune_energy_method", "text", "tuning", "measured | estimated"),
    Column("tune_gco2e", "float", "tuning", "grams CO2e of tune_energy_j"),
    Column("circuits_tune", "int", "tuning",
           "circuit executions a QPU would run for the search (qsvc: one training Gram per "
           "feature-map setting; vqc: every fold's fit and validation predict)"),
    Column("hw_energy_tune_j", "float", "tuning",
           "modelled hardware energy of the search's circuits (median, J); not in hw_energy_j"),
    Column("load_avg", "float", "run",
           "1-minute load average of the machine over the metered windows (mean of start and end)"),
    Column("load_per_core", "float", "run",
           "load_avg / CPU cores; above ~0.5 other work shared the cores and local energy is less trustworthy"),
    Column("threads", "int", "run",
           "threads the model computed on in its metered windows (qsvc: --threads of the statevector "
           "engine; others 1); estimated energy follows the process CPU seconds of all of them"),
    Column("kernel_offdiag_mean", "float", "kernel",
           "qsvc: mean off-diagonal training kernel entry (near 0 or 1: concentrated)"),
    Column("kernel_offdiag_std", "float", "kernel", "qsvc: spread of the off-diagonal training kernel entries"),
    Column("support_vector_share", "float", "kernel", "qsvc: share of training points that are support vectors"),
    Column("kernel_target_alignment", "float", "kernel",
           "qsvc: centred kernel-target alignment of the training Gram matrix (higher: kernel fits labels)"),
    Column("kernel_collapsed", "bool", "kernel",
           "qsvc: True when the kernel is nearly constant off the diagonal (std < 0.01)"),
    Column("fit_seconds", "float", "energy", "wall seconds of one fit (per call, averaged, when fit_repeats > 1)"),
    Column("fit_cpu_seconds", "float", "energy", "process CPU seconds of one fit (per call when fit_repeats > 1)"),
    Column("fit_energy_j", "float", "energy", "local energy of one fit in joules, total of non-overlapping domains"),
    Column("fit_energy_method", "text", "energy",
           "measured (RAPL/NVML counter) | estimated (CPU time x per-core power + memory)"),
    Column("fit_repeats", "int", "energy",
           "calls averaged into the fit figures: 1 = measured once; > 1 = one fit was shorter "
           "than the meter's minimum window, so fresh clones were fitted in repeat batches"),
    Column("fit_energy_spread", "float", "energy",
           "relative std of per-call fit energy across repeat batches (NaN if measured once)"),
    Column("fit_energy_above_idle_j", "float", "energy",
           "fit energy minus idle power x fit seconds (NaN without --idle-baseline)"),
    Column("fit_gco2e", "float", "energy", "grams CO2e of fit_energy_j at carbon_intensity_g_per_kwh"),
    Column("predict_seconds", "float", "energy",
           "wall seconds of predicting the test split (per call when predict_repeats > 1)"),
    Column("predict_cpu_seconds", "float", "energy",
           "process CPU seconds of predict (per call when predict_repeats > 1)"),
    Column("predict_energy_j", "float", "energy",
           "local energy of predict in joules, total of non-overlapping domains"),
    Column("predict_energy_method", "text", "energy", "measured | estimated"),
    Column("predict_repeats", "int", "energy", "calls averaged into the predict figures (1 = measured once)"),
    Column("predict_energy_spread", "float", "energy",
           "relative std of per-call predict energy across repeat batches (NaN if once)"),
    Column("predict_energy_above_idle_j", "float", "energy",
           "predict energy minus idle power x seconds (NaN without --idle-baseline)"),
    Column("predict_gco2e", "float", "energy", "grams CO2e of predict_energy_j at carbon_intensity_g_per_kwh"),
    Column("predict_energy_per_prediction_j", "float", "per_prediction",
           "local energy per prediction (J): predict_energy_j / n_test (same label as predict_energy_method)"),
    Column("local_attribution", "text", "energy",
           "attribution of the *_attributed_j columns: attributional (the process's share of the whole "
           "host, x the quantum side's PUE) | marginal (the meter's figure, PUE 1); the same mode as "
           "hw_attribution"),
    Column("local_pue", "float", "energy",
           "facility PUE applied to the local energy in local_attribution (the device's typical PUE in "
           "attributional mode, 1 in marginal)"),
    Column("fit_energy_attributed_j", "float", "energy",
           "fit energy in local_attribution: attributional = PUE x (fit_energy_j + max(cpu, wall) s x "
           "host idle W per thread); marginal = fit_energy_j"),
    Column("predict_energy_attributed_j", "float", "energy",
           "predict energy in local_attribution (as fit_energy_attributed_j)"),
    Column("host_preset", "text", "energy", "host preset whose idle power is shared out (qvc.energy.host)"),
    Column("host_idle_w_per_thread", "float", "energy",
           "host idle power per hardware thread charged in attributional mode (W)"),
    Column("energy_meter", "text", "run", "meter backend(s) that produced the local energy"),
    Column("idle_power_w", "float", "run",
           "idle power of the metered domains from --idle-baseline (NaN if none taken)"),
    Column("carbon_intensity_g_per_kwh", "float", "run",
           "grid carbon intensity used for every gCO2e column of the row"),
    Column("carbon_intensity_source", "text", "run",
           "where the intensity comes from: 'XX (Country) 2021', 'world default' "
           "or 'user value' (metadata.json has the citation)"),
    Column("circuits_fit", "int", "circuits", "circuit executions a QPU would run for fit"),
    Column("circuits_predict", "int", "circuits", "circuit executions a QPU would run for predict"),
    Column("shots", "int", "circuits", "shots per circuit priced for hardware (empty when infeasible)",
           blank_override=np.nan),
    Column("shots_rule", "text", "circuits",
           "how shots was chosen: 'fixed ...' or 'auto: ...' (the rule of --shots auto, qvc.experiment.autoshots)"),
    Column("shots_tolerance", "float", "circuits",
           "--shots auto: share of test predictions allowed to differ from the exact model"),
    Column("shots_infeasible", "text", "circuits",
           "why the run was not priced ('' when it was): no shot count up to the cap reproduces the model"),
    Column("device", "text", "circuits", "device preset that priced the ledger"),
    Column("protocol", "text", "circuits",
           "how the quantum model uses the QPU, in words (fidelity kernel, projected kernel, variational ...), "
           "with its circuit counts per fit and per prediction"),
    Column("circuit_source", "text", "circuits",
           "where the model's circuits come from: 'built-in', or the user's --feature-map / --ansatz source"),
    Column("accuracy_test_shot_trained", "float", "circuits",
           "VQC: test accuracy when trained and evaluated under shot noise at shot_trained_shots "
           "(qvc.experiment.shottraining; empty when not re-simulated, see shot_training)"),
    Column("shot_trained_shots", "int", "circuits", "shots per circuit of that training and evaluation",
           blank_override=np.nan),
    Column("shot_trained_circuits_fit", "int", "circuits",
           "training circuits the shot-noisy optimizer evaluated (compare circuits_fit)", blank_override=np.nan),
    Column("shot_training", "text", "circuits",
           "'re-simulated: ...' | 'trained with sampling: ...' | 'not re-simulated: ...; circuits_fit ... "
           "a lower bound ...' (VQC only)"),
    Column("device_noise_model", "text", "circuits",
           "noise model of the on-device accuracy (qvc.energy.noise: esp-depolarizing | aer); '' when not modelled"),
    Column("device_accuracy", "float", "circuits",
           "expected test accuracy the device delivers at the priced shots with the priced mitigation (mean "
           "of device_accuracy_draws noisy draws; modelled, qvc.experiment.deviceaccuracy)"),
    Column("device_accuracy_low", "float", "circuits",
           "one-sided 95 % lower confidence bound of device_accuracy (Student t over the draws)"),
    *(Column(f"device_accuracy_{m}{end}", "float", "circuits",
             f"{what} with mitigation {m} at the priced shots" if not end.endswith("limit") else
             f"test accuracy with mitigation {m} at infinitely many shots (the noisy expectation itself: "
             "the ceiling no shot count passes)")
      for m in ("none", "zne", "pec")
      for end, what in (("", "expected on-device test accuracy"), ("_low", "its 95 % lower bound"),
                        ("_limit", ""))),
    Column("device_accuracy_draws", "int", "circuits", "seeded noisy draws behind each on-device accuracy"),
    Column("device_target_accuracy", "float", "circuits",
           "accuracy the priced configuration must reach on the device: --target-accuracy, else accuracy_test "
           "minus --equivalence-margin"),
    Column("device_declined", "text", "circuits",
           "why the hardware energy is declined: no shots x mitigation reaches the target on the device ('' "
           "when priced)"),
    Column("device_accuracy_note", "text", "circuits",
           "why the on-device accuracy is not modelled ('' when it is), e.g. a noisy execution or no error data"),
    Column("device_search", "text", "circuits",
           "the search as JSON: per mitigation the shots evaluated, mean and lower-bound accuracy, energy, limit"),
    Column("shots_low", "int", "circuits",
           "shots the priced mitigation needs at the margin's easy end (target - margin/2, i.e. margin x 1.5)",
           blank_override=np.nan),
    Column("shots_high", "int", "circuits",
           "shots the priced mitigation needs at the margin's hard end (target + margin/2, i.e. margin x 0.5); "
           "empty when no shot count within the cap reaches it", blank_override=np.nan),
    Column("shots_at_cap", "bool", "circuits",
           "True when the priced shots are the last rung below the shot cap (the cap bounds the choice)"),
    Column("hw_jobs", "int", "hardware", "jobs the ledger would be split into (fit and predict submitted separately)"),
    Column("hw_qpu_seconds", "float", "hardware", "modelled QPU seconds, fit + predict (Monte Carlo median)"),
    Column("hw_qpu_seconds_low", "float", "hardware",
           "modelled QPU seconds, 5th percentile (low end of the 90 % interval)"),
    Column("hw_qpu_seconds_high", "float", "hardware",
           "modelled QPU seconds, 95th percentile (high end of the 90 % interval)"),
    Column("hw_qpu_seconds_fit", "float", "hardware", "modelled QPU seconds of the fit phase (median)"),
    Column("hw_qpu_seconds_predict", "float", "hardware", "modelled QPU seconds of the predict phase (median)"),
    Column("hw_energy_j", "float", "hardware",
           "modelled hardware energy in joules, fit + predict (Monte Carlo median)"),
    Column("hw_energy_j_low", "float", "hardware", "modelled hardware energy, 5th percentile (J)"),
    Column("hw_energy_j_high", "float", "hardware", "modelled hardware energy, 95th percentile (J)"),
    Column("hw_energy_fit_j", "float", "hardware", "modelled hardware energy of the fit phase (median, J)"),
    Column("hw_energy_predict_j", "float", "hardware", "modelled hardware energy of the predict phase (median, J)"),
    Column("hw_energy_per_prediction_j", "float", "per_prediction",
           "modelled hardware energy per prediction (J): hw_energy_predict_j / n_test (quantum models)"),
    Column("hw_energy_typical_j", "float", "hardware",
           "modelled hardware energy at typical parameter values (J); the components add up to it"),
    Column("hw_energy_cryogenics_j", "float", "hardware",
           "component energy at typical values: dilution refrigerator / cryostat (J)"),
    Column("hw_energy_vacuum_j", "float", "hardware", "component energy at typical values: vacuum system (J)"),
    Column("hw_energy_lasers_j", "float", "hardware", "component energy at typical values: lasers (J)"),
    Column("hw_energy_control_j", "float", "hardware", "component energy at typical values: control electronics (J)"),
    Column("hw_energy_readout_j", "float", "hardware", "component energy at typical values: readout chain (J)"),
    Column("hw_energy_servers_j", "float", "hardware",
           "component energy at typical values: room-temperature servers (J)"),
    Column("hw_energy_facility_j", "float", "hardware",
           "component energy at typical values: facility overhead, (PUE - 1) x the rest (J)"),
    Column("hw_attribution", "text", "hardware",
           "attributional (whole machine while held) | marginal (added to an idle machine)"),
    Column("hw_mitigation_factor", "float", "hardware", "further user multiplier on shots (--mitigation-factor)"),
    Column("hw_esp", "float", "hardware",
           "estimated success probability of the priced circuits (lowest over templates): product of "
           "(1 - error) over the native circuit's gates and measurements on the device"),
    Column("hw_mitigation", "text", "hardware", "error-mitigation model priced: none | zne | pec"),
    Column("hw_mitigation_overhead", "float", "hardware",
           "shot multiplier of the mitigation (largest over templates, user factor included; >= 1)"),
    Column("hw_mitigation_note", "text", "hardware",
           "'' or 'beyond practical mitigation: ...' (PEC gamma^2 above IBM Runtime's default "
           "max_overhead of 100)"),
    Column("hw_energy_unmitigated_j", "float", "hardware",
           "modelled hardware energy without any mitigation overhead (Monte Carlo median, J)"),
    Column("hw_sequential_jobs", "int", "hardware",
           "jobs that wait on each other's results (one per optimizer evaluation), included in hw_jobs"),
    Column("hw_host_gap_seconds", "float", "hardware",
           "host optimizer seconds between sequential jobs, held in the session (in hw_qpu_seconds)"),
    Column("hw_landauer_j", "float", "hardware",
           "Landauer floor of the QPU work: measured + reset bits x kT ln2 at 300 K (J)"),
    Column("hw_energy_method", "text", "hardware", "modelled | hardware-reported"),
    Column("hw_gco2e", "float", "hardware",
           "grams CO2e of hw_energy_j at the same carbon intensity (the QPU's own grid may differ)"),
    Column("hw_packing_copies", "int", "hardware",
           "copies of each circuit run side by side per execution in hw_energy_j (--packing; 1 = none)"),
    Column("hw_utilisation", "float", "hardware",
           "share of the machine's idle power charged in hw_energy_j (--utilisation; 1 = the whole machine)"),
    Column("hw_energy_packed_j", "float", "hardware",
           "scenario packed: modelled hardware energy with as many copies per execution as the coupling map "
           "holds (hw_packed_copies), one job (median, J)"),
    Column("hw_energy_packed_j_low", "float", "hardware", "scenario packed: 5th percentile (J)"),
    Column("hw_energy_packed_j_high", "float", "hardware", "scenario packed: 95th percentile (J)"),
    Column("hw_packed_copies", "int", "hardware", "scenario packed: copies per execution (largest over circuits)"),
    Column("hw_energy_shared_j", "float", "hardware",
           "scenario shared: attributional with share hw_shared_utilisation of the idle power (median, J)"),
    Column("hw_energy_shared_j_low", "float", "hardware", "scenario shared: 5th percentile (J)"),
    Column("hw_energy_shared_j_high", "float", "hardware", "scenario shared: 95th percentile (J)"),
    Column("hw_shared_utilisation", "float", "hardware", "scenario shared: share of the idle power charged"),
    Column("hw_energy_marginal_j", "float", "hardware",
           "scenario marginal: only what the job adds to an idle, cold machine (median, J)"),
    Column("hw_energy_marginal_j_low", "float", "hardware", "scenario marginal: 5th percentile (J)"),
    Column("hw_energy_marginal_j_high", "float", "hardware", "scenario marginal: 95th percentile (J)"),
    Column("hw_energy_shots_low_j", "float", "hardware",
           "modelled hardware energy at shots_low (median, J): the shot component of the energy's uncertainty"),
    Column("hw_energy_shots_high_j", "float", "hardware",
           "modelled hardware energy at shots_high (median, J); empty when shots_high is"),
    Column("hw_cost_model", "text", "hardware",
           "the priced ledger as JSON (qvc.energy.costmodel.CostModel): the report's sensitivity analysis "
           "re-evaluates hw_energy_typical_j from it"),
    Column("ibm_backend", "text", "ibm",
           "IBM backend the quantum side ran on with --execution ibm:<backend> ('' otherwise)"),
    Column("ibm_jobs", "int", "ibm", "IBM jobs whose results the model used (reused ones included)"),
    Column("ibm_jobs_submitted", "int", "ibm",
           "IBM jobs this run submitted (0 when every result came from the job store)"),
    Column("ibm_trained_on", "text", "ibm",
           "where the model was trained: the ibm: execution, or 'local statevector engine (exact)' "
           "(VQC inference on hardware after local training)"),
    Column("hw_reported_qpu_seconds", "float", "ibm",
           "QPU seconds IBM billed for the jobs this model submitted (usage from job metrics, "
           "summed; session mode: Session.usage()), each job counted once across runs; NaN "
           "while pending or absent, and for local testing mode (Aer, no QPU)"),
    Column("hw_reported_energy_j", "float", "ibm",
           "physical QPU seconds from the results' execution spans (else the billed seconds) x "
           "the cost model's average power: reported time, modelled power"),
    Column("hw_reported_method", "text", "ibm",
           "hardware-reported: <how> [; reused jobs] ; energy from <spans|usage> | pending: ... | "
           "absent: ... | 'none: local testing mode ...'"),
    Column("hw_reported_vs_modelled", "float", "ibm",
           "hw_reported_qpu_seconds / modelled QPU seconds at typical values (NaN when jobs "
           "were reused from earlier runs)"),
    Column("ft_device", "text", "ftqc",
           "fault-tolerant projection (--device ftqc:<name>): the FTQC preset; hw_* then price the NISQ reference"),
    Column("ft_qubit_model", "text", "ftqc", "ftqc: the resource estimator's qubit model"),
    Column("ft_qec_scheme", "text", "ftqc", "ftqc: QEC scheme (surface_code | floquet_code)"),
    Column("ft_error_budget", "float", "ftqc", "ftqc: the estimator's error budget per execution"),
    Column("ft_energy_method", "text", "ftqc", "label of every ft_* number: projected"),
    Column("ft_attribution", "text", "ftqc", "ftqc: attributional | marginal (the run's --attribution)"),
    Column("ft_shots", "float", "ftqc",
           "ftqc: shots per circuit on the fault-tolerant machine (shot noise alone, the NISQ accuracy rule)"),
    Column("ft_shots_rule", "text", "ftqc", "ftqc: how ft_shots was chosen"),
    Column("ft_physical_qubits", "int", "ftqc",
           "ftqc: physical qubits (algorithm + T factories) of the largest priced template, per the estimator"),
    Column("ft_physical_qubits_tfactories", "int", "ftqc", "ftqc: of which in T factories"),
    Column("ft_logical_qubits", "int", "ftqc", "ftqc: algorithmic logical qubits (estimator)"),
    Column("ft_code_distance", "int", "ftqc", "ftqc: code distance (estimator)"),
    Column("ft_runtime_per_shot_s", "float", "ftqc", "ftqc: runtime of one shot of the largest template (estimator)"),
    Column("ft_logical_cycle_time_s", "float", "ftqc", "ftqc: logical cycle time (estimator)"),
    Column("ft_machine_seconds", "float", "ftqc", "ftqc: machine seconds, fit + predict (runtime x executions)"),
    Column("ft_energy_j", "float", "ftqc", "ftqc: projected energy, fit + predict (Monte Carlo median, J)"),
    Column("ft_energy_j_low", "float", "ftqc", "ftqc: projected energy, 5th percentile (J)"),
    Column("ft_energy_j_high", "float", "ftqc", "ftqc: projected energy, 95th percentile (J)"),
    Column("ft_energy_typical_j", "float", "ftqc", "ftqc: projected energy at typical values (J)"),
    Column("ft_energy_fit_j", "float", "ftqc", "ftqc: projected energy of the fit phase (typical, J)"),
    Column("ft_energy_predict_j", "float", "ftqc", "ftqc: projected energy of the predict phase (typical, J)"),
    Column("ft_energy_ae_j", "float", "ftqc",
           "ftqc: amplitude-estimation scenario (queries ~ 1/eps instead of shots ~ 1/eps^2; a cost scaling, J)"),
    Column("ft_ae_factor", "float", "ftqc", "ftqc: ft_energy_ae_j / ft_energy_typical_j = (4 pi sqrt(S) + 1) / S"),
    Column("ft_estimator_params", "text", "ftqc", "ftqc: the estimator's job parameters (JSON)"),
    Column("ft_cost_model", "text", "ftqc", "ftqc: the projected cost model (JSON; the report re-evaluates it)"),
    Column("point_id", "text", "sweep",
           "sweeps: stable hash of the point's settings (dataset, model, qubits, samples, seed, ...)"),
    Column("samples", "int", "sweep", "sweeps: requested subsample size before the split (empty: all samples)"),
    Column("worker", "text", "sweep", "sweeps: host:pid of the process that ran and metered the point"),
    Column("point_seconds", "float", "sweep",
           "sweeps: wall seconds of the whole point in its worker (data, fit, predict, pricing)"),
    Column("entanglement", "text", "simulator",
           "kernel model: entanglement of the ZZ feature map (full | linear | ...); empty for other models"),
    Column("simulator", "text", "simulator",
           "kernel model: classical simulator that computed it: statevector (qvc engine) | mps (Aer "
           "matrix-product states) | the sampler mode"),
    Column("mps_truncation_threshold", "float", "simulator",
           "mps: Schmidt weight discarded per two-qubit gate (1e-16 = exact up to round-off)"),
    Column("mps_max_bond_dimension", "float", "simulator", "mps: bond-dimension cap (empty: none)"),
    Column("mps_bond_dimension_reached", "float", "simulator",
           "mps: largest bond dimension of any final state (intermediate swap bonds not logged)"),
    Column("mps_target_fidelity", "float", "simulator",
           "mps: lower bound of each state's fidelity implied by the threshold (fidelity-matched modes: "
           "the hardware's estimated circuit fidelity)"),
    Column("mps_fidelity_method", "text", "simulator", "mps: how the target fidelity was set"),

)

#: Result columns, in order: name -> :class:`Column` (documented in docs/ARCHITECTURE.md).
COLUMNS: dict[str, Column] = {c.name: c for c in _COLUMN_LIST}

#: The hardware power components' energy columns, ``hw_energy_<component>_j`` (they add up to
#: ``hw_energy_typical_j``); every other ``hw_energy_*_j`` column is a phase, total or share.
HW_COMPONENT_COLUMNS: tuple[str, ...] = tuple(f"hw_energy_{c}_j" for c in ENERGY_COMPONENTS)
assert len(COLUMNS) == len(_COLUMN_LIST), "duplicate column name"

_INT_COLUMNS = frozenset(c.name for c in _COLUMN_LIST if c.dtype == "int")
_FLOAT_COLUMNS = frozenset(c.name for c in _COLUMN_LIST if c.dtype == "float")
_TEXT_COLUMNS = frozenset(c.name for c in _COLUMN_LIST if c.dtype == "text")
_BOOL_COLUMNS = frozenset(c.name for c in _COLUMN_LIST if c.dtype == "bool")


def blank_columns(group: ColumnGroup) -> dict[str, object]:
    """The columns of ``group`` at their blank values (a row the group does not apply to).

    Examples
    --------
    >>> blank = blank_columns("ibm")
    >>> blank["ibm_jobs"], blank["ibm_backend"]
    (0, '')
    """
    return {c.name: c.blank for c in _COLUMN_LIST if c.group == group}


# ---------------------------------------------------------------------------------------------
# Row builders: every column of a row is written by one of these (or by the runner's "run" part).
# ---------------------------------------------------------------------------------------------
def energy_columns(phase: str, m: Measurement, carbon: CarbonIntensity) -> dict[str, Any]:
    """Per-call time, energy, label, repeats, spread, above-idle energy and gCO2e of one phase.

    ``phase`` is ``"fit"`` or ``"predict"``; the keys are the ``energy`` group's columns
    with that prefix.
    """
    above = m.above_idle_j
    return {
        f"{phase}_seconds": m.wall_s,
        f"{phase}_cpu_seconds": m.cpu_s,
        f"{phase}_energy_j": m.total_j,
        f"{phase}_energy_method": m.method,
        f"{phase}_repeats": m.repeats,
        f"{phase}_energy_spread": m.spread,
        f"{phase}_energy_above_idle_j": np.nan if above is None else above,
        f"{phase}_gco2e": carbon.grams(m.total_j),
    }


def circuit_columns(circuits_fit: int, circuits_predict: int, shots: int | float, device: str,
                    *, rule: str = "", tolerance: float = np.nan, infeasible: str = "", protocol: str = "",
                    circuit_source: str = "") -> dict[str, Any]:
    """The ``circuits`` group: what a QPU would have run, the shots priced and why, the device preset,
    the model's protocol and where its circuits come from."""
    return {"circuits_fit": int(circuits_fit), "circuits_predict": int(circuits_predict),
            "shots": shots, "shots_rule": rule, "shots_tolerance": tolerance,
            "shots_infeasible": infeasible, "device": device, "protocol": protocol,
            "circuit_source": circuit_source}


def shot_training_columns(result: Any) -> dict[str, Any]:
    """The shot-noise training columns of a :class:`qvc.experiment.shottraining.ShotTraining` (or blanks).

    Examples
    --------
    >>> shot_training_columns(None)["shot_training"]
    ''
    """
    if result is None:
        return {k: COLUMNS[k].blank for k in _SHOT_TRAINING}
    return {"accuracy_test_shot_trained": result.accuracy,
            "shot_trained_shots": np.nan if result.shots is None else result.shots,
            "shot_trained_circuits_fit": np.nan if result.circuits_fit is None else result.circuits_fit,
            "shot_training": result.text}


def device_accuracy_columns(found: Any, note: str = "") -> dict[str, Any]:
    """The on-device accuracy columns of a :class:`qvc.experiment.deviceaccuracy.Search` (``None``: blank + note).

    Examples
    --------
    >>> device_accuracy_columns(None, "not modelled: no error rates")["device_accuracy_note"]
    'not modelled: no error rates'
    """
    out = {c.name: c.blank for c in _COLUMN_LIST if c.name in _DEVICE}
    out["device_accuracy_note"] = note
    if found is None:
        return out
    mitigation = found.chosen[0] if found.chosen else None
    out.update({"device_noise_model": found.noise_model, "device_accuracy_draws": found.draws,
                "device_target_accuracy": found.target, "device_declined": found.reason,
                "device_search": found.to_json(), "shots_at_cap": bool(found.at_cap),
                "shots_low": np.nan if found.shots_low is None else found.shots_low,
                "shots_high": np.nan if found.shots_high is None else found.shots_high})
    if mitigation is not None:
        out["device_accuracy"], out["device_accuracy_low"] = found.accuracy(mitigation)
    for m, curve in found.curves.items():
        out[f"device_accuracy_{m}"], out[f"device_accuracy_{m}_low"] = found.accuracy(m)
        out[f"device_accuracy_{m}_limit"] = curve.limit
    return out


_DEVICE = frozenset(["device_noise_model", "device_accuracy", "device_accuracy_low", "device_accuracy_draws",
                     "device_target_accuracy", "device_declined", "device_accuracy_note", "device_search",
                     "shots_low", "shots_high", "shots_at_cap",
                     *(f"device_accuracy_{m}{e}" for m in ("none", "zne", "pec") for e in ("", "_low", "_limit"))])
_SHOT_TRAINING = ("accuracy_test_shot_trained", "shot_trained_shots", "shot_trained_circuits_fit", "shot_training")


def local_attribution_columns(fit: Measurement, predict: Measurement, host: Any, mode: str,
                              pue: float) -> dict[str, Any]:
    """The local energy of fit and predict in the run's attribution mode (:mod:`qvc.energy.host`)."""
    from qvc.energy.host import attribute_local

    fit_j, parts = attribute_local(fit.total_j, fit.cpu_s, fit.wall_s, host, mode, pue)
    pred_j, _ = attribute_local(predict.total_j, predict.cpu_s, predict.wall_s, host, mode, pue)
    return {"local_attribution": mode, "local_pue": parts["pue"], "fit_energy_attributed_j": fit_j,
            "predict_energy_attributed_j": pred_j, "host_preset": host.name,
            "host_idle_w_per_thread": host.idle_w_per_thread}


def per_prediction_columns(row: dict) -> dict[str, Any]:
    """Energy per prediction of a row: its predict energies (local, modelled hardware) over ``n_test``.

    Examples
    --------
    >>> per_prediction_columns({"n_test": 4, "predict_energy_j": 2.0, "hw_energy_predict_j": np.nan})
    {'predict_energy_per_prediction_j': 0.5, 'hw_energy_per_prediction_j': nan}
    """
    n = int(row.get("n_test") or 0)

    def per(key: str) -> float:
        value = row.get(key, np.nan)
        return float(value) / n if n > 0 and value is not None and np.isfinite(value) else np.nan

    return {"predict_energy_per_prediction_j": per("predict_energy_j"),
            "hw_energy_per_prediction_j": per("hw_energy_predict_j")}


def hardware_columns(cost: HardwareCost | None, carbon: CarbonIntensity | None = None) -> dict[str, Any]:
    """The ``hw_*`` result columns of a :class:`~qvc.energy.hardware.HardwareCost` (``None``: blank).

    QPU seconds and joules are Monte Carlo medians with the 90 % interval; the
    per-component columns are at typical values and add up to ``hw_energy_typical_j``.
    ``hw_gco2e`` is ``hw_energy_j`` at ``carbon`` (blank without one).

    Examples
    --------
    >>> hardware_columns(None)["hw_energy_method"], hardware_columns(None)["hw_jobs"]
    ('', 0)
    """
    out = blank_columns("hardware")
    if cost is None:
        return out
    assert cost.qpu_seconds_interval is not None and cost.energy_interval is not None
    out.update({
        "hw_jobs": cost.jobs,
        "hw_qpu_seconds": cost.qpu_seconds_interval.median,
        "hw_qpu_seconds_low": cost.qpu_seconds_interval.low,
        "hw_qpu_seconds_high": cost.qpu_seconds_interval.high,
        "hw_qpu_seconds_fit": cost.phase_median("fit", "qpu_seconds"),
        "hw_qpu_seconds_predict": cost.phase_median("predict", "qpu_seconds"),
        "hw_energy_j": cost.energy_interval.median,
        "hw_energy_j_low": cost.energy_interval.low,
        "hw_energy_j_high": cost.energy_interval.high,
        "hw_energy_fit_j": cost.phase_median("fit", "energy_j"),
        "hw_energy_predict_j": cost.phase_median("predict", "energy_j"),
        "hw_energy_typical_j": cost.energy_j,
        "hw_attribution": cost.mode,
        "hw_mitigation_factor": cost.mitigation_factor,
        "hw_esp": cost.esp,
        "hw_mitigation": cost.mitigation,
        "hw_mitigation_overhead": cost.mitigation_overhead,
        "hw_mitigation_note": (f"beyond practical mitigation: PEC gamma^2 = {_pec_overhead(cost):.3g} > 100 "
                               "(IBM Runtime's default max_overhead)" if cost.beyond_mitigation else ""),
        "hw_energy_unmitigated_j": (cost.energy_unmitigated_interval.median
                                    if cost.energy_unmitigated_interval is not None else np.nan),
        "hw_sequential_jobs": cost.sequential_jobs,
        "hw_host_gap_seconds": cost.host_gap_s,
        "hw_landauer_j": cost.landauer_j,
        "hw_energy_method": cost.method,
        "hw_gco2e": carbon.grams(cost.energy_interval.median) if carbon is not None else np.nan,
    })
    for c in ENERGY_COMPONENTS:
        out[f"hw_energy_{c}_j"] = cost.components_j.get(c, 0.0)
    out["hw_packing_copies"], out["hw_utilisation"] = cost.packing_copies, cost.utilisation
    if cost.cost_model is not None:
        out["hw_cost_model"] = json.dumps(cost.cost_model.to_dict(), separators=(",", ":"))
    return out


def ftqc_columns(cost: FtqcCost | None, *, shots_rule: str = "") -> dict[str, Any]:
    """The ``ft_*`` columns of a projected fault-tolerant cost (``None``: blank).

    Examples
    --------
    >>> ftqc_columns(None)["ft_physical_qubits"], ftqc_columns(None)["ft_energy_method"]
    (0, '')
    """
    out = blank_columns("ftqc")
    if cost is None:
        return out
    big = cost.largest
    model = cost.cost_model
    typ = model.evaluate(model.typical())
    phase = {ph: sum(float(v["energy_j"][0]) for (_, p), v in typ["phases"].items() if p == ph)
             for ph in ("fit", "predict")}
    iv = cost.energy_interval
    qubit = big.params.get("qubitParams", {})
    out.update({
        "ft_device": cost.device, "ft_qubit_model": str(qubit.get("name", "")),
        "ft_qec_scheme": str(big.params.get("qecScheme", {}).get("name", "")),
        "ft_error_budget": float(big.params.get("errorBudget", np.nan)),
        "ft_energy_method": cost.method, "ft_attribution": cost.mode, "ft_shots": float(cost.shots),
        "ft_shots_rule": shots_rule, "ft_physical_qubits": big.physical_qubits,
        "ft_physical_qubits_tfactories": big.physical_qubits_tfactories,
        "ft_logical_qubits": big.logical_qubits, "ft_code_distance": big.code_distance,
        "ft_runtime_per_shot_s": big.runtime_per_shot_s, "ft_logical_cycle_time_s": big.logical_cycle_time_s,
        "ft_machine_seconds": cost.seconds, "ft_energy_j": iv.median, "ft_energy_j_low": iv.low,
        "ft_energy_j_high": iv.high, "ft_energy_typical_j": cost.energy_j,
        "ft_energy_fit_j": phase["fit"], "ft_energy_predict_j": phase["predict"],
        "ft_energy_ae_j": cost.ae_energy_j, "ft_ae_factor": cost.ae_factor,
        "ft_estimator_params": json.dumps(big.params, sort_keys=True, separators=(",", ":")),
        "ft_cost_model": json.dumps(model.to_dict(), separators=(",", ":")),
    })
    return out


def scenario_columns(scenarios: dict[str, HardwareCost]) -> dict[str, Any]:
    """The attribution scenarios' columns (:func:`qvc.energy.scenarios.price_scenarios`), median and interval."""
    out: dict[str, Any] = {}
    for name, cost in scenarios.items():
        iv = cost.energy_interval
        assert iv is not None
        out.update({f"hw_energy_{name}_j": iv.median, f"hw_energy_{name}_j_low": iv.low,
                    f"hw_energy_{name}_j_high": iv.high})
    if "packed" in scenarios:
        out["hw_packed_copies"] = scenarios["packed"].packing_copies
    if "shared" in scenarios:
        out["hw_shared_utilisation"] = scenarios["shared"].utilisation
    return out


def _pec_overhead(cost: HardwareCost) -> float:
    vals = [t["mitigation"]["pec_gamma_squared"] for p in cost.phases for t in p.templates
            if "mitigation" in t]
    return max((np.inf if v is None else v for v in vals), default=np.nan)


def ibm_columns(
    est: object | None, cost: HardwareCost | None, remember: Callable[[dict, float, float], None] | None = None,
) -> dict[str, Any]:
    """The ``ibm_*`` and ``hw_reported_*`` columns: what ran on an IBM backend, and its QPU time.

    ``hw_reported_qpu_seconds`` is the usage IBM bills, attributed once to the model
    and run that submitted the jobs (session mode: ``Session.usage()``); the energy
    next to it is the physical execution time from the results' execution spans
    (else the billed time) times the cost model's average power. A figure not
    reported stays NaN with the reason. Local testing mode reports no QPU time.
    Asks the model for its attributed usage (which closes its session: its last job has
    run). ``remember(usage, power_w, modelled_qpu_seconds)``, when given, receives what
    recomputing the columns later needs (:func:`qvc.record.ibm.remember_usage` writes it for
    ``qvc ibm fetch RUN --usage``); the builder itself writes nothing.
    """
    out = blank_columns("ibm")
    usage = est.hardware_usage() if est is not None and hasattr(est, "hardware_usage") else None
    if usage is None:
        return out
    from qvc.record.ibm import reported_columns

    power = cost.power_w if cost is not None else float("nan")
    modelled = cost.qpu_seconds if cost is not None else float("nan")
    out.update({
        "ibm_backend": usage["backend"],
        "ibm_jobs": usage["jobs"],
        "ibm_jobs_submitted": usage["jobs_submitted"],
        "ibm_trained_on": getattr(est, "trained_on_", getattr(est, "execution", "")),
    })
    out.update(reported_columns(usage, power, modelled))
    if remember is not None:
        remember(usage, power, modelled)
    return out


def simulator_columns(est: object) -> dict[str, Any]:
    """The ``simulator`` group: which classical simulator computed a kernel model (blank otherwise)."""
    out = blank_columns("simulator")
    if hasattr(est, "simulator_info"):
        out["entanglement"] = getattr(est, "entanglement", "")
        out.update(est.simulator_info())
    return out


#: Columns a results file must have to be read at all.
REQUIRED_COLUMNS = ("schema_version", "model", "family", "seed", "accuracy_test")

# Columns added later (by any module) are typed by their name, so the loader does
# not need to be told about each one:
#   float : ends in _j, _gco2e, _seconds, _s, _w, _kwh, _low, _high, _median, _std,
#           _spread, _ratio, _orders, or starts with accuracy_/f1_
#   int   : ends in _repeats, _count, or starts with circuits_ / n_
#   text  : ends in _method, _mode, _reason, _source, _meter, _device
_FLOAT_SUFFIXES = ("_j", "_gco2e", "_seconds", "_s", "_w", "_kwh", "_low", "_high", "_median",
                   "_std", "_spread", "_ratio", "_orders")
_INT_SUFFIXES = ("_repeats", "_count")
_TEXT_SUFFIXES = ("_method", "_mode", "_reason", "_source", "_meter", "_device")


def column_kind(name: str) -> str | None:
    """The type ``load_results`` gives column ``name``: ``'int'``, ``'float'``, ``'text'``, ``'bool'`` or None.

    Declared columns have a fixed type; any other column is typed by its name
    (suffix rules above), and ``None`` leaves it to pandas' inference.

    Examples
    --------
    >>> column_kind("hw_energy_j_low"), column_kind("fit_energy_method"), column_kind("hw_jobs")
    ('float', 'text', 'int')
    """
    if name in _INT_COLUMNS:
        return "int"
    if name in _FLOAT_COLUMNS:
        return "float"
    if name in _TEXT_COLUMNS:
        return "text"
    if name in _BOOL_COLUMNS:
        return "bool"
    if name.endswith(_TEXT_SUFFIXES):
        return "text"
    if name.endswith(_FLOAT_SUFFIXES) or name.startswith(("accuracy_", "f1_")):
        return "float"
    if name.endswith(_INT_SUFFIXES) or name.startswith(("circuits_", "n_")):
        return "int"
    return None


_TRUTH = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}


def _text_dtype():
    try:  # pandas >= 2.3: string dtype whose missing value is NaN (the default in pandas 3)
        return pd.StringDtype(na_value=float("nan"))
    except TypeError:  # pragma: no cover - older pandas
        return object


def write_results(rows: list[dict], path: str | Path) -> None:
    """Write ``rows`` to ``path`` atomically (temp file + rename): a crash never leaves half a file."""
    path = Path(path)
    frame = pd.DataFrame(rows)
    ordered = [c for c in COLUMNS if c in frame.columns]
    frame = frame[ordered + [c for c in frame.columns if c not in COLUMNS]]
    with atomic_open(path, newline="") as fh:
        frame.to_csv(fh, index=False)


def _check_row_lengths(path: Path) -> None:
    """Every row has as many fields as the header (pandas would silently pad or shift)."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if not header:
            raise QvcUsageError(f"{str(path)!r} is empty; re-run the experiment or restore the file")
        for line_no, row in enumerate(reader, start=2):
            if row and len(row) != len(header):
                raise QvcUsageError(
                    f"cannot read {str(path)!r}: line {line_no} has {len(row)} fields, the header "
                    f"{len(header)}; the file is damaged (truncated or edited): re-run the "
                    "experiment or restore the file"
                )


def _check_numeric_cells(path: Path, frame: pd.DataFrame, column: str) -> None:
    """Refuse a cell of a numeric column that is not a number (it would silently become missing)."""
    raw = frame[column]
    if raw.dtype.kind in "iufb":
        return
    coerced = pd.to_numeric(raw, errors="coerce")
    bad = (coerced.isna() & raw.notna() & (raw.astype(str).str.strip() != "")).to_numpy()
    if bad.any():
        row = int(bad.nonzero()[0][0])
        raise QvcUsageError(
            f"{str(path)!r}: column {column!r}, row {row + 1} holds {raw.iloc[row]!r}, which qvc never writes "
            "(not a number); restore the file or re-run"
        )


def load_results(path: str | Path) -> pd.DataFrame:
    """Load a ``results.csv`` (or a run folder holding one) with typed columns.

    Integer columns become pandas ``Int64`` (missing values stay missing), float
    columns ``float64``, text columns pandas' string dtype with ``NaN`` for missing;
    columns this version does not declare are typed by their name (see
    :func:`column_kind`), so newer optional columns load without a code change.

    Parameters
    ----------
    path : str or Path
        A ``results.csv`` file or a run folder.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    QvcUsageError
        If the file is missing, empty, unreadable, lacks the required columns or
        rows, or is from a newer schema version.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> write_results([{"schema_version": 1, "model": "svm", "family": "classical", "seed": 1,
    ...                 "accuracy_test": 0.9}], d / "results.csv")
    >>> frame = load_results(d)
    >>> frame["accuracy_test"].dtype.kind, str(frame["seed"].dtype)
    ('f', 'Int64')
    """
    path = Path(path)
    if path.is_dir():
        path = path / "results.csv"
    if not path.is_file():
        raise QvcUsageError(f"no results file at {str(path)!r}; is this a qvc run folder?")
    try:
        _check_row_lengths(path)
        frame = pd.read_csv(path, index_col=False)
    except QvcUsageError:
        raise
    except Exception as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise QvcUsageError(
            f"cannot read {str(path)!r} ({first}); the file is damaged: re-run the experiment "
            "or restore the file"
        ) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise QvcUsageError(
            f"{str(path)!r} is not a qvc results file (missing column(s) {', '.join(missing)}); "
            "give a run folder written by 'qvc run'"
        )
    if frame.empty:
        raise QvcUsageError(f"{str(path)!r} has no result rows; re-run the experiment")
    versions = pd.to_numeric(frame["schema_version"], errors="coerce")
    if versions.isna().any():
        raise QvcUsageError(
            f"{str(path)!r} has rows without a numeric schema_version; the file is damaged: "
            "re-run the experiment or restore the file"
        )
    newest = int(versions.max())
    if newest > SCHEMA_VERSION:
        raise QvcUsageError(
            f"{str(path)!r} has schema version {newest}, newer than this qvc "
            f"({SCHEMA_VERSION}); upgrade qvc"
        )
    text = _text_dtype()
    for c in frame.columns:
        kind = column_kind(c)
        if kind in ("int", "float"):
            _check_numeric_cells(path, frame, c)
        if kind == "int":
            values = pd.to_numeric(frame[c], errors="coerce")
            if (values.dropna() % 1 == 0).all():
                frame[c] = values.astype("Int64")
            else:  # a column named like a count holding fractions: keep the fractions
                frame[c] = values.astype(float)
        elif kind == "float":
            frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
        elif kind == "text":
            frame[c] = frame[c].astype(object).where(frame[c].notna(), float("nan")).astype(text)
        elif kind == "bool":
            frame[c] = frame[c].map(lambda v: _TRUTH.get(str(v).strip().lower(), pd.NA)).astype("boolean")
    return frame
