"""The notebooks run top to bottom on a real Jupyter kernel: a failing cell fails the suite."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.xdist_group("digits_cnn")  # one worker compiles the CNN step once

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_the_notebooks_are_committed_with_their_outputs():
    assert [p.name for p in NOTEBOOKS][:2] == ["01_gradient_tape.ipynb", "02_jit_and_ir.ipynb"]
    for path in NOTEBOOKS:
        code = [c for c in nbformat.read(path, 4).cells if c.cell_type == "code"]
        assert all(c.outputs or not c.source.strip() for c in code[1:]), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path):
    notebook = nbformat.read(path, 4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    printed = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert printed and not any(o.output_type == "error" for o in printed)
