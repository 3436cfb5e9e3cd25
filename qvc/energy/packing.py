"""Circuit packing: how many copies of a small native circuit one device runs side by side.

A circuit transpiled for a device touches a few physical qubits, and its two-qubit gates
form an *interaction graph* on them. Copies of the circuit can run in one execution on
disjoint sets of qubits wherever that graph fits into the device's coupling graph; one
job then runs them together, so the QPU time of the circuits is divided by the copies.

:func:`packing_capacity` counts the copies greedily: it finds one placement of the
interaction graph in what is left of the coupling graph (subgraph monomorphism with
rustworkx's VF2, nodes matched in index order, so placements fill the chip from one end),
takes those qubits away, and repeats until no placement is left. The count is a lower
bound on the best packing (greedy placement can strand qubits), and it ignores crosstalk
between neighbouring copies and the spread of error rates over the chip (each copy is
priced as the transpiled original). On an all-to-all device the count is
``device qubits // active qubits``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: VF2 states visited per placement before giving up (the count then stops: a lower bound).
CALL_LIMIT = 200_000

_CACHE: dict[tuple, int] = {}


def packing_capacity(active_qubits: int, edges: Iterable[tuple[int, int]], n_device: int,
                     coupling: Sequence[Sequence[int]] | None) -> int:
    """Disjoint copies of a circuit's interaction graph that fit on a device's coupling graph.

    Parameters
    ----------
    active_qubits : int
        Qubits the circuit touches (nodes ``0 .. active_qubits - 1`` of its interaction graph).
    edges : iterable of (int, int)
        Pairs of those nodes a two-qubit gate couples.
    n_device : int
        Qubits of the device.
    coupling : sequence of (int, int) or None
        The device's coupling edges (direction ignored); ``None``: all-to-all.

    Returns
    -------
    int
        At least 1 (the circuit itself, which was transpiled onto the device).

    Examples
    --------
    >>> line7 = [(i, i + 1) for i in range(6)]
    >>> packing_capacity(2, [(0, 1)], 7, line7)
    3
    >>> packing_capacity(3, [(0, 1), (1, 2)], 7, line7)
    2
    >>> packing_capacity(4, [(0, 1), (1, 2), (2, 3), (3, 0)], 7, line7)  # a ring does not fit a line
    1
    >>> packing_capacity(4, [], 36, None)
    9
    """
    import rustworkx as rx

    active = max(1, int(active_qubits))
    pattern_edges = sorted({(min(a, b), max(a, b)) for a, b in edges if a != b})
    if coupling is None:
        return max(1, int(n_device) // active)
    device_edges = sorted({(min(int(a), int(b)), max(int(a), int(b))) for a, b in coupling
                           if a != b and max(int(a), int(b)) < int(n_device)})  # a grid may have unused sites
    key = (active, tuple(pattern_edges), int(n_device), tuple(device_edges))
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    pattern = rx.PyGraph()
    pattern.add_nodes_from(range(active))
    pattern.add_edges_from_no_data(pattern_edges)
    chip = rx.PyGraph()
    chip.add_nodes_from(range(int(n_device)))
    chip.add_edges_from_no_data(device_edges)
    copies = 0
    while chip.num_nodes() >= active:
        mapping = next(iter(rx.vf2_mapping(chip, pattern, subgraph=True, induced=False, id_order=True,
                                           call_limit=CALL_LIMIT)), None)
        if mapping is None:
            break
        chip.remove_nodes_from(list(mapping.keys()))
        copies += 1
    out = max(1, copies)
    _CACHE[key] = out
    return out
