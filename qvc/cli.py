"""The ``qvc`` command. Thin: it parses arguments and calls the library.

Expected mistakes (:class:`~qvc.errors.QvcUsageError`) print one line on
stderr and exit with code 2; nothing already written is removed.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from qvc import __version__
from qvc._io import json_text
from qvc.errors import QvcUsageError, Terminated, stop_signals_interrupt

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise QvcUsageError(f"{message} (see '{self.prog} --help')")


def _csv_list(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _int_list(text: str) -> list[int]:
    try:
        return [int(t) for t in _csv_list(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


#: Where each ``qvc run`` option appears in ``--help``: (group title or None, entries). An entry is an
#: :class:`~qvc.experiment.spec.ExperimentSpec` field (its flag, help, default and type come from the
#: field's declaration, :data:`~qvc.experiment.spec.OPTIONS`), a tuple of fields (mutually exclusive),
#: or a flag of the command alone (:data:`_RUN_ONLY`). Every field with a flag appears once (tested).
_RUN_LAYOUT: tuple[tuple[str | None, tuple], ...] = (
    (None, ("dataset", "csv_path", "target", "qubits", "protocol", "manifold_dim", "degree", "n_hyperplanes",
            "models", "frontier", "seeds", "shots", "shots_tolerance",
            "shots_cap", "device", "device_file", "attribution", "packing", "utilisation", "mitigation", "noise_model",
            "mitigation_factor", "host", "host_file", "execution", "entanglement", "feature_map", "ansatz", "max_iter",
            "threads", "test_size", "samples",
            "out_dir",
            "--json", "--quiet")),
    ("hyperparameters and tuning (cross-validation on the training split)",
     ("tune", "params", "search_space", "tune_budget", "cv_folds", "target_accuracy",
      "equivalence_margin")),
    ("IBM Quantum (--execution ibm:<backend>[:session])",
     ("ibm_timeout_s", "train_on_hardware", "--confirm-qpu", "ibm_max_qpu_seconds")),
    ("energy and carbon", (("country", "carbon_intensity"), "idle_baseline_s", "min_window_s", "max_repeats",
                           "cpu_tdp_table")),
)

#: Flags of ``qvc run`` that are not experiment settings (how the command prints and confirms).
_RUN_ONLY = {
    "--json": "print one JSON object (run folder and rows) and nothing else",
    "--quiet": "no progress on stderr",
    "--confirm-qpu": "confirm the estimated QPU time (needed for --train-on-hardware and above --max-qpu-seconds)",
}


class _DeprecatedAlias(argparse._StoreAction):
    """A stored option some of whose spellings are old: using one prints a one-line deprecation message."""

    def __init__(self, option_strings, dest, *, deprecated: tuple[str, ...] = (), **kwargs) -> None:
        super().__init__(option_strings, dest, **kwargs)
        self.deprecated = deprecated

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        if option_string in self.deprecated:
            from qvc.experiment.spec import deprecation_line

            print(f"qvc: warning: {deprecation_line(option_string, self.option_strings[0])}", file=sys.stderr)
        super().__call__(parser, namespace, values, option_string)


def _aliased(*deprecated: str):
    """``action=`` for an argument whose ``deprecated`` spellings still work (with a message)."""
    import functools

    return functools.partial(_DeprecatedAlias, deprecated=deprecated)


def _add_option(group, name: str) -> None:
    """One ``qvc run`` argument from the declaration of field ``name`` (dest: the field name)."""
    from qvc.experiment.spec import OPTIONS, SPEC_DEFAULTS, help_text

    opt = OPTIONS[name]
    kw: dict = {"help": help_text(name)}
    if not opt.flag.startswith("-"):  # the positional argument
        group.add_argument(name, nargs="?", **kw)
        return
    default = SPEC_DEFAULTS.get(name)
    kw.update(dest=name, default=default)
    if opt.metavar:
        kw["metavar"] = opt.metavar
    elif opt.kind != "switch":
        kw["metavar"] = opt.flag.lstrip("-").replace("-", "_").upper()
    if opt.kind == "switch":
        kw["action"] = "store_false" if default else "store_true"
    elif opt.kind == "params":
        kw.update(action="append", default=[])
    elif opt.kind == "frontier":
        kw.update(nargs="?", const=("all",), type=_csv_list)
    else:
        kw["type"] = {"int": int, "number": _float, "shots": _shots, "names": _csv_list, "ints": _int_list,
                      "text": None, "packing": _packing}[opt.kind]
        if opt.aliases:
            kw["action"] = _aliased(*opt.aliases)
    group.add_argument(opt.flag, *opt.aliases, **kw)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests).

    ``qvc run``'s arguments are generated from :class:`~qvc.experiment.spec.ExperimentSpec`'s field
    declarations (flag, help, type; the default is the field's), laid out by :data:`_RUN_LAYOUT`.
    """
    p = _Parser(prog="qvc", description="Energy of quantum vs classical machine learning.")
    p.add_argument("--version", action="version", version=f"qvc {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    run = sub.add_parser("run", help="run a matched experiment on one dataset")
    for title, entries in _RUN_LAYOUT:
        group = run if title is None else run.add_argument_group(title)
        for entry in entries:
            if isinstance(entry, tuple):
                exclusive = group.add_mutually_exclusive_group()
                for name in entry:
                    _add_option(exclusive, name)
            elif entry in _RUN_ONLY:
                group.add_argument(entry, action="store_true", help=_RUN_ONLY[entry])
            else:
                _add_option(group, entry)

    sub.add_parser("datasets", help="list the bundled datasets")
    _add_ibm_parser(sub)

    sw = sub.add_parser("sweep", help="run a sweep from a TOML spec file (resumable)")
    sw.add_argument("spec", nargs="?", help="the spec file (.toml); see docs/SWEEPS.md")
    sw.add_argument("--resume", metavar="RUN_DIR", help="finish an interrupted sweep's run folder")
    sw.add_argument("--workers", type=int, default=None,
                    help="local worker processes (default: spec's 'workers', else CPU count)")
    sw.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                    help="run the points on this Dask distributed scheduler (extra 'dask')")
    sw.add_argument("--out", default=None, help="parent folder of the run folder (overrides the spec)")
    sw.add_argument("--force", action="store_true",
                    help="with --resume: run the plan as it now reads even if spec.toml or the point list was "
                         "edited since the sweep was made (recorded in sweep.json)")
    sw.add_argument("--no-report", action="store_true", help="skip the sweep report")
    sw.add_argument("--quiet", action="store_true", help="no progress on stderr")
    rep = sub.add_parser(
        "report",
        help="(re)write report.html + report.md from a run folder, compare two runs, or index runs",
        description="Reads results.csv and metadata.json only; nothing is re-run.",
    )
    rep.add_argument("run_dir", nargs="?", help="run folder (holding results.csv and metadata.json)")
    rep.add_argument("--compare", nargs=2, metavar=("RUN_A", "RUN_B"),
                     help="write a side-by-side report of two run folders")
    rep.add_argument("--index", metavar="DIR", help="write DIR/index.html listing every run folder in DIR")
    rep.add_argument("--out", help="with --compare: folder for the comparison (default "
                                   "<parent of RUN_A>/compare-<A>-vs-<B>)")

    exp = sub.add_parser(
        "export", help="write a run's energy as CodeCarbon emissions.csv, BoAmps JSON or Hugging Face model cards",
        description="Reads results.csv and metadata.json only. Local (measured/estimated) energy goes where each "
                    "format has a field for it; modelled QPU energy stays apart, labelled (docs/REPORTS.md).")
    exp.add_argument("run_dir", help="run folder (holding results.csv and metadata.json)")
    exp.add_argument("--format", required=True, choices=("codecarbon", "boamps", "hf-card"), dest="fmt",
                     help="codecarbon (emissions.csv + a qvc sidecar), boamps (one JSON report per model) or "
                          "hf-card (one model card per model)")
    exp.add_argument("--out", help="file to write (codecarbon: appended to when it is a CodeCarbon file already; "
                                   "several models: one file per model, <stem>-<model><suffix>); default RUN/export/")

    dev = sub.add_parser("devices", help="list the quantum device presets with their sources")
    dev.add_argument("--json", action="store_true", help="print one JSON object with every number")
    dev.add_argument("--device-file", default=None, help="TOML file with more device presets")

    est = sub.add_parser("estimate", help="model QPU time and energy of an OpenQASM circuit")
    est.add_argument("circuit", help="OpenQASM 2 or 3 file")
    est.add_argument("--device", required=True, help="device preset (see 'qvc devices'), or ftqc:<qubit model> "
                     "for the fault-tolerant projection beside its NISQ reference preset")
    est.add_argument("--shots", type=int, required=True, help="shots per circuit")
    est.add_argument("--circuits", type=int, default=1,
                     help="executions of the circuit (parameter bindings), default 1")
    est.add_argument("--attribution", "--mode", dest="attribution", default="attributional", action=_aliased("--mode"),
                     help="energy attribution: attributional (default) or marginal (as qvc run --attribution; "
                          "--mode is its old name)")
    est.add_argument("--mitigation", default="none",
                     help="error-mitigation model priced from the circuit's error data: none (default), "
                          "zne or pec (see docs/methodology.md)")
    est.add_argument("--mitigation-factor", type=float, default=1.0,
                     help="a further user multiplier on shots (default 1)")
    est.add_argument("--draws", type=int, default=2000, help="Monte Carlo draws (default 2000)")
    est.add_argument("--seed", type=int, default=0, help="Monte Carlo seed (default 0)")
    est.add_argument("--device-file", default=None, help="TOML file with more device presets")
    est.add_argument("--json", action="store_true", help="print one JSON object and nothing else")

    sub.add_parser("meters", help="which energy meter this machine gets, and why not the better ones")
    sub.add_parser("carbon", help="the offline grid carbon intensity table")

    cc = sub.add_parser("crosscheck", help="run a workload under qvc's meter and CodeCarbon's, side by side")
    cc.add_argument("--dataset", default="iris", help="bundled dataset (default iris)")
    cc.add_argument("--model", default="svm", help="classical model to fit repeatedly: svm or mlp")
    cc.add_argument("--seconds", type=_float, default=5.0, help="how long to repeat the fit (default 5)")
    cc.add_argument("--country", metavar="ISO", help="ISO 3166 code for both tools' carbon intensity")
    return p


