"""The ``ljof`` package imports one way: no module imports one that imports it back, and no layer imports
a higher one (data -> modeling -> evaluation / deploy / predictor -> main job). Imports inside functions
count too. Read from the sources with ``ast``; nothing is imported."""

import ast
import os
import unittest

from tests.common import ROOT

# the layer of each subpackage (or top-level module) of ljof; a module may import its own or lower layers
LAYERS = {
    "ljof.compat": 0,
    "ljof.errors": 0,
    "ljof.structures": 0,
    "ljof.model_zoo": 0,
    "ljof.checkpoint": 0,
    "ljof.data": 1,
    "ljof.synthetic": 1,
    "ljof.modeling": 2,
    "ljof.config": 2,  # the training tools' command-line checks: read data's metadata, the model zoo
    "ljof.engine": 2,
    # the occlusion tables and plots import only ljof.data; the occlusion evaluator logs them
    "ljof.reports": 2,
    "ljof.evaluation": 3,
    "ljof.deploy": 3,
    "ljof.predictor": 3,
    "ljof.main_job": 4,
    "ljof.analysis": 4,  # the robustness-curve driver runs inference with the evaluators
}


def _modules():
    """``{module name: (path, is_package)}`` of every file of the ljof package."""
    mods = {}
    for dirpath, _, names in os.walk(os.path.join(str(ROOT), "ljof")):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                dotted = os.path.relpath(path, str(ROOT))[:-3].replace(os.sep, ".")
                is_package = dotted.endswith(".__init__")
                mods[dotted[: -len(".__init__")] if is_package else dotted] = (path, is_package)
    return mods


def _import_graph():
    """``{module: set of ljof modules it imports}``, from every import statement of its file."""
    mods = _modules()
    graph = {m: set() for m in mods}
    for module, (path, is_package) in mods.items():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), filename=path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = module.split(".")[: None if is_package else -1]
                    parts = parts[: len(parts) - node.level + 1]
                    base = ".".join(parts + ([node.module] if node.module else []))
                else:
                    base = node.module
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            graph[module].update(t for t in targets if t in mods and t != module)
    return graph


def _cycles(graph):
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _layer(module):
    for prefix, layer in LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return None


class TestImportLayers(unittest.TestCase):
    def test_no_import_cycle(self):
        graph = _import_graph()
        self.assertIn("ljof.modeling.meta_arch.topdown", graph)
        self.assertEqual(_cycles(graph), [])

    def test_cycle_finder_finds_a_cycle(self):
        graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
        self.assertEqual(_cycles(graph), [["a", "b", "c"]])

    def test_layers_import_downwards(self):
        graph = _import_graph()
        for module, targets in sorted(graph.items()):
            if module == "ljof":  # the package's face imports its subpackages
                continue
            own = _layer(module)
            self.assertIsNotNone(own, f"{module}: not in LAYERS")
            for target in sorted(targets):
                with self.subTest(module=module, imports=target):
                    self.assertLessEqual(_layer(target), own)


if __name__ == "__main__":
    unittest.main()
