"""The dependency direction holds: every module sits in a layer of the import contract, imports only
the layers below it, and no two modules import each other round a loop."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parent.parent


def _layers() -> list[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = config["contracts"]
    return [name.strip() for layer in contract["layers"] for name in layer.split(":")]


def test_layers_contract_is_kept() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=REPO, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stdout[-2000:]
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_every_module_is_in_a_layer() -> None:
    layers = _layers()
    graph = grimp.build_graph("bot", "storage")
    outside = [module for module in sorted(graph.modules) if module not in ("bot", "bot.handlers")
               and not any(module == layer or module.startswith(layer + ".") for layer in layers)]
    assert outside == [], f"add these to a layer in pyproject.toml [tool.importlinter]: {outside}"


def test_no_import_cycles_even_through_type_only_imports() -> None:
    graph = grimp.build_graph("bot", "storage", exclude_type_checking_imports=False)
    cycles = [(module, chain) for module in sorted(graph.modules)
              for imported in graph.find_modules_directly_imported_by(module)
              if (chain := graph.find_shortest_chain(importer=imported, imported=module))]
    assert cycles == []