def _packing(text: str) -> int | str:
    """``auto``, ``none`` or a whole number of copies (its range is checked with the spec's bound)."""
    if text.strip().lower() in ("auto", "none"):
        return text.strip().lower()
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value.is_integer():
        return int(value)
    raise argparse.ArgumentTypeError(f"expected auto, none or a whole number of copies, got {text!r}")


def _shots(text: str) -> int | str:
    """``auto`` or a whole number of shots (``1e6`` too; its range is checked with the spec's bound)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value.is_integer():
        return int(value)
    raise argparse.ArgumentTypeError(f"expected 'auto' or an integer number of shots, got {text!r}")


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _add_ibm_parser(sub) -> None:
    ibm = sub.add_parser("ibm", help="IBM Quantum jobs: status, fetch, cancel, calibrate")
    isub = ibm.add_subparsers(dest="ibm_command", parser_class=_Parser)
    ledger_help = ("job store, when no run folder is given (default: reports/ibm_ledger.sqlite or "
                   "$QVC_IBM_LEDGER); a run folder finds its own")
    run_help = "run folder: its own job store (as recorded, else next to the folder), as for every qvc ibm command"
    st = isub.add_parser("status", help="jobs in the job store (of one run folder, if given)")
    st.add_argument("run", nargs="?", help=run_help)
    st.add_argument("--ledger", help=ledger_help)
    st.add_argument("--refresh", action="store_true", help="ask the service about pending jobs first")
    fe = isub.add_parser("fetch", help="collect a run's jobs, then finish its results and report")
    fe.add_argument("run", nargs="?", help="run folder (default: every unfinished run in the job store)")
    fe.add_argument("--ledger", help=ledger_help)
    fe.add_argument("--no-wait", action="store_true", help="check once and return")
    fe.add_argument("--usage", action="store_true",
                    help="complete run: read the QPU usage that was pending or absent again and "
                         "rewrite its rows and report (nothing runs again)")
    fe.add_argument("--timeout", type=float, default=None, help="seconds to wait (default 3600)")
    ca = isub.add_parser("cancel", help="cancel a pending job (IBM job id or qvc tag)")
    ca.add_argument("job", help="IBM job id or qvc tag (see 'qvc ibm status')")
    ca.add_argument("run", nargs="?", help=run_help)
    ca.add_argument("--ledger", help=ledger_help)
    cal = isub.add_parser("calibrate", help="hardware-reported vs modelled QPU time per backend")
    cal.add_argument("run", nargs="?", help=run_help)
    cal.add_argument("--ledger", help=ledger_help)
    cal.add_argument("--json", action="store_true", help="print one JSON object and nothing else")
    cal.add_argument("--device", default="ibm_heron",
                     help="device preset whose per-job overhead is compared (default ibm_heron)")
    cal.add_argument("--device-file", default=None, help="TOML file with more device presets")


def _spec_from_args(args: argparse.Namespace):
    from qvc.experiment.spec import OPTIONS, ExperimentSpec
    from qvc.models.hyperparams import parse_param_assignments

    if args.dataset is None and args.csv_path is None:
        raise QvcUsageError("give a dataset name (see 'qvc datasets') or --csv PATH --target COLUMN")
    if args.dataset is not None and args.csv_path is not None:
        raise QvcUsageError("give either a dataset name or --csv, not both")
    if args.target is not None and args.csv_path is None:
        raise QvcUsageError("--target only applies with --csv PATH")
    values = {name: getattr(args, name) for name, opt in OPTIONS.items() if opt.flag}
    values["dataset"] = args.dataset or "csv"
    values["params"] = parse_param_assignments(args.params)
    for name, opt in OPTIONS.items():
        if opt.kind in ("names", "ints", "frontier"):
            values[name] = tuple(values[name])
    return ExperimentSpec(**values)


def _json_safe(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _json_safe(value.item())
    return value


def _cmd_run(args: argparse.Namespace) -> int:
    from qvc._preflight import check_run_args

    check_run_args(args)  # argument-only checks (memory included): before heavy imports and any folder
    from qvc.experiment.runner import run_experiment, stderr_progress
    from qvc.report.markdown import summary_table

    spec = _spec_from_args(args)
    progress = None if (args.quiet or args.json) else stderr_progress
    if spec.train_on_hardware:
        _confirm_hardware_training(spec, args.confirm_qpu)
    _check_qpu_budget(spec, args.confirm_qpu)
    result = run_experiment(spec, progress=progress)
    verdict = _verdict(result.run_dir)
    if args.json:
        rows = [{k: _json_safe(v) for k, v in r.items()} for r in result.rows]
        print(json_text({"run_dir": str(Path(result.run_dir).resolve()), "rows": rows, "verdict": verdict}))
    else:
        print(summary_table(result.rows))
        if verdict:
            print("\nIn short:")
            for sentence in verdict:
                print(f"- {sentence}")
        print(f"\nrun folder: {Path(result.run_dir).resolve()}")
    return 0


def _verdict(run_dir) -> list[str]:
    """The report's one-sentence verdicts ("In short") of a finished run folder."""
    from qvc.report import build_run_report, load_run

    run = load_run(run_dir)
    if run.results is None or run.results.empty:
        return []
    return list(build_run_report(run.results, run.metadata).summary)


