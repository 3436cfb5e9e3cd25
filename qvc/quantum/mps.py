"""Matrix-product-state (MPS) simulation of feature maps, for the ``mps`` execution mode.

Each sample's feature-map state ``U(x)|0>`` is built by Qiskit Aer's
``matrix_product_state`` method (``save_matrix_product_state``), and kernel
entries are overlaps of two MPS contracted here in numpy (cost
``O(n chi^3)`` per pair instead of ``O(2^n)``). The classical cost is polynomial
in the bond dimension ``chi``: a linear-entanglement ZZ map at ``reps`` keeps
``chi <= 2^reps`` at any qubit count, a fully entangled one saturates
``chi = 2^(n/2)`` (then statevector simulation is cheaper).

Mode strings (``--execution``)::

    mps                      exact up to round-off: truncation threshold 1e-16, no bond cap
    mps:trunc=1e-8           drop Schmidt weight below 1e-8 per two-qubit gate
    mps:chi=64               cap the bond dimension at 64 (approximate when reached)
    mps:fidelity=0.9         truncation set so the final state keeps fidelity >= 0.9
    mps:matched              fidelity-matched to the device: the target fidelity is the
                             estimated fidelity of the same circuit on the hardware
                             (Jaschke & Montangero's equal-fidelity rule, arXiv:2205.12092)

Options combine with commas (``mps:chi=64,trunc=1e-10``). The fidelity rule: Aer
discards, at each two-qubit gate's SVD, the smallest Schmidt coefficients whose
squares sum below the threshold, so after ``G`` two-qubit gates the state's
fidelity is at least ``1 - G * threshold``; ``fidelity=F`` sets the threshold to
``(1 - F) / G``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit

from qvc._validation import available_memory_bytes, format_bytes
from qvc.errors import QvcUsageError

#: Aer's default truncation threshold: "exact" MPS (only round-off is discarded).
EXACT_THRESHOLD = 1e-16
#: Agreement with the exact statevector kernel that the tests hold ``mps`` (exact) to.
EXACT_TOLERANCE = 1e-8
#: Share of the available memory the MPS of all samples may take.
_MEMORY_SHARE = 0.5
_TWO_QUBIT_RANK = {"cx": 2, "cz": 2, "cp": 2, "rzz": 2, "crz": 2, "cy": 2, "ecr": 2, "swap": 4}

MPS_HELP = ("mps[:trunc=T][,chi=D][,fidelity=F | ,matched] (Aer matrix-product-state; "
            "see qvc.quantum.mps)")


@dataclass(frozen=True)
class MpsOptions:
    """Parsed options of an ``mps`` execution mode.

    Attributes
    ----------
    truncation_threshold : float or None
        Discarded Schmidt weight per two-qubit gate (``None``: set from ``fidelity``).
    max_bond_dimension : int or None
        Bond-dimension cap (``None``: no cap).
    fidelity : float or None
        Target final-state fidelity (sets the threshold per circuit).
    matched : bool
        Target fidelity = the device's estimated circuit fidelity.

    Examples
    --------
    >>> parse_mps_options("chi=64,trunc=1e-10")
    MpsOptions(truncation_threshold=1e-10, max_bond_dimension=64, fidelity=None, matched=False)
    """

    truncation_threshold: float | None = EXACT_THRESHOLD
    max_bond_dimension: int | None = None
    fidelity: float | None = None
    matched: bool = False

    @property
    def exact(self) -> bool:
        """True when nothing but round-off is discarded (no cap, threshold <= 1e-16)."""
        return (self.max_bond_dimension is None and not self.matched and self.fidelity is None
                and (self.truncation_threshold or 0.0) <= EXACT_THRESHOLD)


def parse_mps_options(text: str | None) -> MpsOptions:
    """Parse the part after ``mps:``; raise a one-line usage error on anything impossible.

    Examples
    --------
    >>> parse_mps_options(None).exact, parse_mps_options("matched").matched
    (True, True)
    """
    if not text:
        return MpsOptions()
    trunc: float | None = EXACT_THRESHOLD
    chi = fid = None
    matched = False
    for part in text.split(","):
        key, eq, value = part.strip().partition("=")
        key = key.strip().lower()
        if key == "matched" and not eq:
            matched = True
            continue
        if not eq:
            raise QvcUsageError(f"mps option {part!r} needs a value, e.g. 'mps:chi=64'; options: {MPS_HELP}")
        if key in ("chi", "bond", "max_bond_dimension"):
            try:
                chi = int(value)
            except ValueError:
                raise QvcUsageError(f"mps bond dimension must be an integer >= 1 (got {value!r}), "
                                    "e.g. 'mps:chi=64'") from None
            if chi < 1:
                raise QvcUsageError(f"mps bond dimension must be an integer >= 1 (got {chi}); "
                                    "1 is a product state, omit chi for no cap")
        elif key in ("trunc", "threshold", "truncation_threshold"):
            try:
                trunc = float(value)
            except ValueError:
                trunc = math.nan
            if not (0.0 <= trunc < 1.0):
                raise QvcUsageError(f"mps truncation threshold must be a number in [0, 1) (got {value!r}), "
                                    "e.g. 'mps:trunc=1e-10'")
        elif key == "fidelity":
            try:
                fid = float(value)
            except ValueError:
                fid = math.nan
            if not (0.0 < fid <= 1.0):
                raise QvcUsageError(f"mps target fidelity must be in (0, 1] (got {value!r}), e.g. 'mps:fidelity=0.9'")
        else:
            raise QvcUsageError(f"unknown mps option {key!r}; options: {MPS_HELP}")
    if matched and fid is not None:
        raise QvcUsageError("give either 'mps:matched' or 'mps:fidelity=F', not both")
    if matched or fid is not None:
        trunc = None
    return MpsOptions(trunc, chi, fid, matched)


def _aer_circuit(feature_map: QuantumCircuit) -> QuantumCircuit:
    """The feature map in gates Aer's MPS method applies (transpiled once, parameters kept)."""
    from qiskit import transpile

    basis = ["u", "p", "rz", "ry", "rx", "h", "x", "sx", "cx", "cz", "cp", "rzz", "swap"]
    return transpile(feature_map, basis_gates=basis, optimization_level=0)


