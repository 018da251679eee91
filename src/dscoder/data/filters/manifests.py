"""Carry build manifests past the filters (the dependency order needs them): ``go.mod``, ``package.json``,
``Cargo.toml`` and ``composer.json`` (:data:`dscoder.data.languages.MODULE_MANIFESTS`) are not training files
(``go.mod`` is in no language of the set and the language block drops it), but the repository-level stage needs them
to resolve imports (a Go import path is relative to ``go.mod``'s module). This step copies each one, marked
``metadata.manifest = True``, to its own folder and passes every document on unchanged, so the filters decide about
training text exactly as before.
"""

from __future__ import annotations

import contextlib

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from dscoder.data.languages import is_module_manifest

__all__ = ["ManifestCarrier"]


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