def _confirm_hardware_training(spec, confirmed: bool) -> None:
    from qvc.experiment.ibm import estimate_training
    from qvc.models.registry import MODELS

    spec.validate()
    trainers = [e.name for e in MODELS.values() if e.trains_on_hardware]
    if not set(trainers) & set(spec.models):
        raise QvcUsageError(f"--train-on-hardware applies to the {', '.join(trainers)} model; "
                            f"add {trainers[0]} to --models")
    est = estimate_training(spec)
    energy = "n/a" if est["energy_j"] is None else f"{est['energy_j']:.4g} J"
    print(f"qvc: training the VQC on {est['backend']} takes up to {est['jobs']} jobs, "
          f"{est['circuits']} circuits x {est['shots']} shots: about {est['qpu_seconds']:.4g} QPU s, "
          f"{energy}, USD {est['usd_list_price']:.2f} at list price ({est['method']}, "
          f"device preset {est['device_preset']})", file=sys.stderr)
    if not confirmed:
        raise QvcUsageError("training on hardware needs --confirm-qpu (estimate above); "
                            "without --train-on-hardware the VQC trains locally and runs inference on the backend")


def _check_qpu_budget(spec, confirmed: bool) -> None:
    """A run on a real IBM backend: print its estimated QPU time; refuse above the budget.

    The budget (``--max-qpu-seconds``, default the Open plan's 600 s a month) is
    also sent with every job as ``max_execution_time``. Local testing mode (fake
    backends) costs nothing and is not checked.
    """
    from qvc.experiment.ibm import OPEN_PLAN_QPU_SECONDS, estimate_run
    from qvc.models.registry import get_model
    from qvc.quantum.ibm.service import get_gateway, parse_ibm_execution

    try:
        is_ibm = spec.execution_mode.is_ibm and any(get_model(m).quantum for m in spec.models)
    except QvcUsageError:
        return  # a bad mode or model name: validation below reports it with its flag
    if not is_ibm:
        return
    spec.validate()
    backend = parse_ibm_execution(spec.execution).backend
    if get_gateway(backend).is_local:
        ignored = [flag for flag, given in (("--ibm-timeout", spec.ibm_timeout_s is not None),
                                            ("--max-qpu-seconds", spec.ibm_max_qpu_seconds is not None),
                                            ("--confirm-qpu", confirmed)) if given]
        if ignored:
            print(f"qvc: {', '.join(ignored)} ignored: {backend} runs in local testing mode (Aer in this process, "
                  "no QPU, nothing queued), so there is no QPU time to budget or confirm and no job to wait for",
                  file=sys.stderr)
        return
    budget = OPEN_PLAN_QPU_SECONDS if spec.ibm_max_qpu_seconds is None else spec.ibm_max_qpu_seconds
    est = estimate_run(spec)
    print(f"qvc: this run sends up to {est['circuits']} circuits x {est['shots']} shots in "
          f"{est['jobs']} job(s) to {backend}: about {est['qpu_seconds']:.4g} QPU s, USD "
          f"{est['usd_list_price']:.2f} at list price ({est['method']}, device preset "
          f"{est['device_preset']}); budget {budget:g} QPU s (--max-qpu-seconds)", file=sys.stderr)
    if est["qpu_seconds"] > budget:
        if not confirmed:
            raise QvcUsageError(
                f"the estimated {est['qpu_seconds']:.4g} QPU s exceed --max-qpu-seconds {budget:g}; "
                "add --confirm-qpu to run anyway, raise --max-qpu-seconds, or use fewer "
                "--samples/--shots")
        budget = float(est["qpu_seconds"])
    spec.ibm_max_qpu_seconds = budget


