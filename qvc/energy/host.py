"""The classical host, attributed like the quantum machine.

The quantum side is priced in two modes (:mod:`qvc.energy.hardware`): *attributional*
(the job holds the whole machine; facility PUE on top) and *marginal* (only what the
job adds to an idle machine; no facility overhead). The classical side gets the same
two modes here, so that a hardware-vs-classical ratio compares like with like:

* **marginal**: the meter's figure as it is (RAPL counters, or the CPU-time x power
  per thread + resident memory estimate), PUE 1 -- what the work adds on top of an
  idle host.
* **attributional**: the process's share of the whole host while it held it, times
  the *same* facility PUE the quantum side uses::

      E_attr = PUE_device * (E_meter + held_thread_s * idle_w / threads)
      held_thread_s = max(cpu_s, wall_s)

  i.e. the host's idle/platform power (board, fans, power supplies, memory refresh,
  the CPU's own idle draw) is shared out per hardware thread, and the process is
  charged its threads for as long as it ran (at least one thread for the wall time).
  The meter's CPU figure at TDP per thread already contains part of the CPU
  package's idle draw, so the two overlap by at most that part: the attributional
  figure leans high, never low.

Host presets live in ``qvc/energy/hosts.toml`` (``server_2s``, a typical 2-socket
server); ``this_machine`` is derived from it: this machine's logical CPUs, each
carrying the per-thread idle share of ``server_2s`` (a VM's share of the server it
runs on). Users add or override presets with a file of the same layout
(``--host-file``); a missing, negative or malformed number is a one-line usage error.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from qvc.energy.devices import Param
from qvc.errors import QvcUsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

#: The built-in host preset file.
HOST_FILE = Path(__file__).with_name("hosts.toml")
#: The default host preset.
DEFAULT_HOST = "this_machine"
#: Attribution modes (the same as the quantum side's).
MODES = ("attributional", "marginal")


@dataclass(frozen=True)
class HostPreset:
    """Idle power and size of the machine the classical work runs on.

    Attributes
    ----------
    name, description : str
    threads : int
        Hardware threads (logical CPUs) of the host.
    threads_source : str
    idle_w : Param
        Wall power of the idle host (W), with its range and source.
    origin : str
        File (or rule) the preset comes from.
    """

    name: str
    description: str
    threads: int
    threads_source: str
    idle_w: Param
    origin: str = ""

    @property
    def idle_w_per_thread(self) -> float:
        """Typical idle power per hardware thread (W)."""
        return self.idle_w.typical / self.threads

    def to_dict(self) -> dict:
        """Plain-JSON form with sources."""
        return {"name": self.name, "description": self.description,
                "threads": {"value": self.threads, "source": self.threads_source},
                "idle_w": self.idle_w.to_dict(), "idle_w_per_thread": self.idle_w_per_thread,
                "origin": self.origin}


def _fail(path: str, host: str | None, key: str, expected: str, got: object = None) -> QvcUsageError:
    where = f"{path}: host {host!r}" if host else path
    tail = "" if got is None else f" (got {got!r})"
    return QvcUsageError(f"{where}: {key}: expected {expected}{tail}")


def _parse_host(path: str, name: str, raw: object) -> HostPreset:
    if not isinstance(raw, Mapping):
        raise _fail(path, name, "(host)", "a table with description, threads, idle_w", raw)
    unknown = sorted(set(raw) - {"description", "threads", "idle_w"})
    if unknown:
        raise _fail(path, name, unknown[0], "one of description, threads, idle_w")
    for key in ("description", "threads", "idle_w"):
        if key not in raw:
            raise _fail(path, name, key, "this key (it is required)")
    desc = raw["description"]
    if not isinstance(desc, str) or not desc.strip():
        raise _fail(path, name, "description", "a non-empty text", desc)
    t = raw["threads"]
    if not isinstance(t, Mapping) or set(t) != {"value", "source"}:
        raise _fail(path, name, "threads", "a table {value, source}", t)
    if isinstance(t["value"], bool) or not isinstance(t["value"], int) or t["value"] < 1:
        raise _fail(path, name, "threads.value", "an integer >= 1", t["value"])
    if not isinstance(t["source"], str) or not t["source"].strip():
        raise _fail(path, name, "threads.source", "a non-empty text naming the source")
    p = raw["idle_w"]
    if not isinstance(p, Mapping) or set(p) != {"low", "typical", "high", "source"}:
        raise _fail(path, name, "idle_w", "a table {low, typical, high, source}", p)
    nums = []
    for k in ("low", "typical", "high"):
        v = p[k]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
            raise _fail(path, name, f"idle_w.{k}", "a finite number of watts", v)
        if v < 0:
            raise _fail(path, name, f"idle_w.{k}", "a non-negative power in watts", v)
        nums.append(float(v))
    if not nums[0] <= nums[1] <= nums[2]:
        raise _fail(path, name, "idle_w", "low <= typical <= high", tuple(nums))
    if not isinstance(p["source"], str) or not p["source"].strip():
        raise _fail(path, name, "idle_w.source", "a non-empty text naming the source, or 'unverified'")
    return HostPreset(name, desc, int(t["value"]), t["source"], Param(nums[0], nums[1], nums[2], p["source"]),
                      path)


def load_host_file(path: str | Path) -> dict[str, HostPreset]:
    """Read and validate a host preset file (layout of the built-in ``hosts.toml``).

    Examples
    --------
    >>> load_host_file(HOST_FILE)["server_2s"].threads
    128
    """
    path = Path(path)
    shown = str(path)
    if not path.is_file():
        raise QvcUsageError(f"host file {shown!r} does not exist; give the path of a TOML host file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise QvcUsageError(f"{shown}: not valid TOML: {str(exc).splitlines()[0]}") from None
    hosts = data.get("hosts")
    if not isinstance(hosts, Mapping) or not hosts:
        raise _fail(shown, None, "hosts", "a [hosts.NAME] table for at least one host")
    return {name: _parse_host(shown, name, raw) for name, raw in hosts.items()}


@cache
def _builtin() -> dict[str, HostPreset]:
    return load_host_file(HOST_FILE)


def _this_machine(base: HostPreset) -> HostPreset:
    threads = os.cpu_count() or 1
    per = base.idle_w
    scale = threads / base.threads
    return HostPreset(
        "this_machine",
        f"this machine's {threads} logical CPU(s), each with the idle share of one thread of "
        f"{base.name} (a VM's share of the host it runs on)",
        threads, "os.cpu_count() of this machine",
        Param(per.low * scale, per.typical * scale, per.high * scale,
              f"{base.name} idle power x {threads}/{base.threads} threads ({per.source})"),
        f"derived from {base.name}",
    )


def list_hosts(host_file: str | Path | None = None) -> dict[str, HostPreset]:
    """Built-in host presets plus ``this_machine``, then (overriding by name) those of ``host_file``.

    Examples
    --------
    >>> sorted(list_hosts())
    ['server_2s', 'this_machine']
    """
    hosts = dict(_builtin())
    hosts["this_machine"] = _this_machine(hosts["server_2s"])
    if host_file is not None:
        hosts.update(load_host_file(host_file))
    return hosts


def get_host(name: str = DEFAULT_HOST, host_file: str | Path | None = None) -> HostPreset:
    """The host preset ``name`` (a usage error lists the known ones).

    Examples
    --------
    >>> get_host("server_2s").idle_w.typical
    150.0
    """
    hosts = list_hosts(host_file)
    try:
        return hosts[name]
    except KeyError:
        raise QvcUsageError(
            f"unknown host preset {name!r}; choose one of: {', '.join(hosts)} (or add it with --host-file)"
        ) from None


def attribute_local(
    energy_j: float, cpu_s: float, wall_s: float, host: HostPreset, mode: str, pue: float
) -> tuple[float, dict]:
    """Energy of one metered phase under an attribution mode, and how it was made.

    Parameters
    ----------
    energy_j : float
        The meter's figure for the phase (per call).
    cpu_s, wall_s : float
        CPU and wall seconds of the phase (per call).
    host : HostPreset
    mode : {"attributional", "marginal"}
    pue : float
        The facility PUE of the attributional mode (the quantum side's, for like-for-like).

    Returns
    -------
    (float, dict)
        Joules, and the parts (``meter_j``, ``idle_share_j``, ``pue``).

    Examples
    --------
    >>> h = get_host("server_2s")
    >>> e, parts = attribute_local(10.0, 2.0, 1.0, h, "attributional", 1.3)
    >>> round(e, 6), round(parts["idle_share_j"], 6)
    (16.046875, 2.34375)
    >>> attribute_local(10.0, 2.0, 1.0, h, "marginal", 1.3)[0]
    10.0
    """
    if mode not in MODES:
        raise QvcUsageError(f"unknown attribution mode {mode!r}; choose one of: {', '.join(MODES)}")
    if mode == "marginal":
        return float(energy_j), {"meter_j": float(energy_j), "idle_share_j": 0.0, "pue": 1.0}
    held = max(float(cpu_s), float(wall_s))
    idle = held * host.idle_w_per_thread
    return float(pue) * (float(energy_j) + idle), {"meter_j": float(energy_j), "idle_share_j": idle,
                                                   "pue": float(pue), "held_thread_s": held}
