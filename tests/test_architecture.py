"""The layers hold (import-linter's contracts in pyproject.toml), files stay small, and the
IR spec documents every registered primitive with its params."""

import inspect
import re
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

from tapejit.control import all_primitives

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "src" / "tapejit"


def test_import_contracts_hold(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0, (
        "an import breaks a layer contract or makes a cycle: run `lint-imports` to see which")


def test_the_ir_contract_names_every_other_layer():
    text = (ROOT / "pyproject.toml").read_text()
    contract = text[text.index('source_modules = ["tapejit.ir"]'):]
    forbidden = set(re.findall(r'"(tapejit\.\w+)"', contract[:contract.index("]]")]))
    layers = {f"tapejit.{p.stem}" for p in SOURCES.iterdir()
              if p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists())}
    allowed = {"tapejit.ir", "tapejit.dtypes", "tapejit.errors", "tapejit.__init__",
               "tapejit.__main__"}
    assert layers - allowed <= forbidden, f"add to the ir contract: {layers - allowed - forbidden}"


@pytest.mark.parametrize("path", sorted(SOURCES.rglob("*.py")), ids=lambda p: p.name)
def test_files_stay_small(path):
    assert len(path.read_text().splitlines()) <= 450, f"{path} is over 450 lines: split it"


def _documented() -> dict[str, set[str]]:
    """Primitive name -> params, from the first cell of every row of the spec's section 5."""
    spec = (ROOT / "ir" / "SPEC.md").read_text()
    section = spec[spec.index("## 5. Primitives"):spec.index("## 6.")]
    found = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        for name, params in re.findall(r"`([a-z_0-9]+)(?:\[([^\]]*)\])?`", line.split("|")[1]):
            found[name] = {p.split("=")[0].strip() for p in params.split(",") if p.strip()}
    return found


def _params(prim) -> set[str]:
    parameters = inspect.signature(prim.type_rule).parameters.values()
    return {p.name for p in parameters if p.kind is p.KEYWORD_ONLY}


def test_the_spec_documents_every_primitive_with_its_params():
    documented = _documented()
    for name, prim in all_primitives().items():
        assert name in documented, f"ir/SPEC.md has no row for primitive {name}"
        assert documented[name] == _params(prim), (
            f"ir/SPEC.md documents {name} with params {sorted(documented[name])}, its type "
            f"rule takes {sorted(_params(prim))}")


def test_the_spec_documents_no_primitive_that_does_not_exist():
    assert set(_documented()) <= set(all_primitives())
