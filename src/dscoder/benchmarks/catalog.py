"""What ``dscoder benchmarks list`` shows and what ``dscoder benchmarks download`` fetches.

``benchmark_table`` says, without network, where each benchmark of :data:`BENCHMARKS` is read from now (data
folder, package, HF cache, Hub, or missing) with its record count, licence and source. ``download_benchmarks``
fetches Hub copies into the HF cache through the loaders' own Hub path (``huggingface_hub.hf_hub_download`` or
``datasets.load_dataset``), so a later offline run reads them from the cache.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from dscoder.benchmarks.loaders import NOT_SHIPPED, BenchmarkDataError, hub_offline, hub_reachable
from dscoder.benchmarks.registry import BENCHMARKS, get_benchmark

LOCATION_TEXT = {
    "local": "data dir",
    "package": "package",
    "hub-cache": "HF cache",
    "hub": "Hub (not cached)",
    "missing": "missing",
}


def benchmark_table(data_dir: str | Path | None = None, count: bool = True) -> list[dict]:
    """One row per benchmark: ``name``, ``records`` (``None`` when not loadable offline or ``count=False``),
    ``location`` (a key of :data:`LOCATION_TEXT`), ``licence``, ``source``, ``hub_id``, ``note``."""
    rows = []
    for name, spec in BENCHMARKS.items():
        location = spec.location(data_dir)
        records = None
        if count and location in ("local", "package", "hub-cache"):
            records = len(spec.load(data_dir=data_dir))
        note = NOT_SHIPPED.get(name, "") if location in ("hub", "missing") else ""
        rows.append({"name": name, "records": records, "location": location, "licence": spec.licence,
                     "source": spec.source, "hub_id": spec.hub_id, "note": note})
    return rows


def download_benchmarks(names: Iterable[str] | None = None, data_dir: str | Path | None = None) -> list[dict]:
    """Fetch the Hub copies of ``names`` (default: every benchmark whose data is neither in ``data_dir``, the
    package nor the HF cache) into the HF cache. Returns ``{name, records, hub_id}`` per benchmark.

    Raises :class:`BenchmarkDataError` (one line) when a name has no Hub copy or the Hub cannot be reached."""
    if names:
        specs = [get_benchmark(n) for n in names]
    else:
        specs = [s for s in BENCHMARKS.values() if s.location(data_dir) == "hub"]
    without_hub = [s.name for s in specs if s.hub_id is None]
    if without_hub:
        raise BenchmarkDataError(f"no Hub copy is known for {', '.join(without_hub)}: put its file in a data folder "
                                 "(--data-dir / $DSCODER_BENCHMARKS_DIR; see `dscoder benchmarks list`)")
    if not specs:
        return []
    if not hub_reachable():
        from huggingface_hub import constants

        why = "HF_HUB_OFFLINE is set" if hub_offline() else "no connection"
        raise BenchmarkDataError(f"cannot reach the Hugging Face Hub at {constants.ENDPOINT} ({why}): nothing "
                                 f"downloaded ({', '.join(s.name for s in specs)} need it)")
    return [{"name": s.name, "records": len(s.load(source="hub")), "hub_id": s.hub_id} for s in specs]