def _print_ledger_rows(rows) -> None:
    if not rows:
        print("no jobs")
        return
    print(f"{'job id':38s} {'status':13s} {'backend':14s} {'model':6s} {'phase':8s} {'circ':>6s} "
          f"{'shots':>6s} {'QPU s':>8s}  run")
    for r in rows:
        qpu = "-" if r.qpu_seconds is None else f"{r.qpu_seconds:.3g}"
        print(f"{(r.job_id or r.tag):38s} {r.status:13s} {r.backend:14s} {r.model or '':6s} "
              f"{r.phase or '':8s} {r.n_circuits:6d} {r.shots:6d} {qpu:>8s}  {r.run_id or ''}")
    qpu_note = {r.usage_source for r in rows if r.usage_source}
    if qpu_note:
        print(f"QPU s: {'; '.join(sorted(qpu_note))}")


def _cmd_ibm(args: argparse.Namespace) -> int:
    from qvc.experiment.runner import stderr_progress
    from qvc.quantum.ibm import jobs

    if args.ibm_command is None:
        raise QvcUsageError("give an ibm command: status, fetch, cancel or calibrate (see 'qvc ibm --help')")
    if args.ibm_command == "status":
        ledger, run_id = _job_store(args)
        rows = ledger.rows() if run_id is None else ledger.rows_for_run(run_id)
        if args.refresh:
            rows = jobs.refresh(ledger, rows, timeout_s=0)
        print(f"job store: {ledger.path}")
        _print_ledger_rows(rows)
        return 0
    if args.ibm_command == "fetch":
        from qvc.experiment.ibm import fetch_run

        if args.run and args.ledger:
            raise QvcUsageError("give a run folder or --ledger, not both (a run folder finds its own job store)")
        runs = [args.run] if args.run else _unfinished_runs(jobs.open_store(args.ledger),
                                                            usage=args.usage)
        if not runs:
            print("no unfinished runs in the ledger")
            return 0
        for run in runs:
            state, rows = fetch_run(run, wait=not args.no_wait, timeout_s=args.timeout,
                                    progress=stderr_progress, usage=args.usage)
            if state == "already complete":
                print(f"{run}: already complete; nothing fetched, nothing re-run (its results.csv and "
                      f"report are unchanged; 'qvc report {run}' rewrites the report)")
            elif state == "usage":
                from qvc.report.markdown import summary_table

                print(summary_table(rows))
                print(f"\nrun folder: {Path(run).resolve()} (reported usage refreshed)")
            elif state == "pending":
                print(f"{run}: {len(rows)} job(s) still pending; run 'qvc ibm fetch {run}' again later")
                _print_ledger_rows(rows)
            else:
                from qvc.report.markdown import summary_table

                print(summary_table(rows))
                print(f"\nrun folder: {Path(run).resolve()} (complete)")
        return 0
    if args.ibm_command == "cancel":
        ledger, _ = _job_store(args)
        row = jobs.cancel(ledger, args.job)
        print(f"cancelled job {row.job_id} on {row.backend} (job store: {ledger.path})")
        return 0
    from qvc.energy.devices import get_device

    device = get_device(args.device, args.device_file)
    ledger, _ = _job_store(args)
    result = jobs.calibrate(ledger, per_job_overhead_s=device.per_job_overhead_s)
    from qvc._io import write_json

    out = ledger.path.parent / "ibm_calibration.json"
    record = {"ledger": str(ledger.path), "device_preset": device.name, "backends": result}
    write_json(record, out)
    if args.json:
        print(json_text({**record, "written": str(out.resolve())}))
        return 0
    print(f"job store: {ledger.path}")
    _print_calibration(result, device.name)
    print(f"written: {out.resolve()}")
    return 0


