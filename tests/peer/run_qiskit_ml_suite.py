"""Run qiskit-machine-learning's own tests against qvc's engine classes (CI step).

Downloads the qiskit-machine-learning source distribution matching the installed version
from the package registry, extracts its ``test/`` folder to a temporary directory and runs
the kernel, SamplerQNN, QSVC and PegasosQSVC test files there with ``qvc_peer_plugin``,
which swaps qiskit-ml's classes for qvc's and skips the declared not-applicable tests.
Nothing of the peer's code is stored in this repository.

Usage (after ``pip install -e ".[test,peer]"``)::

    python tests/peer/run_qiskit_ml_suite.py [--keep DIR] [--sdist FILE] [-- PYTEST_ARGS]

Prints the counts (applied / passed / failed / not applicable / skipped by the peer) per
file and exits non-zero when an applied test fails, when a declared not-applicable test no
longer exists in the peer's suite, or when the suite cannot be fetched. Needs network
access to the package registry only; the tests themselves run offline.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(ROOT)]  # this checkout's qvc, as in the pytest run below

from qvc_peer_plugin import NOT_APPLICABLE, PEER_FILES  # noqa: E402

#: Test-only packages the peer's tests import (ddt) or need to exercise sparse outputs
#: (the ``peer`` extra in pyproject.toml).
PEER_TEST_DEPS = ("ddt", "sparse")


def _download(version: str, dest: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
           "--disable-pip-version-check", f"qiskit-machine-learning=={version}", "-d", str(dest)]
    subprocess.run(cmd, check=True)
    found = sorted(dest.glob("qiskit[_-]machine[_-]learning-*.tar.gz"))
    if not found:
        raise SystemExit(f"peer suite: no sdist of qiskit-machine-learning {version} was downloaded")
    return found[0]


def _extract_tests(sdist: Path, dest: Path) -> Path:
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if m.name.split("/")[1:2] == ["test"] and m.isfile()]
        if not members:
            raise SystemExit(f"peer suite: {sdist.name} has no test/ folder")
        for m in members:
            m.name = m.name.split("/", 1)[1]  # drop the top folder: dest/test/...
        tar.extractall(dest, members=members, filter="data")
    (dest / "pytest.ini").write_text("[pytest]\n")  # keep qvc's and the peer's pytest settings out
    return dest / "test"


def _counts(junit: Path) -> dict[str, Counter]:
    per_file: dict[str, Counter] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("classname", "").replace(".", "/")
        key = next((f for f in PEER_FILES if name.startswith("test/" + f[:-3])), name)
        c = per_file.setdefault(key, Counter())
        skipped = case.find("skipped")
        if skipped is not None:
            why = skipped.get("message", "")
            c["not applicable" if "not applicable to qvc" in why else "skipped by the peer"] += 1
        elif case.find("failure") is not None or case.find("error") is not None:
            c["applied"] += 1
            c["failed"] += 1
        else:
            c["applied"] += 1
            c["passed"] += 1
    return per_file


def _stale(test_dir: Path) -> list[str]:
    """Declared not-applicable tests whose test function no longer exists in the peer's files."""
    out = []
    for key in NOT_APPLICABLE:
        path, _, rest = key.partition("::")
        func = rest.rsplit("::", 1)[-1]
        f = test_dir / path
        if not f.exists() or f"def {func}(" not in f.read_text():
            out.append(key)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="extract into this folder (kept) instead of a temp dir")
    parser.add_argument("--sdist", type=Path, help="use this sdist instead of downloading one")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)

    version = importlib.metadata.version("qiskit-machine-learning")
    missing_deps = [m for m in PEER_TEST_DEPS if importlib.util.find_spec(m) is None]
    if missing_deps:
        print(f"peer suite: missing {', '.join(missing_deps)}; install them with pip install -e \".[peer]\"",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="qvc-peer-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        sdist = args.sdist or _download(version, work / "dist")
        test_dir = _extract_tests(sdist, work / "peer")
        junit = work / "junit.xml"
        files = [str(test_dir / f) for f in PEER_FILES if (test_dir / f).exists()]
        missing = [f for f in PEER_FILES if not (test_dir / f).exists()]
        env_path = f"{HERE}:{ROOT}"
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "qvc_peer_plugin", "-p", "no:cacheprovider",
               "--rootdir", str(work / "peer"), "-c", str(work / "peer" / "pytest.ini"),
               f"--junitxml={junit}", "-o", "junit_family=xunit1", *files, *args.pytest_args]
        env = dict(os.environ, PYTHONPATH=env_path + os.pathsep + os.environ.get("PYTHONPATH", ""))
        print(f"peer suite: qiskit-machine-learning {version} ({sdist.name}), {len(files)} files", flush=True)
        rc = subprocess.run(cmd, cwd=work / "peer", env=env).returncode
        counts = _counts(junit) if junit.exists() else {}
        stale = _stale(test_dir)

    total = Counter()
    print(f"\n{'file':62s} applied passed failed n/a peer-skip")
    for f, c in sorted(counts.items()):
        total.update(c)
        print(f"{f:62s} {c['applied']:7d} {c['passed']:6d} {c['failed']:6d} {c['not applicable']:3d} "
              f"{c['skipped by the peer']:9d}")
    print(f"{'TOTAL':62s} {total['applied']:7d} {total['passed']:6d} {total['failed']:6d} "
          f"{total['not applicable']:3d} {total['skipped by the peer']:9d}")
    problems = []
    if missing:
        problems.append(f"peer test files not in this release: {', '.join(missing)}")
    if stale:
        problems.append(f"declared not-applicable tests no longer in the peer suite: {', '.join(stale)}")
    if total["failed"] or rc not in (0, 5):
        problems.append(f"{total['failed']} applied peer test(s) failed (pytest exit {rc})")
    for p in problems:
        print(f"peer suite: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
