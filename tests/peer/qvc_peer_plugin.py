"""pytest plugin: run qiskit-machine-learning's own tests against qvc's engine classes.

Loaded by ``run_qiskit_ml_suite.py`` (``-p qvc_peer_plugin``) on the ``test/`` folder of the
qiskit-machine-learning source distribution; none of its code is copied here. Before the
peer's test modules are imported, the classes they construct are swapped for qvc's:

* ``FidelityStatevectorKernel`` -> :class:`qvc.quantum.kernels.StatevectorKernel`, as is:
  the same keyword arguments (``feature_map``, ``shots``, ``enforce_psd``) mean the same.
* ``FidelityQuantumKernel`` -> ``StatevectorKernel`` through :class:`FidelityQuantumKernel`,
  a subclass that only maps the constructor: the fidelity primitive becomes an execution
  mode (default or exact ``QMLSampler`` -> ``exact``; a sampling one -> ``shots`` with its
  shot count and seed).
* ``TrainableFidelityStatevectorKernel`` -> :class:`qvc.quantum.kernels.TrainableStatevectorKernel`
  as is; ``TrainableFidelityQuantumKernel`` -> the same through a constructor-mapping subclass.
* ``SamplerQNN`` -> :class:`qvc.quantum.qnn.StatevectorQNN` through :class:`SamplerQNN`,
  a subclass mapping the sampler the same way (qiskit-ibm-runtime ``SamplerV2`` on a
  simulated backend -> ``shots`` with its default shot count); ``gradient=`` and ``pass_manager=``
  are not needed (qvc differentiates by the parameter-shift rule on its own engine and
  simulates the logical circuit).

Every assertion of the peer's tests is kept. Tests that cannot apply to qvc are listed in
:data:`NOT_APPLICABLE` with the reason and are skipped with that reason; the runner
fails when a listed test no longer exists, so the list cannot go stale silently.
"""

from __future__ import annotations

import pytest

from qvc.quantum.kernels import StatevectorKernel, TrainableStatevectorKernel
from qvc.quantum.qnn import StatevectorQNN

#: node-id suffix (file::Class::test, ddt-expanded names by prefix) -> why it cannot apply.
NOT_APPLICABLE: dict[str, str] = {
    # -- FidelityStatevectorKernel ------------------------------------------------------
    "kernels/test_fidelity_statevector_kernel.py::TestStatevectorKernel::test_with_shot_noise":
        "asserts the exact draws of qiskit-ml's global random stream (algorithm_globals), one "
        "independent draw per entry of both triangles; qvc draws from its own seeded generator, "
        "one per pair as a compute-uncompute run does (its shot noise is tested in tests/)",
    "kernels/test_fidelity_statevector_kernel.py::TestStatevectorKernel::test_aer_statevector":
        "statevector_type=AerStatevector selects qiskit-ml's per-sample statevector class; qvc "
        "has one batched engine and no statevector_type argument",
    "kernels/test_fidelity_statevector_kernel.py::TestStatevectorKernel::test_statevector_cache":
        "inspects qiskit-ml's per-sample lru_cache (_get_statevector.cache_info, cache_size, "
        "auto_clear_cache); qvc computes all statevectors of a call in one batch, no cache",
    "kernels/test_fidelity_statevector_kernel.py::TestStatevectorKernel::test_pickling":
        "compares the type of qiskit-ml's private cache attribute _get_statevector; qvc pickles "
        "an evaluated kernel (and a fitted QSVC with it), tested in tests/test_quantum_kernels.py",
    "kernels/test_fidelity_statevector_kernel.py::TestStatevectorKernelDuplicates::test_with_duplicates":
        "counts calls of qiskit-ml's private per-entry hook _compute_kernel_entry; qvc computes "
        "the matrix in one product",
    "kernels/test_fidelity_statevector_kernel.py::TestStatevectorKernelDuplicates::test_with_duplicates_asymmetric":
        "counts calls of qiskit-ml's private per-entry hook _compute_kernel_entry",
    # -- FidelityQuantumKernel ----------------------------------------------------------
    "kernels/test_fidelity_qkernel.py::TestFidelityQuantumKernel::test_enforce_psd":
        "plugs in a custom BaseStateFidelity returning -0.5; qvc computes fidelities itself "
        "(the same projection is checked by the statevector kernel's test_enforce_psd)",
    "kernels/test_fidelity_qkernel.py::TestFidelityQuantumKernel::test_exceptions":
        "validates qiskit-ml's evaluate_duplicates / max_circuits_per_job arguments, which "
        "qvc's kernel does not have",
    "kernels/test_fidelity_qkernel.py::TestFidelityQuantumKernel::test_properties":
        "reads the fidelity primitive and evaluate_duplicates back from the kernel",
    "kernels/test_fidelity_qkernel.py::TestDuplicates::test_evaluate_duplicates":
        "counts the circuits sent to a wrapped Sampler.run; qvc runs no sampler in exact mode",
    "kernels/test_fidelity_qkernel.py::TestDuplicates::test_evaluate_duplicates_asymmetric":
        "counts the circuits sent to a wrapped Sampler.run; qvc runs no sampler in exact mode",
}

