"""The base every dscoder filter block shares: datatrove's ``BaseFilter`` plus byte counts per drop reason.

datatrove counts dropped documents per reason (``dropped_<reason>``); the funnel report (``dscoder data report``)
also needs the bytes each reason removes, so :class:`CodeFilter` records ``bytes_in``, ``bytes_kept`` and
``bytes_dropped_<reason>`` (UTF-8 bytes of ``text``) next to datatrove's own counters. Reasons follow docs/design.md:
``family:snake_case`` (``rules:avg_line_length``). A dropped document keeps its reason in
``metadata["filter_reason"]`` when the block has an exclusion writer, so nothing that is dropped is lost.
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.filters.base_filter import BaseFilter, get_filter_result
from datatrove.utils.batching import batched
from datatrove.utils.typeshelper import StatHints

#: metadata key holding a dropped document's reason (datatrove's own name for it)
REASON_KEY = "filter_reason"


def text_bytes(doc: Document) -> int:
    """UTF-8 size of a document's text (``metadata["size"]`` is trusted when a reader recorded it)."""
    size = doc.metadata.get("size")
    if isinstance(size, int) and not isinstance(size, bool):
        return size
    return len(doc.text.encode("utf-8", "surrogatepass"))


class CodeFilter(BaseFilter):
    """A datatrove filter whose stats also carry bytes in, kept and dropped per reason.

    Subclasses implement ``filter(doc)`` (or ``filter_batch``) and return ``True`` to keep or
    ``(False, "family:reason")`` to drop, exactly as for datatrove's ``BaseFilter``.
    """

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        # Same loop as BaseFilter.run, plus the byte counters (BaseFilter has no hook for them).
        with self.exclusion_writer if self.exclusion_writer else contextlib.nullcontext() as writer:
            for batch in batched(data, self.batch_size):
                if self.batch_size > 1:
                    self.stat_update("batches")
                with self.track_time("batch" if self.batch_size > 1 else None):
                    results = self.filter_batch(batch)
                for doc, result in zip(batch, results):
                    keep, reason = get_filter_result(result)
                    size = text_bytes(doc)
                    self.stat_update(StatHints.total)
                    self.stat_update("bytes_in", value=size, unit="doc")
                    if keep:
                        self.stat_update(StatHints.forwarded)
                        self.update_doc_stats(doc)  # datatrove's doc_len (and doc_len_tokens) of kept documents
                        self.stat_update("bytes_kept", value=size, unit="doc")
                        yield doc
                        continue
                    reason = reason or f"{self.family}:unspecified"
                    self.stat_update(StatHints.dropped, f"dropped_{reason}")
                    self.stat_update(f"bytes_dropped_{reason}", value=size, unit="doc")
                    if writer is not None:
                        doc.metadata[REASON_KEY] = reason
                        writer.write(doc, rank)

    #: the reason prefix of this block (docs/design.md: ``family:snake_case``)
    family: str = "filter"


class ConfiguredFilter(CodeFilter):
    """A :class:`CodeFilter` whose settings are one config dataclass, ``config_class``; left out, ``config`` is
    that class with its defaults."""

    config_class: ClassVar[type]

    def __init__(self, config: Any = None, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.config = config if config is not None else self.config_class()
