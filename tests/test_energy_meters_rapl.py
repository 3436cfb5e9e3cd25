"""RAPL backend against synthetic powercap trees in the kernel's format."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qvc.energy.meters import EnergyMeter, detect_backends, probe_rapl

MAX_RANGE = 262143328850  # a real package max_energy_range_uj (Intel, 2^38 - 1 units of 61 uJ)


def _zone(root: Path, dirname: str, name: str, energy_uj: int, max_range: int = MAX_RANGE) -> Path:
    d = root / dirname
    d.mkdir()
    (d / "name").write_text(name + "\n")
    (d / "energy_uj").write_text(f"{energy_uj}\n")
    (d / "max_energy_range_uj").write_text(f"{max_range}\n")
    (d / "enabled").write_text("1\n")
    return d


def _set(root: Path, dirname: str, energy_uj: int) -> None:
    (root / dirname / "energy_uj").write_text(f"{energy_uj}\n")


@pytest.fixture
def two_sockets(tmp_path: Path) -> Path:
    """Two packages with core and dram subzones, a psys zone and an MMIO duplicate."""
    (tmp_path / "intel-rapl").mkdir()  # the control-type directory
    (tmp_path / "intel-rapl" / "enabled").write_text("1\n")
    _zone(tmp_path, "intel-rapl:0", "package-0", 1_000_000)
    _zone(tmp_path, "intel-rapl:0:0", "core", 500_000)
    _zone(tmp_path, "intel-rapl:0:1", "dram", 200_000, 65712999613)
    _zone(tmp_path, "intel-rapl:1", "package-1", 3_000_000)
    _zone(tmp_path, "intel-rapl:1:0", "core", 100_000)
    _zone(tmp_path, "intel-rapl:1:1", "dram", 50_000, 65712999613)
    _zone(tmp_path, "intel-rapl:2", "psys", 9_000_000)
    _zone(tmp_path, "intel-rapl-mmio:0", "package-0", 1_000_000)
    return tmp_path


def test_normal_reading_multiple_packages(two_sockets: Path) -> None:
    backend, reason = probe_rapl(two_sockets)
    assert backend is not None and reason == ""
    assert [z.domain for z in backend.zones] == [
        "package-0", "package-0/core", "package-0/dram",
        "package-1", "package-1/core", "package-1/dram", "psys",
    ]
    meter = EnergyMeter(backend)
    meter.begin_window("w")
    _set(two_sockets, "intel-rapl:0", 1_000_000 + 2_500_000)  # +2.5 J
    _set(two_sockets, "intel-rapl:0:0", 500_000 + 1_000_000)  # +1.0 J inside package-0
    _set(two_sockets, "intel-rapl:0:1", 200_000 + 300_000)  # +0.3 J
    _set(two_sockets, "intel-rapl:1", 3_000_000 + 1_500_000)  # +1.5 J
    _set(two_sockets, "intel-rapl:1:1", 50_000 + 200_000)  # +0.2 J
    _set(two_sockets, "intel-rapl:2", 9_000_000 + 6_000_000)  # +6 J platform
    m = meter.end_window("w")
    assert m.method == "measured" and m.meter == "rapl-powercap"
    assert m.energy_j["package-0"] == pytest.approx(2.5)
    assert m.energy_j["package-0/core"] == pytest.approx(1.0)
    assert m.energy_j["package-1/core"] == 0.0
    assert m.energy_j["psys"] == pytest.approx(6.0)
    # packages + dram; core is inside the package and psys covers everything: not added
    assert m.total_j == pytest.approx(2.5 + 0.3 + 1.5 + 0.2)
    assert any("MMIO" in s for s in backend.describe()["skipped"])


def test_wrap_around_uses_max_energy_range(tmp_path: Path) -> None:
    _zone(tmp_path, "intel-rapl:0", "package-0", MAX_RANGE - 1_000_000)
    backend, _ = probe_rapl(tmp_path)
    meter = EnergyMeter(backend)
    meter.begin_window("w")
    _set(tmp_path, "intel-rapl:0", 2_000_000)  # wrapped: 1 J before the wrap + 2 J after
    m = meter.end_window("w")
    assert m.energy_j["package-0"] == pytest.approx(3.0)
    assert m.details["wrapped"] == ["package-0"]


def test_unreadable_energy_falls_back_with_reason(two_sockets: Path) -> None:
    def reader(path: Path) -> str:
        if path.name == "energy_uj":  # what a non-root user gets since Linux 5.10
            raise PermissionError(13, "Permission denied", str(path))
        return path.read_text()

    backend, reason = probe_rapl(two_sockets, reader=reader)
    assert backend is None
    assert "permission denied" in reason and "CVE-2020-8694" in reason

    det = detect_backends(rapl_root=str(two_sockets), rapl_reader=reader, gpu=False)
    assert det.backends[0].method == "estimated"
    assert "permission denied" in det.backends[0].reason
    assert det.not_used[0]["backend"] == "rapl-powercap"
    meter = EnergyMeter(backends=det.backends, not_used=det.not_used)
    with meter.window("w") as w:
        sum(range(1000))
    assert w.result.method == "estimated"
    assert "permission denied" in w.result.details["why_not_measured"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_by_file_mode(two_sockets: Path) -> None:
    for p in two_sockets.glob("intel-rapl:*/energy_uj"):
        p.chmod(0)
    backend, reason = probe_rapl(two_sockets)
    assert backend is None and "permission denied" in reason


def test_unreadable_subzone_keeps_packages(two_sockets: Path) -> None:
    def reader(path: Path) -> str:
        if path.parent.name == "intel-rapl:0:1" and path.name == "energy_uj":
            raise PermissionError(13, "Permission denied", str(path))
        return path.read_text()

    backend, reason = probe_rapl(two_sockets, reader=reader)
    assert backend is not None
    assert "package-0/dram" not in [z.domain for z in backend.zones]
    assert "intel-rapl:0:1" in reason


def test_missing_root_and_empty_root(tmp_path: Path) -> None:
    backend, reason = probe_rapl(tmp_path / "absent")
    assert backend is None and "does not exist" in reason
    backend, reason = probe_rapl(tmp_path)
    assert backend is None and "no intel-rapl:N zones" in reason


def test_garbage_counter_is_a_reason_not_a_crash(tmp_path: Path) -> None:
    _zone(tmp_path, "intel-rapl:0", "package-0", 0)
    (tmp_path / "intel-rapl:0" / "energy_uj").write_text("not a number\n")
    backend, reason = probe_rapl(tmp_path)
    assert backend is None and "ValueError" in reason


def test_detection_uses_rapl_when_readable(two_sockets: Path) -> None:
    det = detect_backends(rapl_root=str(two_sockets), gpu=False)
    assert det.backends[0].name == "rapl-powercap"
    assert [n["backend"] for n in det.not_used] == ["nvml"]


def test_idle_baseline_reports_above_idle(tmp_path: Path, monkeypatch) -> None:
    _zone(tmp_path, "intel-rapl:0", "package-0", 0)
    backend, _ = probe_rapl(tmp_path)
    state = {"uj": 0}
    clock = {"t": 0.0}
    # a synthetic 10 W machine: energy follows a fake clock
    monkeypatch.setattr(backend, "read", lambda: (state["uj"],))
    import qvc.energy.meters.window as window

    monkeypatch.setattr(window.time, "perf_counter", lambda: clock["t"])

    def sleep(s: float) -> None:
        clock["t"] += s
        state["uj"] += int(10 * s * 1e6)

    monkeypatch.setattr(window.time, "sleep", sleep)
    meter = EnergyMeter(backend)
    assert meter.measure_idle(2.0) == pytest.approx(10.0)
    meter.begin_window("work")
    clock["t"] += 1.0
    state["uj"] += 25_000_000  # 25 J in 1 s: 10 W idle + 15 W of work
    m = meter.end_window("work")
    assert m.total_j == pytest.approx(25.0)
    assert m.above_idle_j == pytest.approx(15.0)
    assert m.idle_power_w == pytest.approx(10.0)