def _job_store(args: argparse.Namespace):
    """``(store, run id or None)`` of a ``qvc ibm`` command: the run folder's own job store when a run
    folder is given, else ``--ledger`` (default ``reports/ibm_ledger.sqlite`` or ``$QVC_IBM_LEDGER``)."""
    from qvc.quantum.ibm import jobs

    run = getattr(args, "run", None)
    if run and args.ledger:
        raise QvcUsageError("give a run folder or --ledger, not both (a run folder finds its own job store)")
    if not run:
        return jobs.open_store(args.ledger), None
    from qvc.experiment.ibm import run_store
    from qvc.record.runfolder import load_run

    folder = load_run(run, with_results=False)
    return run_store(folder.path, folder.metadata), folder.path.name


def _print_calibration(result: list[dict], preset: str) -> None:
    """``qvc ibm calibrate``'s table: one line per backend, units in the header."""
    if not result:
        print("no finished jobs in the job store")
        return

    def num(entry: dict, key: str) -> str:
        value = entry.get(key)
        return "-" if value is None else f"{value:.4g}"

    print(f"{'backend':16s} {'jobs done':>9s} {'w/ usage':>8s} {'reported QPU s':>14s} {'modelled QPU s':>14s} "
          f"{'reported/modelled':>17s} {'fitted overhead s':>17s}  note")
    for e in result:
        note = e.get("note") or ("" if "fitted_per_job_overhead_s" in e else e.get("fit", ""))
        print(f"{e['backend']:16s} {e['jobs_done']:>9d} {e['jobs_with_reported_usage']:>8d} "
              f"{num(e, 'reported_qpu_seconds'):>14s} {num(e, 'modelled_qpu_seconds'):>14s} "
              f"{num(e, 'ratio_reported_to_modelled'):>17s} {num(e, 'fitted_per_job_overhead_s'):>17s}  {note}")
    print(f"modelled QPU s = modelled shot time + the {preset} preset's per-job overhead x jobs; fitted overhead: "
          "least-squares intercept of reported vs modelled shot time (--device picks the preset)")


def _unfinished_runs(ledger, usage: bool = False) -> list[str]:
    """Runs whose jobs are not all collected; with ``usage``, also complete runs whose
    usage (jobs or sessions) is not reported yet."""
    from qvc.quantum.ibm.tracker import HARDWARE_REPORTED, LOCAL_NO_QPU
    from qvc.record.runfolder import run_status

    open_usage = set()
    if usage:
        open_usage = {r.run_id for r in ledger.rows() if r.job_id and r.usage_source not in (
            HARDWARE_REPORTED, LOCAL_NO_QPU) and (r.status == "DONE" or r.status.failed)}
        open_usage |= {s.run_id for s in ledger.sessions("mode = 'session' AND usage_seconds IS NULL")}
    runs = []
    for run_id in dict.fromkeys(r.run_id for r in ledger.rows() if r.run_id):
        folder = ledger.path.parent / run_id
        status = run_status(folder)
        if status is not None and (status != "complete" or run_id in open_usage):
            runs.append(str(folder))
    return runs


def _cmd_datasets(args: argparse.Namespace) -> int:
    from qvc.data import list_datasets

    for name, text in list_datasets().items():
        print(f"{name:19s} {text}")
    print(f"{'(csv)':19s} any CSV file: qvc run --csv PATH --target COLUMN")
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from qvc.experiment.specfile import load_spec_file
    from qvc.experiment.sweep import resume_sweep, run_sweep

    if (args.spec is None) == (args.resume is None):
        raise QvcUsageError("give a spec file (qvc sweep SPEC.toml) or --resume RUN_DIR, not both")
    if args.workers is not None and args.workers < 1:
        raise QvcUsageError(f"--workers must be >= 1 (got {args.workers})")
    if args.resume is not None:
        if args.out is not None:
            raise QvcUsageError("--out does not apply with --resume (the run folder is fixed)")
        result = resume_sweep(args.resume, workers=args.workers, scheduler=args.scheduler,
                              progress=not args.quiet, force=args.force)
    else:
        if args.force:
            raise QvcUsageError("--force applies with --resume only (it accepts an edited plan)")
        if args.out is not None:
            from qvc._preflight import check_out_dir

            check_out_dir(args.out)
        spec = load_spec_file(args.spec, progress=None if args.quiet else _stderr_line)
        if args.out is None:
            from qvc._preflight import check_out_dir

            check_out_dir(spec.out_dir, "the spec's out_dir")
        result = run_sweep(spec, workers=args.workers, scheduler=args.scheduler, out_dir=args.out,
                           progress=not args.quiet)
    if not args.no_report:
        from qvc.report.sweep_report import write_sweep_report

        page = write_sweep_report(result.run_dir)
        print(f"report: {Path(page).resolve()}")
    print(f"run folder: {Path(result.run_dir).resolve()} ({len(result.rows)} points)")
    return 0