def two_qubit_gates(circuit: QuantumCircuit) -> list[tuple[str, int, int]]:
    """``(name, q0, q1)`` of every two-qubit gate of ``circuit``, in order."""
    out = []
    for inst in circuit.data:
        if len(inst.qubits) == 2 and inst.operation.name not in ("barrier", "measure"):
            a, b = (circuit.find_bit(q).index for q in inst.qubits)
            out.append((inst.operation.name, a, b))
        elif len(inst.qubits) > 2 and inst.operation.name != "barrier":
            raise QvcUsageError(
                f"the mps execution mode supports one- and two-qubit gates only; the circuit has "
                f"{inst.operation.name!r} on {len(inst.qubits)} qubits (use --execution exact)"
            )
    return out


def bond_dimension_bound(circuit: QuantumCircuit, cap: int | None = None) -> list[int]:
    """Upper bound of the final state's bond dimension at each of the ``n - 1`` cuts.

    At cut ``k`` (between qubits ``k`` and ``k+1``) the Schmidt rank is at most
    ``2^min(k+1, n-k-1)`` and at most the product of the operator Schmidt ranks of
    the two-qubit gates crossing the cut (2 for controlled and ZZ-type gates, 4 for
    others); a cap bounds it too.

    Examples
    --------
    >>> from qvc.quantum.circuits import feature_map
    >>> bond_dimension_bound(_aer_circuit(feature_map(6, 2, "linear")))
    [2, 4, 8, 4, 2]
    """
    n = circuit.num_qubits
    log_rank = [0.0] * max(n - 1, 0)
    for name, a, b in two_qubit_gates(circuit):
        lo, hi = min(a, b), max(a, b)
        r = math.log2(_TWO_QUBIT_RANK.get(name, 4))
        for k in range(lo, hi):
            log_rank[k] += r
    out = []
    for k in range(n - 1):
        e = min(k + 1, n - k - 1, log_rank[k])
        d = 2 ** int(math.floor(e + 1e-9))
        out.append(d if cap is None else min(d, cap))
    return out


def mps_bytes(bonds: list[int]) -> int:
    """Bytes of one MPS with these bond dimensions (complex128 site tensors and weights)."""
    dims = [1, *bonds, 1]
    return int(sum(2 * dims[k] * dims[k + 1] * 16 for k in range(len(dims) - 1)) + 8 * sum(bonds))


