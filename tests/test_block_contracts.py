"""datatrove contracts of the dscoder blocks (issue 15 point 8): kept documents count in datatrove's ``doc_len``
stat like in any BaseFilter, and blocks that need optional packages declare ``_requires_dependencies`` so that
datatrove names the missing package when the block is created."""

from __future__ import annotations

import pytest
from datatrove.data import Document

from dscoder.data.filters.rules import RuleFilter
from dscoder.data.filters.syntax import SyntaxFilter
from dscoder.data.repo_level.dedup import CodeMinhashSignature


def test_filters_keep_datatroves_doc_len_stat():
    docs = [Document(text="def f(x):\n    return x\n", id="a", metadata={"language": "python"}),
            Document(text="def g(items):\n    return sorted(items)\n", id="b", metadata={"language": "python"}),
            Document(text="x" * 2000 + "\n", id="c", metadata={"language": "python"})]  # fmt: skip
    block = RuleFilter()
    kept = list(block.run(iter(docs)))
    assert [d.id for d in kept] == ["a", "b"]
    stats = block.stats.to_dict()["stats"]
    total = len(docs[0].text) + len(docs[1].text)
    assert (stats["doc_len"]["total"], stats["doc_len"]["n"], stats["doc_len"]["max"]) == (total, 2, len(docs[1].text))
    assert stats["bytes_kept"]["total"] == stats["doc_len"]["total"]


@pytest.mark.parametrize(("block", "module"), [(RuleFilter, "selectolax"), (SyntaxFilter, "tree_sitter"),
                                                (CodeMinhashSignature, "xxhash")])  # fmt: skip
def test_blocks_declare_their_optional_packages(block, module, monkeypatch):
    import datatrove.utils._import_utils as import_utils

    declared = [d if isinstance(d, str) else d[0] for d in block._requires_dependencies]
    assert module in declared
    real = import_utils._is_package_available
    monkeypatch.setattr(import_utils, "_is_package_available", lambda name: name != module and real(name))
    with pytest.raises(ImportError, match=module.replace("_", "[-_]")):
        block() if block is not CodeMinhashSignature else block("/tmp/unused")
