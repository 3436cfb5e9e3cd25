import subprocess
import sys

import pytest

import qvc


@pytest.mark.parametrize("name", [n for n in qvc.__all__ if n != "__version__"])
def test_every_public_name_resolves_to_its_definition(name):
    obj = getattr(qvc, name)
    assert obj.__module__.startswith("qvc.")
    assert obj.__doc__, f"{name} has no docstring"


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        qvc.nope  # noqa: B018


def test_importing_qvc_does_not_import_qiskit():
    code = "import sys, qvc; print('qiskit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
