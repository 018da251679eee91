"""Carry build manifests past the filters: ``go.mod``, ``package.json``, ``Cargo.toml``, ``composer.json`` and
``*.csproj`` (:func:`dscoder.data.languages.is_module_manifest`) are not training files (``go.mod`` is in no
language of the set and the language block drops it), but the repository-level stage needs them to resolve
imports (a Go import path is relative to ``go.mod``'s module, a C# project sees the projects it references).
This step copies each one, marked ``metadata.manifest = True``, to its own folder and passes every document on
unchanged, so the filters decide about training text exactly as before.

By default that folder lies beside the kept files (:func:`manifests_beside`: ``OUTPUT/../manifests``, as the
excluded files go to ``OUTPUT/../excluded``), and the repository-level stage reads the folder beside its input,
so ``dscoder data filter RAW KEPT`` then ``dscoder data repo-level KEPT SAMPLES`` resolve Go module imports with
no configuration. Without the manifests, cobra-shaped Go repositories lose every cross-package edge.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from dscoder.data.languages import is_module_manifest

__all__ = ["MANIFESTS_FOLDER", "ManifestCarrier", "manifests_beside"]

#: name of the manifests folder beside the filter stage's kept files
MANIFESTS_FOLDER = "manifests"


def manifests_beside(kept: str | Path) -> str:
    """The default manifests folder of a kept-files folder: its sibling ``manifests`` (``/d/kept`` ->
    ``/d/manifests``, ``s3://b/run/kept`` -> ``s3://b/run/manifests``)."""
    text = str(kept).rstrip("/")
    if "://" in text:
        scheme, rest = text.split("://", 1)
        if "/" not in rest:
            raise ValueError(f"{kept}: a bucket root has no folder beside it; give the manifests folder explicitly")
        return f"{scheme}://{rest.rsplit('/', 1)[0]}/{MANIFESTS_FOLDER}"
    return str(Path(text).parent / MANIFESTS_FOLDER)


class ManifestCarrier(PipelineStep):
    """Write a copy of every build manifest to ``writer`` (file records with ``manifest: true``); pass all on."""

    name = "📦 Build manifests (go.mod, package.json, ...)"
    type = "🔻 - FILTER"

    def __init__(self, writer):
        super().__init__()
        self.writer = writer

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        with self.writer if self.writer else contextlib.nullcontext() as writer:
            for doc in data:
                path = doc.metadata.get("path")
                if isinstance(path, str) and writer is not None and is_module_manifest(path):
                    self.stat_update("manifests")
                    copy = Document(text=doc.text, id=doc.id, metadata={**doc.metadata, "manifest": True})
                    copy.metadata.pop("language", None)
                    writer.write(copy, rank)
                yield doc
