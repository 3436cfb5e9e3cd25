"""The ``qvc`` command. Thin: it parses arguments and calls the library.

Expected mistakes (:class:`~qvc.errors.QvcUsageError`) print one line on
stderr and exit with code 2; nothing already written is removed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence

from qvc import __version__
from qvc.errors import QvcUsageError

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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    p = _Parser(prog="qvc", description="Energy of quantum vs classical machine learning.")
    p.add_argument("--version", action="version", version=f"qvc {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    run = sub.add_parser("run", help="run a matched experiment on one dataset")
    run.add_argument("dataset", nargs="?", help="bundled dataset (see 'qvc datasets')")
    run.add_argument("--csv", dest="csv_path", help="a CSV file to use instead of a bundled dataset")
    run.add_argument("--target", help="label column of --csv")
    run.add_argument("--qubits", type=int, help="features = qubits (default: per dataset)")
    run.add_argument("--models", type=_csv_list, default=None,
                     help="comma-separated subset of svm,qsvc,mlp,vqc (default: all)")
    run.add_argument("--seed", type=_int_list, default=None,
                     help="seed, or comma-separated seeds (default 42)")
    run.add_argument("--shots", type=int, default=1024, help="shots per circuit (default 1024)")
    run.add_argument("--device", default="ibm_heron", help="device preset (default ibm_heron)")
    run.add_argument("--execution", default="exact", help="quantum execution mode (default exact)")
    run.add_argument("--max-iter", type=int, default=100,
                     help="shared iteration budget of mlp and vqc (default 100)")
    run.add_argument("--test-size", type=float, default=0.25, help="held-out fraction (0.25)")
    run.add_argument("--samples", type=int, default=None, help="subsample to at most N samples")
    run.add_argument("--out", default="reports", help="parent folder of the run folder")
    run.add_argument("--json", action="store_true",
                     help="print one JSON object (run folder and rows) and nothing else")
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")

    sub.add_parser("datasets", help="list the bundled datasets")

    sw = sub.add_parser("sweep", help="run a sweep from a TOML spec file (resumable)")
    sw.add_argument("spec", nargs="?", help="the spec file (.toml); see docs/SWEEPS.md")
    sw.add_argument("--resume", metavar="RUN_DIR", help="finish an interrupted sweep's run folder")
    sw.add_argument("--workers", type=int, default=None,
                    help="local worker processes (default: spec's 'workers', else CPU count)")
    sw.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                    help="run the points on this Dask distributed scheduler (extra 'dask')")
    sw.add_argument("--out", default=None, help="parent folder of the run folder (overrides the spec)")
    sw.add_argument("--no-report", action="store_true", help="skip the sweep report")
    sw.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return p


def _spec_from_args(args: argparse.Namespace):
    from qvc.experiment.spec import ExperimentSpec
    from qvc.models.registry import MODEL_NAMES

    if args.dataset is None and args.csv_path is None:
        raise QvcUsageError("give a dataset name (see 'qvc datasets') or --csv PATH --target COLUMN")
    if args.dataset is not None and args.csv_path is not None:
        raise QvcUsageError("give either a dataset name or --csv, not both")
    if args.target is not None and args.csv_path is None:
        raise QvcUsageError("--target only applies with --csv PATH")
    return ExperimentSpec(
        dataset=args.dataset or "csv",
        qubits=args.qubits,
        models=tuple(args.models) if args.models is not None else MODEL_NAMES,
        seeds=tuple(args.seed) if args.seed else (42,),
        shots=args.shots,
        device=args.device,
        execution=args.execution,
        max_iter=args.max_iter,
        test_size=args.test_size,
        max_samples=args.samples,
        csv_path=args.csv_path,
        target=args.target,
        out_dir=args.out,
    )


def _json_safe(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _json_safe(value.item())
    return value


def _cmd_run(args: argparse.Namespace) -> int:
    from qvc.experiment.runner import run_experiment
    from qvc.report.markdown import summary_table

    spec = _spec_from_args(args)
    progress = None if (args.quiet or args.json) else None
    if not (args.quiet or args.json):
        from qvc.experiment.runner import _stderr_progress as progress
    result = run_experiment(spec, progress=progress)
    if args.json:
        rows = [{k: _json_safe(v) for k, v in r.items()} for r in result.rows]
        print(json.dumps({"run_dir": str(result.run_dir), "rows": rows}))
    else:
        print(summary_table(result.rows))
        print(f"\nrun folder: {result.run_dir}")
    return 0


def _cmd_datasets(args: argparse.Namespace) -> int:
    from qvc.data import list_datasets

    for name, text in list_datasets().items():
        print(f"{name:14s} {text}")
    print(f"{'(csv)':14s} any CSV file: qvc run --csv PATH --target COLUMN")
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
                              progress=not args.quiet)
    else:
        spec = load_spec_file(args.spec)
        result = run_sweep(spec, workers=args.workers, scheduler=args.scheduler, out_dir=args.out,
                           progress=not args.quiet)
    if not args.no_report:
        from qvc.report.sweep_report import write_sweep_report

        page = write_sweep_report(result.run_dir)
        print(f"report: {page}")
    print(f"run folder: {result.run_dir} ({len(result.rows)} points)")
    return 0


_COMMANDS = {"run": _cmd_run, "datasets": _cmd_datasets, "sweep": _cmd_sweep}


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
        return _COMMANDS[args.command](args)
    except QvcUsageError as exc:
        print(f"qvc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("qvc: interrupted; finished rows are kept in the run folder "
              "(a sweep continues with: qvc sweep --resume RUN_DIR)", file=sys.stderr)
        return 130
