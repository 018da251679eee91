"""Dependency ordering of a repository's files: the paper's Algorithm 1 and an SCC-aware variant (report §2.2).

Graph convention (report §2.2): when file A uses file B the graph has the edge B → A, which raises A's in-degree.
Nodes are integers ``0..n-1``; ``edges`` are ``(b, a)`` pairs (dependency, dependent).

* :func:`weakly_connected_components` splits the graph (step 1 of Algorithm 1).
* :func:`order_paper` is Algorithm 1 exactly: inside a component, repeatedly take the remaining file with the
  smallest *current* in-degree (not only zero, which is how cycles are handled), then decrement the in-degree of
  the files that depend on it. Ties are broken by a per-node key: random (seeded) or the path order.
* :func:`order_scc` condenses strongly connected components (import cycles), orders the condensation
  topologically and applies Algorithm 1's rule inside each SCC, so every edge that is not on a cycle is in order.
  Inside a cycle that holds ``weak`` edges (a Python package ``__init__`` that its own modules import while it
  re-exports them), the cycle is ordered the same way without them: the modules' own imports come first and only
  the weak edges are broken, where the rule alone would break plain ones (huggingface_hub's generated ``types``
  package: ``base.py`` after the modules that import it).

Written by hand: networkx is not a dependency of the project and its topological sorts neither implement the
minimal-in-degree rule nor run at the speed a 50,000-file repository needs (this module is O(E log V)).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "OrderStats",
    "edge_order_stats",
    "order_component",
    "order_paper",
    "order_scc",
    "strongly_connected_components",
    "tie_keys",
    "weakly_connected_components",
]


def _adjacency(n: int, edges: Sequence[tuple[int, int]]) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(n)]
    for b, a in edges:
        out[b].append(a)
    return out


def weakly_connected_components(
    n: int, edges: Sequence[tuple[int, int]], groups: Sequence[Sequence[int]] = ()
) -> list[list[int]]:
    """Weakly connected components (union-find), each sorted, listed by their smallest node. Each of ``groups``
    (files kept together without an edge, such as one Go package) is joined into one component."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    pairs = list(edges) + [(group[0], v) for group in groups for v in group[1:]]
    for b, a in pairs:
        rb, ra = find(b), find(a)
        if rb != ra:
            parent[max(rb, ra)] = min(rb, ra)
    components: dict[int, list[int]] = {}
    for v in range(n):
        components.setdefault(find(v), []).append(v)
    return [components[r] for r in sorted(components)]


def strongly_connected_components(n: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    """SCC id of every node (iterative Tarjan: no recursion limit on deep import chains)."""
    adj = _adjacency(n, edges)
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    comp = [-1] * n
    stack: list[int] = []
    counter = 0
    n_comp = 0
    for root in range(n):
        if index[root] != -1:
            continue
        work = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            v, i = work[-1]
            if i < len(adj[v]):
                work[-1] = (v, i + 1)
                w = adj[v][i]
                if index[w] == -1:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, 0))
                elif on_stack[w]:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp[w] = n_comp
                    if w == v:
                        break
                n_comp += 1
    return comp


def tie_keys(paths: Sequence[str], tie_break: str = "random", seed: int = 0) -> list[float]:
    """Per-node tie-break keys: ``random`` (seeded; a DeepSeek-Coder maintainer says the paper broke ties at random)
    or ``path`` order."""
    if tie_break == "path":
        rank = {p: i for i, p in enumerate(sorted(paths))}
        return [float(rank[p]) for p in paths]
    if tie_break != "random":
        raise ValueError(f"tie_break must be 'random' or 'path', got {tie_break!r}")
    rng = random.Random(seed)
    return [rng.random() for _ in paths]


def order_component(
    nodes: Sequence[int], adj: list[list[int]], in_degree: dict[int, int], keys: Sequence[float]
) -> list[int]:
    """Algorithm 1's loop on ``nodes``: take the minimal current in-degree (ties: smallest key), decrement
    dependents. ``in_degree`` counts only edges inside ``nodes`` and is consumed."""
    heap = [(in_degree[v], keys[v], v) for v in nodes]
    heapq.heapify(heap)
    taken: set[int] = set()
    result: list[int] = []
    while heap:
        deg, _, v = heapq.heappop(heap)
        if v in taken or deg != in_degree[v]:
            continue  # stale heap entry (lazy decrease-key)
        taken.add(v)
        result.append(v)
        for w in adj[v]:
            if w in in_degree and w not in taken:
                in_degree[w] -= 1
                heapq.heappush(heap, (in_degree[w], keys[w], w))
    return result


def in_degrees(nodes: Sequence[int], adj: Sequence[Iterable[int]]) -> dict[int, int]:
    """In-degree of each of ``nodes`` counting only the edges between them."""
    members = set(nodes)
    deg = dict.fromkeys(nodes, 0)
    for v in nodes:
        for w in adj[v]:
            if w in members:
                deg[w] += 1
    return deg


