"""Algorithm 1 (report §2.2) and the SCC-aware order: exact orders on known graphs."""

from __future__ import annotations

import random

import pytest

from dscoder.data.repo_level.ordering import (
    edge_order_stats,
    order_paper,
    order_scc,
    strongly_connected_components,
    tie_keys,
    weakly_connected_components,
)


def _names(order, names):
    return [[names[v] for v in part] for part in order]


def test_chain_diamond_and_disconnected_parts_follow_dependencies():
    names = ["top", "left", "right", "base", "lone", "x1", "x2"]
    ix = {n: i for i, n in enumerate(names)}
    # edge (b, a): a uses b
    edges = [(ix["base"], ix["left"]), (ix["base"], ix["right"]), (ix["left"], ix["top"]), (ix["right"], ix["top"])]
    edges += [(ix["x2"], ix["x1"])]
    keys = [float(i) for i in range(len(names))]
    assert _names(order_paper(len(names), edges, keys), names) == [["base", "left", "right", "top"], ["lone"], ["x2", "x1"]]
    assert _names(order_scc(len(names), edges, keys), names) == [["base", "left", "right", "top"], ["lone"], ["x2", "x1"]]


def test_minimal_in_degree_not_only_zero_handles_cycles():
    # a <-> b cycle, c uses a: every file has in-degree 1 at first; the tie goes to the smallest key (a)
    edges = [(1, 0), (0, 1), (0, 2)]
    assert order_paper(3, edges, [0.0, 1.0, 2.0]) == [[0, 1, 2]]
    # with c's key smallest, c (in-degree 1 like the others) comes first: the paper's rule, out of order for c
    assert order_paper(3, edges, [2.0, 1.0, 0.0]) == [[2, 1, 0]]
    assert order_scc(3, edges, [2.0, 1.0, 0.0]) == [[1, 0, 2]]  # the cycle {a, b} first, then c
    stats = edge_order_stats(3, edges, [[0, 1, 2]])
    assert (stats.edges, stats.cyclic_edges, stats.acyclic_edges, stats.cycles, stats.out_of_order) == (3, 2, 1, 1, 1)


def test_paper_rule_can_misplace_an_acyclic_edge_and_scc_order_does_not():
    # cycles {a, b} and {x, y}; c uses a, x uses c. Keys y < x < a < b < c make Algorithm 1 take x (in-degree 1)
    # before its acyclic dependency c.
    a, b, c, x, y = range(5)
    edges = [(b, a), (a, b), (a, c), (c, x), (y, x), (x, y)]
    keys = [2.0, 3.0, 4.0, 1.0, 0.0]
    paper = order_paper(5, edges, keys)
    assert paper == [[y, x, a, b, c]]
    stats = edge_order_stats(5, edges, paper)
    assert (stats.acyclic_edges, stats.acyclic_in_order, stats.cycles) == (2, 1, 2)
    scc = order_scc(5, edges, keys)
    assert scc == [[a, b, c, y, x]]
    assert edge_order_stats(5, edges, scc).acyclic_share == 1.0


def test_self_loops_and_duplicate_edges_are_ignored():
    assert order_paper(2, [(0, 0), (1, 0), (1, 0)], [0.0, 1.0]) == [[1, 0]]
    assert edge_order_stats(2, [(0, 0), (1, 0), (1, 0)], [[1, 0]]).edges == 1


def test_components_and_sccs():
    assert weakly_connected_components(5, [(3, 1), (4, 3)]) == [[0], [1, 3, 4], [2]]
    comp = strongly_connected_components(4, [(0, 1), (1, 2), (2, 0), (2, 3)])
    assert comp[0] == comp[1] == comp[2] != comp[3]


def test_random_tie_break_is_seeded_and_path_tie_break_is_path_order():
    paths = ["b.py", "a.py", "c.py"]
    assert tie_keys(paths, "path") == [1.0, 0.0, 2.0]
    assert tie_keys(paths, "random", seed=3) == tie_keys(paths, "random", seed=3)
    assert tie_keys(paths, "random", seed=3) != tie_keys(paths, "random", seed=4)
    with pytest.raises(ValueError, match="tie_break"):
        tie_keys(paths, "alphabetical")