def _stderr_line(message: str) -> None:
    print(f"qvc: {message}", file=sys.stderr, flush=True)


def _cmd_report(args: argparse.Namespace) -> int:
    from qvc.report import write_compare, write_index, write_report

    chosen = [x for x in (args.run_dir, args.compare, args.index) if x]
    if len(chosen) != 1:
        raise QvcUsageError("give one of: RUN_DIR, --compare RUN_A RUN_B, or --index DIR")
    if args.out and not args.compare:
        raise QvcUsageError("--out only applies with --compare")
    if args.compare:
        md, page = write_compare(args.compare[0], args.compare[1], args.out)
        print(page.resolve())
    elif args.index:
        print(write_index(args.index).resolve())
    else:
        md, page = write_report(args.run_dir)
        print(page.resolve())
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from qvc.report.export import export_run

    done = export_run(args.run_dir, args.fmt, args.out)
    for path in done.files:
        print(path.resolve())
    return 0


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _cmd_devices(args: argparse.Namespace) -> int:
    from qvc.energy.devices import list_devices
    from qvc.energy.ftqc import list_ftqc

    devices = list_devices(args.device_file)
    ftqc = list_ftqc(args.device_file)
    if args.json:
        print(json_text({"devices": {n: d.to_dict() for n, d in devices.items()},
                         "ftqc": {f.device_name: f.to_dict() for f in ftqc.values()}}))
        return 0
    import shutil
    import textwrap

    width = max(60, min(shutil.get_terminal_size((100, 24)).columns, 120))

    def wrapped(text: str, indent: str = "  ") -> None:
        print(textwrap.fill(text, width, initial_indent=indent, subsequent_indent=indent + "  ",
                            break_on_hyphens=False, break_long_words=False))

    def source(text: str) -> None:
        wrapped(f"source: {text}", " " * 6)

    wrapped("Device presets: each number's unit is in its name (_s seconds, _w watts; errors, idle fractions "
            "and pue are ratios), its typical value and [low .. high] range, its source below it.", "")
    print()
    for name, d in devices.items():
        params = d.uncertain_params()
        unverified = sum(not p.verified for p in params.values())
        kw = max(24, *(len(k) for k in {**params, **d.error_params}))
        wrapped(f"{name}: {d.description}", "")
        wrapped(f"platform {d.platform}; {d.num_qubits} qubits; timing from "
                + (f"{d.fake_backend} Target" if d.fake_backend else "layered gate-time model")
                + f"; native gates {', '.join(d.basis_gates)}")
        wrapped(f"attributional power at typical values: {d.attributional_power_w():.0f} W "
                f"(PUE included); {unverified} of {len(params)} ranged numbers unverified")
        print(f"  {'parameter':{kw}s} {'typical':>9s}  [low .. high]")
        for key, p in {**params, **d.error_params}.items():
            print(f"  {key:{kw}s} {_fmt(p.typical):>9s}  [{_fmt(p.low)} .. {_fmt(p.high)}]")
            source(p.source)
        if d.fake_backend:
            note = f"; {d.target_errors_note}" if d.target_errors_note else ""
            print(f"  {'gate and readout errors':{kw}s} {'':>9s}  per physical qubit")
            source(f"{d.fake_backend} Target{note}")
        print(f"  {'max_circuits_per_job':{kw}s} {d.max_circuits.value:>9d}")
        source(d.max_circuits.source)
        if d.max_executions is not None:
            print(f"  {'max_executions_per_job':{kw}s} {d.max_executions.value:>9d}")
            source(d.max_executions.source)
        print()
    wrapped("Fault-tolerant presets (--device ftqc:<name>; energies labelled projected; the resource "
            "estimator sizes the machine per circuit, docs/methodology.md section 10):", "")
    print()
    for f in ftqc.values():
        params = f.profile.uncertain_params()
        kw = max(24, *(len(k) for k in params))
        wrapped(f"{f.device_name}: {f.description}", "")
        wrapped(f"qubit model {f.qubit_model}, {f.qec_scheme}, error budget {f.error_budget:g} "
                f"({f.error_budget_source}); power profile {f.profile.name}; NISQ reference {f.nisq_reference}"
                + (f"; qubit parameters {f.qubit_params}" if f.qubit_params else ""))
        print(f"  {'parameter':{kw}s} {'typical':>9s}  [low .. high]")
        for key, p in params.items():
            print(f"  {key:{kw}s} {_fmt(p.typical):>9s}  [{_fmt(p.low)} .. {_fmt(p.high)}]")
            source(p.source)
        print()
    print("'qvc devices --json' gives every number with its source as one JSON object.")
    return 0