def order_paper(
    n: int, edges: Sequence[tuple[int, int]], keys: Sequence[float], groups: Sequence[Sequence[int]] = ()
) -> list[list[int]]:
    """Algorithm 1 (report §2.2): one ordered node list per weakly connected component (``groups`` joined)."""
    edges = _unique(edges)
    adj = _adjacency(n, edges)
    orders = []
    for nodes in weakly_connected_components(n, edges, groups):
        orders.append(order_component(nodes, adj, in_degrees(nodes, adj), keys))
    return orders


def order_scc(
    n: int,
    edges: Sequence[tuple[int, int]],
    keys: Sequence[float],
    groups: Sequence[Sequence[int]] = (),
    weak: Sequence[tuple[int, int]] = (),
) -> list[list[int]]:
    """SCC-aware order: condensation in topological order (ties: smallest key of the SCC), Algorithm 1's rule
    inside each SCC. Every edge between different SCCs ends up in order. ``groups`` join components. An SCC
    holding ``weak`` edges is ordered as its own graph without them (recursively SCC-aware)."""
    edges = _unique(edges)
    weak_set = set(weak)
    adj = _adjacency(n, edges)
    comp = strongly_connected_components(n, edges)
    n_comp = max(comp) + 1 if n else 0
    members: list[list[int]] = [[] for _ in range(n_comp)]
    for v in range(n):
        members[comp[v]].append(v)
    comp_key = [min(keys[v] for v in m) for m in members]
    comp_adj: list[set[int]] = [set() for _ in range(n_comp)]
    for b, a in edges:
        if comp[b] != comp[a]:
            comp_adj[comp[b]].add(comp[a])
    orders = []
    for nodes in weakly_connected_components(n, edges, groups):
        comps = sorted({comp[v] for v in nodes})
        cdeg = in_degrees(comps, comp_adj)
        heap = [(comp_key[c], c) for c in comps if cdeg[c] == 0]
        heapq.heapify(heap)
        result: list[int] = []
        while heap:
            _, c = heapq.heappop(heap)
            inner = members[c]
            if len(inner) == 1:
                result.append(inner[0])
            elif weak_set and any((b, a) in weak_set and comp[a] == c for b in inner for a in adj[b]):
                result.extend(_order_without_weak(inner, adj, keys, weak_set))
            else:
                result.extend(order_component(inner, adj, in_degrees(inner, adj), keys))
            for d in comp_adj[c]:
                cdeg[d] -= 1
                if cdeg[d] == 0:
                    heapq.heappush(heap, (comp_key[d], d))
        orders.append(result)
    return orders


def _order_without_weak(
    inner: Sequence[int], adj: list[list[int]], keys: Sequence[float], weak: set[tuple[int, int]]
) -> list[int]:
    """One cycle's nodes ordered by :func:`order_scc` on its own edges less the weak ones; the independent parts
    that leaves follow each other by their smallest key."""
    local = {v: k for k, v in enumerate(inner)}
    strong = [(local[v], local[a]) for v in inner for a in adj[v] if a in local and (v, a) not in weak]
    parts = order_scc(len(inner), strong, [keys[v] for v in inner])
    parts.sort(key=lambda part: min(keys[inner[k]] for k in part))
    return [inner[k] for part in parts for k in part]


@dataclass
class Counters:
    """A dataclass of counts that add up field by field (per repository, then per run)."""

    def add(self, other: Counters) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class OrderStats(Counters):
    """How well an order respects the dependency edges (after removing duplicate edges and self-loops)."""

    edges: int = 0
    acyclic_edges: int = 0  # edges whose ends lie in different SCCs (not on any import cycle)
    acyclic_in_order: int = 0  # ... of which the dependency comes first
    cyclic_edges: int = 0
    out_of_order: int = 0  # all edges whose dependency comes after its user ("broken" edges)
    cycles: int = 0  # strongly connected components with more than one file


    @property
    def acyclic_share(self) -> float:
        """Share of acyclic edges in order (1.0 when there are none)."""
        return self.acyclic_in_order / self.acyclic_edges if self.acyclic_edges else 1.0


def edge_order_stats(
    n: int, edges: Sequence[tuple[int, int]], orders: Sequence[Sequence[int]], scc: Sequence[int] | None = None
) -> OrderStats:
    """Count in-order edges of ``orders`` (positions are compared within the concatenation of the components).
    ``scc`` may pass :func:`strongly_connected_components`' result when the caller has it already."""
    edges = _unique(edges)
    comp = scc if scc is not None else strongly_connected_components(n, edges)
    pos = {}
    for part in orders:
        for v in part:
            pos[v] = len(pos)
    stats = OrderStats(edges=len(edges))
    sizes: dict[int, int] = {}
    for c in comp:
        sizes[c] = sizes.get(c, 0) + 1
    stats.cycles = sum(1 for s in sizes.values() if s > 1)
    for b, a in edges:
        in_order = pos[b] < pos[a]
        stats.out_of_order += not in_order
        if comp[b] == comp[a]:
            stats.cyclic_edges += 1
        else:
            stats.acyclic_edges += 1
            stats.acyclic_in_order += in_order
    return stats


def _unique(edges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    return sorted({(b, a) for b, a in edges if b != a})