def test_scc_order_puts_every_acyclic_edge_in_order_on_random_cyclic_graphs():
    rng = random.Random(0)
    for trial in range(30):
        n = rng.randint(5, 60)
        edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(rng.randint(n, 3 * n))]
        keys = tie_keys([str(i) for i in range(n)], "random", seed=trial)
        scc = order_scc(n, edges, keys)
        paper = order_paper(n, edges, keys)
        assert sorted(v for part in scc for v in part) == list(range(n))
        assert sorted(v for part in paper for v in part) == list(range(n))
        assert [sorted(p) for p in scc] == [sorted(p) for p in paper]  # same components
        assert edge_order_stats(n, edges, scc).acyclic_share == 1.0


def test_fifty_thousand_file_graph_is_ordered():
    rng = random.Random(1)
    n = 50_000
    edges = [(rng.randrange(i), i) for i in range(1, n) for _ in range(2)]  # a DAG: each file uses 2 older ones
    edges += [(i + 1, i) for i in range(0, n - 1, 97)]  # plus short cycles
    keys = tie_keys([f"f{i}.py" for i in range(n)], "random", seed=0)
    order = order_scc(n, edges, keys)
    assert len(order) == 1 and len(order[0]) == n
    assert edge_order_stats(n, edges, order).acyclic_share == 1.0
    assert sum(map(len, order_paper(n, edges, keys))) == n


def test_stage_default_is_the_scc_order_and_paper_setting_is_algorithm_1():
    from dscoder.data.repo_level.builder import FileRecord, build_repository_samples
    from dscoder.data.repo_level.config import OrderingConfig

    # the graph of the test above, as Python files whose path order gives the keys y < x < a < b < c
    files = {"m1_y.py": "import m2_x\n", "m2_x.py": "import m5_c\nimport m1_y\n", "m3_a.py": "import m4_b\n",
             "m4_b.py": "import m3_a\n", "m5_c.py": "import m3_a\n"}  # fmt: skip
    records = [FileRecord(p, p, t, "python") for p, t in files.items()]

    def order(**cfg):
        result = build_repository_samples("o/r", records, OrderingConfig(tie_break="path", **cfg))
        return [s.metadata["files"] for s in result.samples], result

    assert OrderingConfig().order == "scc"
    default, result = order()
    assert default == [["m3_a.py", "m4_b.py", "m5_c.py", "m1_y.py", "m2_x.py"]]
    paper, _ = order(order="paper")
    assert paper == [["m1_y.py", "m2_x.py", "m3_a.py", "m4_b.py", "m5_c.py"]]  # Algorithm 1, as order_paper
    assert (result.paper.acyclic_edges, result.paper.acyclic_in_order, result.scc.acyclic_in_order) == (2, 1, 2)


def test_reexport_cycle_orders_the_modules_own_imports_first():
    """pkg/__init__.py re-exports a.py and base.py; base.py takes a name from its package (``from . import
    TASKS``: a weak edge); a.py imports base.py. The cycle is ordered without the weak edge: base, a, __init__."""
    from dscoder.data.repo_level.deps import SourceFile, make_extractor

    files = {
        "pkg/__init__.py": "TASKS = ['a']\nfrom .a import A\nfrom .base import Base\n",
        "pkg/a.py": "from .base import Base\n\nclass A(Base): ...\n",  # sorts before base.py: wins the tie
        "pkg/base.py": "from . import TASKS\n\nclass Base: ...\n",
    }
    deps = make_extractor("python").extract([SourceFile(p, t, "python") for p, t in files.items()])
    init, a, base = range(3)
    assert sorted(deps.edges) == [(init, base), (a, init), (base, init), (base, a)] and deps.weak == [(init, base)]
    keys = tie_keys(list(files), "path")
    assert order_scc(3, deps.edges, keys) == [[a, init, base]]  # Algorithm 1's rule alone: a before base
    assert order_scc(3, deps.edges, keys, weak=deps.weak) == [[base, a, init]]