def _cmd_estimate(args: argparse.Namespace) -> int:
    from qvc import _preflight as pf
    from qvc._validation import check_positive_int
    from qvc.experiment.spec import check_option

    # shots, seed and mitigation factor have the run options' declared ranges
    shots = check_option("shots", args.shots, "--shots")
    circuits = check_positive_int(args.circuits, "--circuits", maximum=pf.MAX_CIRCUITS, why=pf.WHY_CIRCUITS)
    check_positive_int(args.draws, "--draws", maximum=pf.MAX_DRAWS, why=pf.WHY_DRAWS)
    check_option("seeds", [args.seed], "--seed")
    check_option("mitigation_factor", args.mitigation_factor, "--mitigation-factor")
    from qvc.energy.ftqc import resolve_device
    from qvc.energy.hardware import estimate_circuit
    from qvc.quantum.qasm import load_qasm

    device, ftqc = resolve_device(args.device, args.device_file)
    circuit = load_qasm(args.circuit)
    from qvc.energy.mitigation import check_mitigation

    check_mitigation(args.mitigation)
    out = estimate_circuit(circuit, device, shots=shots, circuits=circuits, mode=args.attribution,
                           mitigation_factor=args.mitigation_factor, mitigation=args.mitigation,
                           n_draws=args.draws, seed=args.seed)
    if ftqc is not None:
        return _print_ftqc_estimate(args, circuit, ftqc, out, shots, circuits)
    if args.json:
        print(json_text(out))
        return 0
    q, e = out["qpu_seconds"], out["energy_j"]["total"]
    overhead = out["mitigation_overhead"]
    print(f"device {out['device']} ({out['platform']}, timing: {out['timing']}); attribution {out['mode']}; "
          f"{out['circuits']} circuit(s) x {out['shots']} shots, {out['jobs']} job(s)")
    print(f"native circuit: depth {out['depth']}, gates {out['gate_counts']}, one shot "
          f"{out['duration_s'] * 1e6:.3f} us")
    esp = out["esp"]
    print(f"estimated success probability: {'n/a (no error data)' if esp is None else f'{esp:.4g}'}; "
          f"mitigation {out['mitigation']}: shots x{'inf' if overhead is None else _fmt(overhead)}"
          + (" -- BEYOND PRACTICAL MITIGATION (PEC gamma^2 > 100)" if out["beyond_practical_mitigation"] else ""))
    for label, fig in (("QPU seconds (modelled)", q), ("energy J (modelled)   ", e)):
        print(f"{label}: median {_fmt(fig['median'])}, 90% interval [{_fmt(fig['low'])}, "
              f"{_fmt(fig['high'])}]; all-typical {_fmt(fig['typical'])}"
              + ("" if fig["typical_in_interval"] else " (outside the interval: skewed ranges)"))
    if out["mitigation"] != "none" or out["mitigation_factor"] != 1:
        u = out["energy_unmitigated_j"]
        print(f"energy J without mitigation: median {_fmt(u['median'])}, 90% interval "
              f"[{_fmt(u['low'])}, {_fmt(u['high'])}]")
    for c, v in out["energy_j"].items():
        if c != "total":
            print(f"  {c:12s} {_fmt(v['typical']):>10s} J  [{_fmt(v['low'])}, {_fmt(v['high'])}]")
    print(f"Landauer floor: {_fmt(out['landauer_j'])} J for {_fmt(out['erased_bits'])} erased bits at "
          f"300 K; the typical energy is {out['orders_above_landauer']:.1f} orders of magnitude above it")
    print("most sensitive numbers (energy at low .. high, others typical):")
    for r in out["sensitivity"]:
        print(f"  {r['parameter']:32s} {_fmt(r['energy_j_at_low'])} .. {_fmt(r['energy_j_at_high'])} J")
    return 0


def _print_ftqc_estimate(args: argparse.Namespace, circuit, ftqc, nisq: dict, shots: int, circuits: int) -> int:
    """``qvc estimate --device ftqc:<name>``: the projected FT cost, with the NISQ reference price beside it."""
    from qvc.energy.ftqc import price_ftqc
    from qvc.quantum.ledger import LedgerEntry

    cost = price_ftqc([LedgerEntry("circuit", "run", circuit, circuits, shots, "circuit")], ftqc, shots=shots,
                      mode=args.attribution, n_draws=args.draws, seed=args.seed)
    d = cost.to_dict()
    iv = d.pop("energy_interval")
    d["energy_j"] = {"typical": cost.energy_j, **iv}
    d.update(circuits=circuits, preset=ftqc.to_dict(), nisq_reference=nisq)
    if args.json:
        print(json_text(d))
        return 0
    big = cost.largest
    print(f"device {cost.device} (qubit model {ftqc.qubit_model}, {ftqc.qec_scheme}, error budget "
          f"{ftqc.error_budget:g}); attribution {cost.mode}; {circuits} circuit(s) x {shots} shots")
    print(f"resource estimator: {big.physical_qubits} physical qubits ({big.physical_qubits_tfactories} in T "
          f"factories), {big.logical_qubits} logical qubits, code distance {big.code_distance}, one shot "
          f"{big.runtime_per_shot_s * 1e6:.4g} us")
    e = d["energy_j"]
    print(f"energy J (projected): median {_fmt(e['median'])}, 90% interval [{_fmt(e['low'])}, {_fmt(e['high'])}]; "
          f"all-typical {_fmt(e['typical'])}")
    for c, v in cost.components_j.items():
        print(f"  {c:12s} {_fmt(v):>10s} J")
    print(f"amplitude estimation instead of shots: {_fmt(cost.ae_energy_j)} J (x{cost.ae_factor:.3g}; a cost scaling)")
    ne = nisq["energy_j"]["total"]
    print(f"NISQ reference {nisq['device']} (modelled): median {_fmt(ne['median'])} J, 90% interval "
          f"[{_fmt(ne['low'])}, {_fmt(ne['high'])}]")
    return 0