#: The peer test files this plugin applies to (relative to the extracted ``test/`` folder).
PEER_FILES = (
    "kernels/test_fidelity_statevector_kernel.py",
    "kernels/test_fidelity_qkernel.py",
    "kernels/test_trainable_fidelity_qkernel.py",
    "kernels/algorithms/test_fidelity_qkernel_trainer.py",
    "neural_networks/test_sampler_qnn.py",
    "algorithms/classifiers/test_qsvc.py",
    "algorithms/classifiers/test_fidelity_quantum_kernel_qsvc.py",
    "algorithms/classifiers/test_pegasos_qsvc.py",
    "algorithms/classifiers/test_fidelity_quantum_kernel_pegasos_qsvc.py",
)


def _sampler_mode(sampler) -> dict:
    """qvc execution settings for a qiskit sampler primitive (None = qiskit-ml's default, exact)."""
    if sampler is None or getattr(sampler, "_exact_mode", False):  # QMLSampler() (shots=None) is exact
        return {}
    options = getattr(sampler, "options", None)
    shots = getattr(options, "default_shots", None) or getattr(sampler, "_default_shots", None)
    return {"execution": "shots", "shots": int(shots or 1024), "seed": getattr(sampler, "_seed", None)}


class FidelityQuantumKernel(StatevectorKernel):
    """``FidelityQuantumKernel(...)`` -> ``StatevectorKernel`` in the matching execution mode."""

    def __init__(self, *, feature_map=None, fidelity=None, enforce_psd=True,
                 evaluate_duplicates="off_diagonal", max_circuits_per_job=None):
        super().__init__(feature_map=feature_map, enforce_psd=enforce_psd, **_fidelity_settings(fidelity))


def _fidelity_settings(fidelity) -> dict:
    if fidelity is None:
        return {}
    from qiskit_machine_learning.state_fidelities import ComputeUncompute

    if type(fidelity) is not ComputeUncompute:  # an undeclared use fails, it is not skipped
        raise NotImplementedError("qvc computes fidelities itself; custom fidelity primitives do not apply")
    return _sampler_mode(getattr(fidelity, "_sampler", None))


class TrainableFidelityQuantumKernel(TrainableStatevectorKernel):
    """``TrainableFidelityQuantumKernel(...)`` -> ``TrainableStatevectorKernel``, fidelity mapped."""

    def __init__(self, *, feature_map=None, fidelity=None, training_parameters=None, enforce_psd=True,
                 evaluate_duplicates="off_diagonal", max_circuits_per_job=None):
        super().__init__(feature_map=feature_map, training_parameters=training_parameters,
                         enforce_psd=enforce_psd, **_fidelity_settings(fidelity))


class SamplerQNN(StatevectorQNN):
    """``SamplerQNN(...)`` -> ``StatevectorQNN`` with the sampler mapped to an execution mode."""

    def __init__(self, *, circuit, sampler=None, input_params=None, weight_params=None, sparse=False,
                 interpret=None, output_shape=None, gradient=None, input_gradients=False,
                 pass_manager=None):
        super().__init__(
            circuit, input_params, weight_params, interpret=interpret, output_shape=output_shape,
            input_gradients=input_gradients, **({"sparse": True} if sparse else {}), **_sampler_mode(sampler),
        )


def pytest_configure(config) -> None:
    """Swap qiskit-ml's classes for qvc's before any peer test module is imported."""
    import qiskit_machine_learning.algorithms.classifiers.pegasos_qsvc as pegasos_mod
    import qiskit_machine_learning.algorithms.classifiers.qsvc as qsvc_mod
    import qiskit_machine_learning.kernels as kernels
    import qiskit_machine_learning.neural_networks as nn
    import qiskit_machine_learning.neural_networks.sampler_qnn as sampler_qnn_mod

    kernels.FidelityStatevectorKernel = StatevectorKernel
    kernels.TrainableFidelityStatevectorKernel = TrainableStatevectorKernel
    kernels.TrainableFidelityQuantumKernel = TrainableFidelityQuantumKernel
    for mod in (kernels, qsvc_mod, pegasos_mod):
        if hasattr(mod, "FidelityQuantumKernel"):
            mod.FidelityQuantumKernel = FidelityQuantumKernel
    nn.SamplerQNN = SamplerQNN
    sampler_qnn_mod.SamplerQNN = SamplerQNN


def _reason(nodeid: str) -> str | None:
    path, _, name = nodeid.partition("::")
    rel = path.split("test/", 1)[-1] if "test/" in path else path
    for key, why in NOT_APPLICABLE.items():
        kpath, _, kname = key.partition("::")
        if rel.endswith(kpath) and (name == kname or name.startswith(kname + "_")):
            return why
    return None


def pytest_collection_modifyitems(config, items) -> None:
    """Skip the declared not-applicable tests, with their reason."""
    for item in items:
        why = _reason(item.nodeid)
        if why is not None:
            item.add_marker(pytest.mark.skip(reason=f"not applicable to qvc: {why}"))