class MpsSimulator:
    """Feature-map states as MPS (Qiskit Aer) and their overlaps.

    Parameters
    ----------
    feature_map : QuantumCircuit
        Parametrised feature map.
    options : MpsOptions or str, default exact
    fidelity : (float, str), optional
        The target fidelity of ``matched`` and how it was estimated (the caller knows the
        device: :func:`qvc.energy.devices.circuit_fidelity`). Without it a ``matched``
        simulator can check memory but refuses to simulate.

    Attributes
    ----------
    truncation_threshold : float
        The threshold Aer ran with (after resolving ``fidelity``/``matched``).
    target_fidelity : float
        Lower bound of each state's fidelity implied by the threshold (1 for exact).
    max_bond_reached : int
        Largest bond dimension of any final state simulated so far.
    bound : list of int
        Upper bound of the bond dimension per cut (see :func:`bond_dimension_bound`).

    Examples
    --------
    >>> from qvc.quantum.circuits import feature_map
    >>> sim = MpsSimulator(feature_map(8, 2, "linear"))
    >>> k = sim.kernel(np.array([[0.1] * 8, [0.4] * 8]))
    >>> k.shape, round(float(k[0, 0]), 12), sim.max_bond_reached
    ((2, 2), 1.0, 4)
    """

    def __init__(self, feature_map: QuantumCircuit, options: MpsOptions | str | None = None,
                 *, fidelity: tuple[float, str] | None = None) -> None:
        self.options = options if isinstance(options, MpsOptions) else parse_mps_options(options)
        self.feature_map = feature_map
        self.circuit = _aer_circuit(feature_map)
        self.n_two_qubit = len(two_qubit_gates(self.circuit))
        self.bound = bond_dimension_bound(self.circuit, self.options.max_bond_dimension)
        self.fidelity_method = "exact (threshold 1e-16: round-off only)"
        self.unresolved = self.options.matched and fidelity is None
        if self.options.matched and fidelity is not None:
            fid, self.fidelity_method = fidelity
        elif self.options.fidelity is not None:
            fid, self.fidelity_method = self.options.fidelity, "user-given target fidelity"
        else:
            fid = None
        if fid is not None:
            self.truncation_threshold = max((1.0 - fid) / max(self.n_two_qubit, 1), EXACT_THRESHOLD)
            self.target_fidelity = fid
        else:
            self.truncation_threshold = float(self.options.truncation_threshold or EXACT_THRESHOLD)
            self.target_fidelity = max(0.0, 1.0 - self.n_two_qubit * self.truncation_threshold) \
                if self.truncation_threshold > EXACT_THRESHOLD else 1.0
            if self.truncation_threshold > EXACT_THRESHOLD:
                self.fidelity_method = "1 - two-qubit gates x truncation threshold"
        if self.options.max_bond_dimension is not None and self.options.max_bond_dimension < max(
                bond_dimension_bound(self.circuit), default=1):
            self.fidelity_method += "; bond cap may truncate further (fidelity not bounded)"
        self.max_bond_reached = 0
        self._sim = None

    def check_fits(self, n_states: int) -> None:
        """Raise a usage error when ``n_states`` MPS at the bound cannot fit in memory."""
        need = mps_bytes(self.bound) * max(n_states, 1)
        have = available_memory_bytes() * _MEMORY_SHARE
        if need > have:
            chi = max(self.bound, default=1)
            raise QvcUsageError(
                f"mps: {n_states} states of {self.circuit.num_qubits} qubits with bond dimension up to {chi} "
                f"need {format_bytes(need)}, more than {format_bytes(have)} available; use linear "
                "entanglement, a bond cap (mps:chi=D) or --execution exact"
            )

    def _simulator(self):
        if self.unresolved:
            raise QvcUsageError("mps:matched needs the device's circuit fidelity, which this simulator was not "
                                "given; give the target yourself with --execution mps:fidelity=F")
        if self._sim is None:
            from qiskit_aer import AerSimulator

            # One thread unless the bonds are large: at chi <= 64 Aer's OpenMP state updates (from
            # 14 qubits on) only contend with the sweep's other workers (seen: 14 qubits, 0.8 s alone,
            # 20 s next to a second worker).
            kw = {"matrix_product_state_truncation_threshold": self.truncation_threshold,
                  "max_parallel_threads": 1 if max(self.bound, default=1) <= 64 else 0}
            if self.options.max_bond_dimension is not None:
                kw["matrix_product_state_max_bond_dimension"] = int(self.options.max_bond_dimension)
            self._sim = AerSimulator(method="matrix_product_state", **kw)
        return self._sim

    def states(self, values: np.ndarray) -> list[np.ndarray]:
        """MPS of each row of ``values`` as site tensors, padded to common shapes.

        Returns one array per qubit ``k`` of shape ``(N, chi_left, 2, chi_right)``
        (left-canonical ``Gamma_k lambda_k``; qubit 0 first).
        """
        values = np.atleast_2d(np.asarray(values, dtype=float))
        self.check_fits(values.shape[0])
        qc = self.circuit.copy()
        qc.save_matrix_product_state()
        params = list(qc.parameters)
        order = [list(self.feature_map.parameters).index(p) for p in params] if params else []
        sim = self._simulator()
        n = qc.num_qubits
        per_state = []
        chunk = 64
        for start in range(0, values.shape[0], chunk):
            block = values[start:start + chunk]
            binds = [{p: [float(v)] for p, v in zip(params, row[order])} for row in block] if params else None
            circuits = [qc] * len(block)
            res = sim.run(circuits, parameter_binds=binds, shots=1).result()
            if not res.success:
                raise QvcUsageError(f"Aer MPS simulation failed: {res.status}")
            for i in range(len(block)):
                gam, lam = res.data(i)["matrix_product_state"]
                sites = []
                for k in range(n):
                    a = np.stack([np.asarray(gam[k][0]), np.asarray(gam[k][1])], axis=1)
                    if k < n - 1:
                        a = a * np.asarray(lam[k])[None, None, :]
                    sites.append(a)
                per_state.append(sites)
                self.max_bond_reached = max(self.max_bond_reached, max((len(v) for v in lam), default=1))
        out = []
        for k in range(n):
            cl = max(s[k].shape[0] for s in per_state)
            cr = max(s[k].shape[2] for s in per_state)
            arr = np.zeros((len(per_state), cl, 2, cr), dtype=complex)
            for i, s in enumerate(per_state):
                a = s[k]
                arr[i, : a.shape[0], :, : a.shape[2]] = a
            out.append(arr)
        return out

    @staticmethod
    def overlaps(sx: list[np.ndarray], sy: list[np.ndarray], max_bytes: int = 2**28) -> np.ndarray:
        """``<psi_x_i | psi_y_j>`` for all pairs, contracted site by site."""
        nx, ny = sx[0].shape[0], sy[0].shape[0]
        out = np.empty((nx, ny), dtype=complex)
        widest = max(a.shape[1] * a.shape[3] for a in sx) * max(b.shape[1] * b.shape[3] for b in sy)
        rows = max(1, min(nx, max_bytes // max(1, ny * widest * 2 * 16)))
        for r0 in range(0, nx, rows):
            env = np.ones((min(rows, nx - r0), ny, 1, 1), dtype=complex)
            for a, b in zip(sx, sy):
                ak = a[r0:r0 + rows].conj()
                t = np.einsum("nmab,nasc->nmbsc", env, ak, optimize=True)
                env = np.einsum("nmbsc,mbsd->nmcd", t, b, optimize=True)
            out[r0:r0 + rows] = env[:, :, 0, 0]
        return out

    @staticmethod
    def norms(s: list[np.ndarray]) -> np.ndarray:
        """``<psi_i|psi_i>`` of each state (1 up to round-off and truncation)."""
        env = np.ones((s[0].shape[0], 1, 1), dtype=complex)
        for a in s:
            env = np.einsum("nab,nasc,nbsd->ncd", env, a.conj(), a, optimize=True)
        return env[:, 0, 0].real

    def kernel(self, x_vec: np.ndarray, y_vec: np.ndarray | None = None) -> np.ndarray:
        """Fidelity kernel ``|<psi(y)|psi(x)>|^2`` of normalised states (``x`` with itself if no ``y``)."""
        sx = self.states(x_vec)
        nx = self.norms(sx)
        if y_vec is None:
            sy, ny = sx, nx
        else:
            sy = self.states(y_vec)
            ny = self.norms(sy)
        ov = self.overlaps(sx, sy)
        k = (ov.real**2 + ov.imag**2) / np.outer(nx, ny)
        if y_vec is None:
            k = (k + k.T) / 2
            np.fill_diagonal(k, 1.0)
        return np.clip(k, 0.0, 1.0)

    def describe(self) -> dict:
        """What the row records about this simulator."""
        return {
            "mps_truncation_threshold": self.truncation_threshold,
            "mps_max_bond_dimension": (np.nan if self.options.max_bond_dimension is None
                                       else float(self.options.max_bond_dimension)),
            "mps_bond_dimension_reached": float(self.max_bond_reached),
            "mps_target_fidelity": float(self.target_fidelity),
            "mps_fidelity_method": self.fidelity_method,
        }