def _cmd_meters(args: argparse.Namespace) -> int:
    from qvc.energy.meters import EnergyMeter

    d = EnergyMeter().describe()
    print(f"meter: {d['meter']} ({d['method']}); shortest trusted window {d['min_window_s']:g} s")
    for b in d["backends"]:
        print(f"  {b.get('backend')}: " + ", ".join(f"{k}={v}" for k, v in b.items() if k != "backend"))
    for b in d["backends"]:
        if "cpu_power_rule" in b:
            rule = {"model": "this CPU model's TDP / threads", "family": "vendor-family fallback",
                    "default": "Green Algorithms default", "user": "user value"}[b["cpu_power_rule"]]
            print(f"CPU power per hardware thread: {b['cpu_power_per_thread_w']:.4g} W ({rule})")
    for n in d["not_used"]:
        print(f"not used: {n['backend']}: {n['reason']}")
    return 0


def _cmd_carbon(args: argparse.Namespace) -> int:
    from qvc.energy import carbon

    print(f"{'ISO2':4s} {'ISO3':4s} {'gCO2e/kWh':>9s}  country (grid carbon intensity of electricity, life cycle)")
    for a2, (a3, name, value) in carbon.COUNTRIES.items():
        print(f"{a2:4s} {a3:4s} {value:9.1f}  {name}")
    print(f"world default {carbon.WORLD_DEFAULT_G_PER_KWH:g} gCO2e/kWh: {carbon.WORLD_DEFAULT_SOURCE}")
    print(f"countries: {carbon.COUNTRY_SOURCE}")
    return 0


def _cmd_crosscheck(args: argparse.Namespace) -> int:
    import warnings

    from qvc._validation import check_choice, check_nonnegative_float
    from qvc.data import prepare_dataset
    from qvc.energy.carbon import carbon_intensity
    from qvc.energy.meters.crosscheck import codecarbon_available, crosscheck, format_crosscheck
    from qvc.models.registry import MODELS, ModelConfig, build_model

    classical = [m for m, entry in MODELS.items() if not entry.quantum]
    check_choice(args.model, classical, "cross-check model")
    seconds = check_nonnegative_float(args.seconds, "--seconds")
    carbon_intensity(args.country)
    if not codecarbon_available():
        raise QvcUsageError("codecarbon is not installed; pip install 'qvc[codecarbon]' to cross-check")
    data = prepare_dataset(args.dataset)
    cfg = ModelConfig(n_features=data.n_features, n_classes=data.n_classes)
    est = build_model(args.model, cfg).estimator

    def workload():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(data.X_train, data.y_train)

    print(format_crosscheck(crosscheck(workload, seconds=seconds, country=args.country)))
    return 0


#: Commands whose written files go under ``--out`` (only these are told to choose another one).
_OUT_COMMANDS = ("run", "sweep")


def _os_error_line(exc: OSError, command: str | None = "run") -> str:
    """One line for a file-system fault: what failed, where, and what to do (``--out`` is named only
    for the commands that have it)."""
    import errno

    where = f" {str(exc.filename)!r}" if exc.filename else ""
    reason = exc.strerror or type(exc).__name__
    other = "choose another --out" if command in _OUT_COMMANDS else "choose another folder"
    fix = {
        errno.ENOSPC: f"free disk space or {other}",
        errno.EDQUOT: f"free disk space or {other}",
        errno.EROFS: f"the file system is read-only: {other}",
        errno.EACCES: f"no permission: {other} or fix the permissions of that path",
        errno.EPERM: f"no permission: {other} or fix the permissions of that path",
        errno.ENOTDIR: "a path component is a file, not a folder: check "
                       + ("--out" if command in _OUT_COMMANDS else "the path"),
        errno.EISDIR: "a folder was given where a file is needed: check the path",
    }.get(exc.errno or 0, "check the path and the disk, then re-run")
    return f"cannot write or read{where}: {reason} (errno {exc.errno}); {fix}"


def _say_stopped(line: str) -> None:
    """The one line of a run stopped by a signal (a closed terminal may have taken stderr with it)."""
    try:
        print(line, file=sys.stderr, flush=True)
    except OSError:
        pass


_COMMANDS = {
    "run": _cmd_run, "datasets": _cmd_datasets, "meters": _cmd_meters, "carbon": _cmd_carbon,
    "crosscheck": _cmd_crosscheck, "devices": _cmd_devices, "estimate": _cmd_estimate,
    "report": _cmd_report, "export": _cmd_export, "ibm": _cmd_ibm, "sweep": _cmd_sweep,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qvc`` command; returns the exit code.

    Examples
    --------
    >>> main(["datasets"])  # doctest: +ELLIPSIS
    iris ...
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        with stop_signals_interrupt():  # SIGTERM / SIGHUP end a run like Ctrl-C (issue 31)
            return _COMMANDS[args.command](args)
    except QvcUsageError as exc:
        from qvc.experiment.spec import flag_message

        print(f"qvc: error: {flag_message(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except Terminated as exc:
        _say_stopped(f"qvc: stopped by {exc.signal_name}; finished rows are kept in the run folder, its status "
                     "says interrupted (a sweep continues with: qvc sweep --resume RUN_DIR)")
        return exc.exit_code
    except KeyboardInterrupt:
        print("qvc: interrupted; finished rows are kept in the run folder "
              "(a sweep continues with: qvc sweep --resume RUN_DIR)", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # stdout closed early (e.g. `qvc devices | head`): not an error worth a traceback.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:  # disk full, read-only folder, a file where a folder should be
        print(f"qvc: error: {_os_error_line(exc, getattr(locals().get('args'), 'command', None))}", file=sys.stderr)
        return EXIT_USAGE
