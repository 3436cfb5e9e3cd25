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


def _cmd_report(args: argparse.Namespace) -> int:
    from qvc.report import write_compare, write_index, write_report

    chosen = [x for x in (args.run_dir, args.compare, args.index) if x]
    if len(chosen) != 1:
        raise QvcUsageError("give one of: RUN_DIR, --compare RUN_A RUN_B, or --index DIR")
    if args.out and not args.compare:
        raise QvcUsageError("--out only applies with --compare")
    if args.compare:
        md, page = write_compare(args.compare[0], args.compare[1], args.out)
        print(page)
    elif args.index:
        print(write_index(args.index))
    else:
        md, page = write_report(args.run_dir)
        print(page)
    return 0


_COMMANDS = {"run": _cmd_run, "datasets": _cmd_datasets, "report": _cmd_report}


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
        print("qvc: interrupted; finished rows are kept in the run folder", file=sys.stderr)
        return 130
