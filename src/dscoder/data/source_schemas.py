"""Source schemas: how the columns of a Hub code corpus become file records (docs/design.md, "File records").

A file record is ``text`` + ``id`` + metadata ``repo``/``path``/``language`` (the paper's spelling). Each corpus
names these differently; ``reader.schema`` (YAML) or ``--schema NAME`` (every ``dscoder data`` command that reads
code) picks a preset, and ``reader.columns`` maps any other dataset's columns. Column names and Arrow types are
those of each dataset card:

============================  =====================================================================================
``file-records``              this project's layout (default): ``text``, ``id``, ``repo``, ``path``, ``language``;
                              every other column is kept as metadata.
``the-stack``                 bigcode/the-stack, -dedup, -smol (v1): ``content``, ``hexsha`` (id),
                              ``max_stars_repo_name``, ``max_stars_repo_path``, ``lang``; + ``max_stars_count``
                              (``stars``), ``max_stars_repo_licenses`` (``licenses``), ``size``.
``the-stack-v2``              bigcode/the-stack-v2, -dedup: one row per file without its content: ``blob_id`` (id),
                              ``repo_name``, ``path``, ``language``, ``src_encoding``; the content is fetched from
                              Software Heritage's S3 bucket (:mod:`dscoder.data.swh_content`).
``the-stack-v2-repos``        bigcode/the-stack-v2-train-full-ids, -train-smol-ids: one row per repository
                              (``repo_name``) with ``files``, a list of ``{blob_id, path, language, src_encoding,
                              length_bytes, ...}``; contents fetched as for ``the-stack-v2``.
``the-stack-v3``              HuggingFaceCode/stack-v3-train: one row per repository (``repo_path``, ``commit_id``,
                              ``github_metadata``, ``num_files``) with ``files``, a list of ``{content_id, content,
                              size_bytes, file_path, language, is_vendor, license_type, detected_licenses, ...}``.
``starcoderdata``             bigcode/starcoderdata: ``content``, ``id``, ``max_stars_repo_name``,
                              ``max_stars_repo_path``, ``max_stars_count`` (the language is the folder; the path
                              decides it here).
``github-code``               codeparrot/github-code: ``code``, ``repo_name``, ``path``, ``language``, ``license``,
                              ``size``.
============================  =====================================================================================

Choices a user of The Stack expects, made explicit:

* The repository-grouped presets (``the-stack-v3``, ``the-stack-v2-repos``) give one file record per file, each
  with its repository's name, so they feed the repository stage (report §2.2) as they are: its router puts every
  file of a repository into one bucket. The reader streams them (Parquet row groups, batches sized by the row
  groups' byte counts) and caps what one repository may send on at ``reader.max_repo_bytes``: files that would
  pass it, in the dataset's file order, are dropped as ``reader:repo_over_cap`` (for v2 before their content is
  fetched).
* Files the dataset flags as vendored or generated (``is_vendor``, ``is_generated``) are dropped by default
  (``reader:is_vendor``, ``reader:is_generated``): a vendored library is another project's code, counted again in
  every repository that copies it, and its modules resolve nowhere in the dependency graph; generated files are
  what the heuristics would drop anyway. ``reader.drop_flagged: []`` keeps them, marked ``is_vendor: true``.
* Licence fields become metadata (``license_type``: ``permissive`` / ``no_license``; ``licenses``: the detected
  SPDX ids); ``reader.license_types: [permissive]`` keeps only permissively licensed files
  (``reader:license_type``).
* Language labels (Linguist names such as ``C#``, ``Go Module``, ``Jupyter Notebook``) map to the paper's spelling
  with :func:`dscoder.data.languages.paper_language`; a label outside the set leaves ``language`` unset (the
  filter stage identifies such a file by its path; ``go.mod`` reaches the repository stage as a manifest).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from dscoder.data.languages import paper_language

__all__ = ["SCHEMAS", "SourceSchema", "guess_schema"]


@dataclass(frozen=True)
class SourceSchema:
    """Where a dataset keeps the parts of a file record.

    ``text``/``id``/``repo``/``path``/``language``: column names (``None``: absent; the id is then
    ``repo/path``). ``extra``: ``(column, metadata key)`` pairs carried as metadata. ``files``: the list column of a
    repository-grouped dataset (one row per repository); the other names then refer to the fields of its per-file
    structs, and ``repo_columns`` (``(row column, name)``, ``a.b`` for a struct field) copies repository-level
    values into each file first. ``fetch``: the text is not in the data but fetched from Software Heritage by
    ``blob_id`` and ``src_encoding``. ``size``: the per-file byte count column (plans the repository cap before
    reading or fetching a file). ``flags``: boolean columns ``reader.drop_flagged`` may drop on.
    ``keep_other_columns``: every unnamed column becomes metadata (this project's layout, ``columns:``).
    """

    name: str
    text: str | None = "text"
    id: str | None = "id"
    repo: str | None = "repo"
    path: str | None = "path"
    language: str | None = "language"
    extra: tuple[tuple[str, str], ...] = ()
    files: str | None = None
    repo_columns: tuple[tuple[str, str], ...] = ()
    fetch: bool = False
    size: str | None = None
    flags: tuple[str, ...] = ()
    keep_other_columns: bool = False
    map_language: bool = True

    @property
    def required(self) -> tuple[str, ...]:
        """Columns (of the row, or of the per-file struct) without which no record can be made."""
        if self.fetch:
            return ("blob_id", self.path) if self.path else ("blob_id",)
        return (self.text,) if self.text else ()

    def row_columns(self) -> list[str] | None:
        """Top-level columns to read (``None``: all of them)."""
        if self.keep_other_columns:
            return None
        if self.files:
            return [self.files, *dict.fromkeys(col.split(".")[0] for col, _ in self.repo_columns)]
        return list(dict.fromkeys(self.file_columns()))

    def file_columns(self) -> list[str]:
        named = [self.text, self.id, self.repo, self.path, self.language, *(c for c, _ in self.extra), *self.flags]
        if self.fetch:
            named += ["blob_id", "src_encoding"]
        injected = {name for _, name in self.repo_columns}
        return [c for c in named if c and c not in injected]

    def record(self, row: dict, default_id: str) -> dict:
        """A datatrove document dict (``text``, ``id``, ``metadata``) from one flat row or file struct (popped)."""
        text = row.pop(self.text, None) if self.text else None
        metadata: dict[str, Any] = {}
        for column, key in ((self.repo, "repo"), (self.path, "path")):
            if column and row.get(column) is not None:
                metadata[key] = row.pop(column)
        if self.language and self.language in row:
            label = row.pop(self.language)
            language = paper_language(label) if self.map_language else label
            if language is not None:
                metadata["language"] = language
        doc_id = row.pop(self.id, None) if self.id else None
        if doc_id is None:
            doc_id = f"{metadata['repo']}/{metadata['path']}" if "repo" in metadata and "path" in metadata else default_id
        for column, key in self.extra:
            value = row.pop(column, None)
            if value is not None and value != []:
                metadata[key] = value
        for flag in self.flags:
            if row.pop(flag, None) is True:
                metadata[flag] = True
        if self.keep_other_columns:
            nested = row.pop("metadata", None)
            metadata = {**(nested if isinstance(nested, dict) else {}), **row, **metadata}
        return {"text": text, "id": str(doc_id), "metadata": metadata}

    def with_columns(self, **columns: str | None) -> SourceSchema:
        """This schema with some column names replaced (``reader.columns``); ``None`` values are ignored."""
        return dataclasses.replace(self, **{k: v for k, v in columns.items() if v is not None})


_STARS_V1 = (("max_stars_count", "stars"), ("max_stars_repo_licenses", "licenses"), ("size", "size"))
_LICENCE = (("license_type", "license_type"), ("detected_licenses", "licenses"))

#: The presets, by the name ``reader.schema`` / ``--schema`` takes.
SCHEMAS: dict[str, SourceSchema] = {
    "file-records": SourceSchema("file-records", keep_other_columns=True, map_language=False),
    "the-stack": SourceSchema("the-stack", text="content", id="hexsha", repo="max_stars_repo_name",
                              path="max_stars_repo_path", language="lang", extra=_STARS_V1),
    "the-stack-v2": SourceSchema(
        "the-stack-v2", text="content", id="blob_id", repo="repo_name", path="path", language="language", fetch=True,
        extra=(("star_events_count", "stars"), *_LICENCE, ("length_bytes", "size")), size="length_bytes",
        flags=("is_vendor", "is_generated"),
    ),
    "the-stack-v2-repos": SourceSchema(
        "the-stack-v2-repos", text="content", id=None, repo="repo_name", path="path", language="language", fetch=True,
        files="files", repo_columns=(("repo_name", "repo_name"), ("star_events_count", "stars")),
        extra=(("stars", "stars"), ("blob_id", "blob_id"), *_LICENCE, ("length_bytes", "size")), size="length_bytes",
        flags=("is_vendor", "is_generated"),
    ),
    "the-stack-v3": SourceSchema(
        "the-stack-v3", text="content", id=None, repo="repo_path", path="file_path", language="language",
        files="files", repo_columns=(("repo_path", "repo_path"), ("github_metadata.stars", "stars"),
                                     ("commit_id", "commit_id")),
        extra=(("stars", "stars"), ("commit_id", "commit"), ("content_id", "content_id"), *_LICENCE,
               ("size_bytes", "size")),
        size="size_bytes", flags=("is_vendor",),
    ),
    "starcoderdata": SourceSchema("starcoderdata", text="content", id="id", repo="max_stars_repo_name",
                                  path="max_stars_repo_path", language=None, extra=(("max_stars_count", "stars"),)),
    "github-code": SourceSchema("github-code", text="code", id=None, repo="repo_name", path="path",
                                language="language", extra=(("license", "license"), ("size", "size"))),
}  # fmt: skip


def guess_schema(columns: list[str] | set[str]) -> str | None:
    """The preset whose record columns a dataset has (``None`` when none fits): named in the error a user gets
    when a schema finds its columns missing."""
    present = set(columns)
    for name, schema in SCHEMAS.items():
        if name == "file-records":
            continue
        if schema.files:
            needed = {schema.files, schema.repo}
        else:
            needed = {c for c in (schema.id, schema.repo, schema.path, schema.language) if c} | set(schema.required)
        if needed <= present:
            return name
    return None
