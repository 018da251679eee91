"""How well samples follow a repository's true dependencies: the measure ``bench/repo_level.py`` and the tests
apply to real (and real-world-shaped) repositories, with true edges from a checker independent of the
extractors (Python's ``ast`` for installed packages, hand-written lists for the fixtures in ``tests/``).

An edge counts as in order when both files are in the same sample and the dependency comes first; an edge
whose ends land in different samples is not in order (the user's sample lacks its dependency). Shares are over
the *acyclic* true edges (edges between different strongly connected components of the true graph): on an
import cycle no order puts every edge first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .ordering import Counters, strongly_connected_components

__all__ = ["OrderQuality", "order_quality"]


@dataclass
class OrderQuality(Counters):
    true_edges: int = 0
    found_edges: int = 0  # true edges the extractor also produced (when its edges are given)
    extra_edges: int = 0  # extractor edges that are not true edges
    acyclic_edges: int = 0
    acyclic_in_order: int = 0

    @property
    def in_order_share(self) -> float:
        return self.acyclic_in_order / self.acyclic_edges if self.acyclic_edges else 1.0

    @property
    def recall(self) -> float:
        return self.found_edges / self.true_edges if self.true_edges else 1.0


def order_quality(
    true_edges: Iterable[tuple[str, str]],
    samples: Sequence[Sequence[str]],
    found_edges: Iterable[tuple[str, str]] | None = None,
) -> OrderQuality:
    """Score ``samples`` (each the ordered file paths of one sample) against ``true_edges``, ``(dependency,
    user)`` path pairs; ``found_edges`` (the extractor's, same form) adds recall and extra edges."""
    truth = sorted({(b, a) for b, a in true_edges if b != a})
    nodes = sorted({p for edge in truth for p in edge})
    index = {p: i for i, p in enumerate(nodes)}
    comp = strongly_connected_components(len(nodes), [(index[b], index[a]) for b, a in truth])
    position = {path: (k, j) for k, files in enumerate(samples) for j, path in enumerate(files)}
    q = OrderQuality(true_edges=len(truth))
    for b, a in truth:
        if comp[index[b]] == comp[index[a]]:
            continue
        q.acyclic_edges += 1
        pb, pa = position.get(b), position.get(a)
        q.acyclic_in_order += pb is not None and pa is not None and pb[0] == pa[0] and pb[1] < pa[1]
    if found_edges is not None:
        found = set(found_edges)
        q.found_edges = len(found & set(truth))
        q.extra_edges = len(found - set(truth))
    return q
