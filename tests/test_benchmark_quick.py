"""``benchmarks/bench_engine.py --quick``: every section small, and it says what it skipped (issue 32)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_engine.py"


@pytest.fixture(scope="module")
def bench():
    saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    spec = importlib.util.spec_from_file_location("bench_engine_under_test", BENCH)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)  # pins the thread variables: put them back afterwards
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return module


def test_quick_runs_every_section_small(bench):
    args = bench.parse_args(["--quick"])
    assert not (args.skip_kernel or args.skip_qnn or args.skip_vqc)  # every section still runs
    assert max(n for n, _ in args.sizes) <= 8
    assert max(args.qnn_sizes) <= 8 and max(args.vqc_sizes) <= 4
    assert args.qnn_samples < 426 and args.repeats < 3
    skipped = "; ".join(bench.quick_skips(args))
    for part in ("12x569,16x300,20x40", "QNN backward at 12 qubits", "VQC training at 8,12 qubits"):
        assert part in skipped


def test_full_default_is_unchanged_and_skips_nothing(bench):
    args = bench.parse_args([])
    assert args.sizes == bench.FULL["sizes"]
    assert args.qnn_sizes == args.vqc_sizes == [4, 8, 12]
    assert (args.repeats, args.qnn_samples, args.ref_iters) == (3, 426, 5)
    assert bench.quick_skips(args) == []


def test_explicit_options_override_quick(bench):
    args = bench.parse_args(["--quick", "--sizes", "4x100", "--repeats", "3", "--skip-qnn"])
    assert args.sizes == [(4, 100)] and args.repeats == 3
    skipped = bench.quick_skips(args)
    assert not any("QNN" in line or "VQC" in line or "repeats" in line for line in skipped)
