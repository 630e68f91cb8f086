"""The package's layers, read from the source: every ``import`` statement of
every module (module level and inside functions) may only reach the same
layer or a lower one, and the module-level imports form no cycle.

Layers, low to high: utils/registry -> models, datasets, engine -> deploy
-> apis -> tools. Also: importing the package and the CLI does not import
inductor, which costs seconds and only the fast paths need."""
import ast
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Set, Tuple

import pytest

from tests.helpers import REPO

PACKAGE = osp.join(REPO, 'cgnet_mm')
LAYERS = {
    'utils': 0, 'registry': 0, 'version': 0,
    'models': 1, 'datasets': 1, 'engine': 1,
    'deploy': 2, 'apis': 3, 'tools': 4,
}


def _modules() -> Dict[str, str]:
    """Dotted name -> path of every module in the package (``.mim`` holds
    mim's copies of the configs and tool wrappers, not package code)."""
    found = {}
    for folder, dirs, files in os.walk(PACKAGE):
        dirs[:] = [d for d in dirs if not d.startswith(('.', '__'))]
        for name in files:
            if name.endswith('.py'):
                rel = osp.relpath(osp.join(folder, name), REPO)[:-3]
                dotted = rel.replace(os.sep, '.')
                found[dotted.removesuffix('.__init__')] = osp.join(
                    folder, name)
    return found


MODULES = _modules()


def _imports(name: str, path: str) -> List[Tuple[str, int, bool]]:
    """(imported cgnet_mm module, line, at module level) of ``path``."""
    with open(path) as f:
        tree = ast.parse(f.read())
    package = name if path.endswith('__init__.py') else name.rpartition(
        '.')[0]
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parts = package.split('.')
                parts = parts[:len(parts) - node.level + 1]
                base = '.'.join(parts + ([base] if base else []))
            targets = [f'{base}.{alias.name}' if f'{base}.{alias.name}'
                       in MODULES else base for alias in node.names]
        else:
            continue
        for target in targets:
            if target.startswith('cgnet_mm'):
                found.append((target, node.lineno, id(node) in top_level))
    return found


def _layer(module: str) -> int:
    parts = module.split('.')
    return LAYERS[parts[1]] if len(parts) > 1 else max(LAYERS.values())


def test_every_module_has_a_layer():
    stray = [m for m in MODULES if m != 'cgnet_mm'
             and m.split('.')[1] not in LAYERS]
    assert not stray, f'modules outside the layer map: {stray}'


def test_no_module_imports_a_higher_layer():
    upward = [
        f'{path}:{line} imports {target}'
        for name, path in MODULES.items() if name != 'cgnet_mm'
        for target, line, _ in _imports(name, path)
        if _layer(target) > _layer(name)
    ]
    assert not upward, '\n'.join(upward)


def test_module_level_imports_have_no_cycle():
    graph: Dict[str, Set[str]] = {
        name: {t for t, _, top in _imports(name, path)
               if top and t in MODULES and t != name}
        for name, path in MODULES.items()
    }
    state: Dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def visit(node: str, path: List[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(' -> '.join(path[path.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, '\n'.join(cycles)


@pytest.mark.parametrize('code', [
    'import cgnet_mm, cgnet_mm.apis, cgnet_mm.deploy',
    'from cgnet_mm.tools import cli; import cgnet_mm.tools.demo, '
    'cgnet_mm.tools.export, cgnet_mm.tools.train',
])
def test_inductor_is_not_imported_until_used(code):
    out = subprocess.run(
        [sys.executable, '-c', code + '; import sys; print(sorted('
         'm for m in sys.modules if m.startswith("torch._inductor")))'],
        cwd=REPO, check=True, capture_output=True, text=True).stdout
    assert out.strip() == '[]'
