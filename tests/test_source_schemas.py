"""Source schemas: every preset read from a Parquet shard in its dataset's real schema (tests/source_fixtures.py),
The Stack v2's content fetch on a recorded S3 exchange, language labels, notebooks, the CLI's ``--schema``."""

from __future__ import annotations

import io
import sys
import typing
from pathlib import Path
from urllib.parse import urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import source_fixtures as fx

from dscoder.data.readers import ColumnMap, ReaderConfig, build_reader, reader_drops
from dscoder.data.source_schemas import SCHEMAS
from dscoder.data.swh_content import BUCKET


def _read(folder, **config):
    reader = build_reader(ReaderConfig(format=config.pop("format", "parquet"), **config), folder)
    docs = list(reader.run())
    records, _ = reader_drops(reader.stats)
    return reader, {d.id: d for d in docs}, records


def test_a_the_stack_shard_through_dscoder_data_filter(tmp_path, capsys):
    """The Stack's columns, read with the default layout, fail in one line naming the preset (they used to be read
    and every file dropped as language:no_path); with --schema every file keeps its path and language."""
    from dscoder_cli import main

    fx.the_stack(tmp_path / "in")
    config = str(_yaml(tmp_path, "reader: {format: parquet}\nblocks: [language]"))
    common = ["--tasks", "1", "--workers", "1", "--config", config]
    assert main(["data", "filter", str(tmp_path / "in"), str(tmp_path / "a" / "out"), *common]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "needs column(s) text" in err and "--schema the-stack" in err
    assert main(["data", "filter", str(tmp_path / "in"), str(tmp_path / "b" / "out"), *common, "--schema", "the-stack"]) == 0
    out = capsys.readouterr().out
    assert "language:no_path" not in out and "│ kept               │     3 │" in out


def _yaml(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text + "\n")
    return path


def test_the_stack_v1(tmp_path):
    fx.the_stack(tmp_path)
    _, docs, drops = _read(tmp_path, schema="the-stack")
    assert drops == {}
    util = docs["a" * 40]
    assert util.text == fx.UTIL
    assert util.metadata == {"repo": "me/pkg", "path": "pkg/util.py", "language": "python", "stars": 12,
                             "licenses": ["MIT"], "size": len(fx.UTIL)}  # fmt: skip
    assert docs["c" * 40].metadata["language"] == "c-sharp" and "stars" not in docs["c" * 40].metadata


def test_starcoderdata_and_github_code(tmp_path):
    fx.starcoderdata(tmp_path / "sc")
    _, docs, _ = _read(tmp_path / "sc", schema="starcoderdata")
    assert {k: (d.text, d.metadata) for k, d in docs.items()} == {
        "1": (fx.UTIL, {"repo": "me/pkg", "path": "pkg/util.py", "stars": 3})}  # the path decides the language
    fx.github_code(tmp_path / "gc")
    _, docs, _ = _read(tmp_path / "gc", schema="github-code")
    assert docs["me/go/main.go"].metadata == {"repo": "me/go", "path": "main.go", "language": "go",
                                              "license": "apache-2.0", "size": 13}  # "GO" -> go
    assert docs["me/pkg/pkg/util.py"].text == fx.UTIL


def test_the_stack_v3_streams_repositories_as_file_records(tmp_path):
    fx.the_stack_v3(tmp_path)
    reader, docs, drops = _read(tmp_path, schema="the-stack-v3")
    assert reader.stats["repositories"].total == 3
    assert drops == {"reader:is_vendor": 1, "reader:missing_text": 1}  # the vendored copy; the stub without content
    assert sorted(docs) == sorted(["me/pkg/pkg/main.py", "me/cs/src/Greeter.cs", "me/cs/web/App.tsx", "me/go/go.mod", "me/go/main.go",
                                   "me/pkg/notebooks/add.ipynb", "me/pkg/pkg/util.py"])  # fmt: skip
    main = docs["me/pkg/pkg/main.py"]
    assert main.text == fx.MAIN
    assert main.metadata == {"repo": "me/pkg", "path": "pkg/main.py", "language": "python", "stars": 12,
                             "commit": "9" * 40, "content_id": "m" * 40, "license_type": "permissive",
                             "licenses": ["MIT"], "size": len(fx.MAIN)}  # fmt: skip
    assert docs["me/cs/src/Greeter.cs"].metadata["language"] == "c-sharp"
    assert docs["me/cs/src/Greeter.cs"].metadata["license_type"] == "no_license"
    assert docs["me/cs/web/App.tsx"].metadata["language"] == "typescript"
    assert "language" not in docs["me/go/go.mod"].metadata  # Linguist's "Go Module": a manifest, not a language
    notebook = docs["me/pkg/notebooks/add.ipynb"]
    assert notebook.text == '# # Adding\n# Two numbers.\n\n# %matplotlib inline\ndef add(a, b):\n    return "a" + b\n'
    assert notebook.metadata["language"] == "jupyter-notebook" and notebook.metadata["notebook_language"] == "python"


def test_the_stack_v3_vendor_licence_and_repository_cap(tmp_path):
    fx.the_stack_v3(tmp_path)
    _, docs, drops = _read(tmp_path, schema="the-stack-v3", drop_flagged=[], license_types=["permissive"])
    assert docs["me/pkg/vendor/leftpad.js"].metadata["is_vendor"] is True
    assert drops == {"reader:license_type": 2}  # the stub and Greeter.cs
    cap = len(fx.MAIN.encode()) + len(fx.UTIL.encode())  # main.py and util.py fit, the files after them do not
    reader = build_reader(ReaderConfig(format="parquet", schema="the-stack-v3", max_repo_bytes=cap), tmp_path,
                          rejects_folder=tmp_path / "rejects")  # fmt: skip
    kept = [d.metadata["path"] for d in reader.run() if d.metadata["repo"] == "me/pkg"]
    assert kept == ["pkg/main.py", "pkg/util.py"]
    records, _ = reader_drops(reader.stats)
    # me/pkg's notebook, and me/cs's Greeter.cs, larger than the cap alone (App.tsx after it still fits)
    assert records["reader:repo_over_cap"] == 2
    assert reader.stats["bytes_dropped_reader:repo_over_cap"].total == len(fx.NOTEBOOK.encode()) + len(fx.CS.encode())
    rejected = (tmp_path / "rejects" / "00000.jsonl").read_text()
    assert '"reason":"reader:repo_over_cap"' in rejected and "notebooks/add.ipynb" in rejected


def test_the_stack_v3_feeds_the_repository_stage(tmp_path):
    """Repository rows go straight to the repository stage: every file of a repository in one sample, in order."""
    import gzip
    import json

    from dscoder.config import config_from_dict
    from dscoder.data.repo_level import RepoLevelConfig, run_repo_level

    fx.the_stack_v3(tmp_path / "in")
    config = config_from_dict({
        "input": str(tmp_path / "in"), "output": str(tmp_path / "samples"), "logs": str(tmp_path / "logs"),
        "reader": {"format": "parquet", "schema": "the-stack-v3"}, "dedup": {"enabled": False},
        "executor": {"tasks": 1, "workers": 1}, "grouping": {"buckets": 1}, "ordering": {"tie_break": "path"},
    }, RepoLevelConfig)  # fmt: skip
    run_repo_level(config)
    samples = [json.loads(line) for p in sorted((tmp_path / "samples").glob("*.jsonl.gz"))
               for line in gzip.decompress(p.read_bytes()).decode().splitlines()]  # fmt: skip
    by_files = {tuple(s["files"]): s for s in samples}
    assert by_files[("pkg/util.py", "pkg/main.py")]["text"] == f"# pkg/util.py\n{fx.UTIL}\n# pkg/main.py\n{fx.MAIN}"
    assert ("main.go",) in by_files and not any("go.mod" in f for f in by_files)  # go.mod: a manifest, no sample
    assert {s["repo"] for s in samples} == {"me/pkg", "me/cs", "me/go"}


class _Raw:
    """The raw HTTP body botocore reads a response from."""

    def __init__(self, body: bytes):
        self._body = io.BytesIO(body)

    def read(self, *args, **kwargs):
        return self._body.read(*args)

    def stream(self, **kwargs):
        yield self._body.read()


def _recorded_exchange(client, objects: dict[str, list[tuple[int, bytes]]]):
    """Answer the client's requests from ``objects`` (S3 key -> responses, one per attempt); returns the requests."""
    from botocore.awsrequest import AWSResponse

    requests: list[str] = []

    def send(request, **kwargs):
        url = urlsplit(request.url)
        if url.hostname.startswith(f"{BUCKET}."):  # virtual-hosted style
            bucket, key = BUCKET, url.path.lstrip("/")
        else:
            bucket, _, key = url.path.lstrip("/").partition("/")
        requests.append(f"{bucket}/{key}")
        status, body = objects[key].pop(0)
        return AWSResponse(request.url, status, {"Content-Length": str(len(body))}, _Raw(body))

    client.meta.events.register("before-send.s3.GetObject", send)
    return requests


_NO_SUCH_KEY = b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>NoSuchKey</Code><Message>gone</Message></Error>"
_INTERNAL = b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>InternalError</Code><Message>retry</Message></Error>"


@pytest.fixture
def aws_test_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_the_stack_v2_contents_come_from_software_heritage(tmp_path, aws_test_credentials):
    latin = "# caf\u00e9\nx = 1\n"
    rows = [fx.v2_file("b1", "pkg/util.py", "Python", fx.UTIL), fx.v2_file("b2", "pkg/old.py", "Python", latin, "ISO-8859-1"),
            fx.v2_file("b3", "pkg/gone.py", "Python", "x = 2\n"), fx.v2_file("b4", "pkg/flaky.py", "Python", fx.MAIN),
            fx.v2_file("b5", "vendor/lib.js", "JavaScript", fx.VENDORED, vendor=True),
            fx.v2_file("b6", "pkg/bad.py", "Python", "y = 3\n")]  # fmt: skip
    fx.write(tmp_path / "in" / "train.parquet", rows, fx.THE_STACK_V2)
    reader = build_reader(ReaderConfig(format="parquet", schema="the-stack-v2", fetch_workers=4), tmp_path / "in")
    requests = _recorded_exchange(reader.content_fetcher.client, {
        "content/b1": [(200, fx.gzip_blob(fx.UTIL))], "content/b2": [(200, fx.gzip_blob(latin, "latin-1"))],
        "content/b3": [(404, _NO_SUCH_KEY)], "content/b4": [(500, _INTERNAL), (200, fx.gzip_blob(fx.MAIN))],
        "content/b6": [(200, b"not gzip")],
    })  # fmt: skip
    docs = {d.id: d for d in reader.run()}
    assert sorted(requests) == ["softwareheritage/content/b1", "softwareheritage/content/b2", "softwareheritage/content/b3",
                                "softwareheritage/content/b4", "softwareheritage/content/b4",  # retried after the 500
                                "softwareheritage/content/b6"]  # the vendored b5 is never fetched  # fmt: skip
    assert docs["b1"].text == fx.UTIL and docs["b2"].text == latin and docs["b4"].text == fx.MAIN
    assert docs["b1"].metadata == {"repo": "me/pkg", "path": "pkg/util.py", "language": "python", "stars": 5,
                                   "license_type": "permissive", "licenses": ["MIT"], "size": len(fx.UTIL)}  # fmt: skip
    assert reader_drops(reader.stats)[0] == {"reader:is_vendor": 1, "reader:content_missing": 1, "reader:undecodable": 1}


def test_the_stack_v2_repositories_fetch_only_what_the_cap_lets_through(tmp_path, aws_test_credentials):
    files = [fx.v2_repo_file("u", "pkg/util.py", "Python", fx.UTIL), fx.v2_repo_file("m", "pkg/main.py", "Python", fx.MAIN),
             fx.v2_repo_file("big", "data/table.py", "Python", "x" * 500)]  # fmt: skip
    fx.write(tmp_path / "in" / "train.parquet", [fx.v2_repo("me/pkg", files)], fx.THE_STACK_V2_REPOS)
    reader = build_reader(ReaderConfig(format="parquet", schema="the-stack-v2-repos", max_repo_bytes=200), tmp_path / "in")
    requests = _recorded_exchange(reader.content_fetcher.client, {
        "content/u": [(200, fx.gzip_blob(fx.UTIL))], "content/m": [(200, fx.gzip_blob(fx.MAIN))]})
    docs = {d.id: d for d in reader.run()}
    assert sorted(requests) == ["softwareheritage/content/m", "softwareheritage/content/u"]
    assert docs["me/pkg/pkg/main.py"].text == fx.MAIN
    assert docs["me/pkg/pkg/main.py"].metadata == {"repo": "me/pkg", "path": "pkg/main.py", "language": "python",
                                                   "stars": 42, "blob_id": "m", "license_type": "permissive",
                                                   "licenses": ["MIT"], "size": len(fx.MAIN)}  # fmt: skip
    assert reader_drops(reader.stats)[0] == {"reader:repo_over_cap": 1}


def test_the_stack_v2_without_credentials_fails_in_one_line(tmp_path, monkeypatch, capsys):
    from dscoder_cli import main

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    fx.write(tmp_path / "in" / "train.parquet", [fx.v2_file("b1", "a.py", "Python", "x = 1\n")], fx.THE_STACK_V2)
    assert main(["data", "filter", str(tmp_path / "in"), str(tmp_path / "out"), "--schema", "the-stack-v2"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "needs AWS credentials" in err and "s3://softwareheritage/content/" in err


def test_a_columns_mapping_reads_any_dataset(tmp_path):
    import pyarrow as pa

    schema = pa.schema([("source", pa.string()), ("uid", pa.int64()), ("project", pa.string()), ("file", pa.string()),
                        ("lang", pa.string()), ("stars", pa.int64())])  # fmt: skip
    fx.write(tmp_path / "x.parquet", [{"source": fx.CS, "uid": 7, "project": "me/cs", "file": "G.cs", "lang": "C#",
                                       "stars": 4}], schema)  # fmt: skip
    columns = ColumnMap(text="source", id="uid", repo="project", path="file", language="lang")
    _, docs, _ = _read(tmp_path, columns=columns)
    assert docs["7"].text == fx.CS
    assert docs["7"].metadata == {"repo": "me/cs", "path": "G.cs", "language": "c-sharp", "stars": 4}


def test_schema_names_agree_everywhere():
    from dscoder.data.readers import SchemaName
    from dscoder_cli.data import SCHEMA_NAMES

    assert tuple(SCHEMAS) == SCHEMA_NAMES == typing.get_args(SchemaName)
    from dscoder_cli import build_parser

    for command in (["filter", "i", "o"], ["repo-level", "i", "o"], ["decontaminate", "i", "o"],
                    ["tokenize", "i", "o", "--tokenizer", "t"], ["instructions", "i", "o.jsonl"]):  # fmt: skip
        assert build_parser().parse_args(["data", *command, "--schema", "the-stack-v3"]).schema == "the-stack-v3"
    with pytest.raises(ValueError, match="reads the dataset's Parquet shards"):
        ReaderConfig(schema="the-stack-v3")  # format jsonl


@pytest.mark.parametrize(("label", "paper"), [
    ("C#", "c-sharp"), ("C++", "cpp"), ("Go Module", None), ("Jupyter Notebook", "jupyter-notebook"), ("TSX", "typescript"),
    ("GO", "go"), ("FORTRAN", "fortran"), ("Visual Basic", "visual-basic"), ("Common Lisp", "common-lisp"),
    ("Emacs Lisp", "emacs-lisp"), ("F#", "f-sharp"), ("Objective-C", None), ("reStructuredText", "restructuredtext"),
    ("c-sharp", "c-sharp"), ("Java Server Pages", "java-server-pages"), ("Protocol Buffer", "protocol-buffer"), ("", None),
])  # fmt: skip
def test_language_labels_map_to_the_papers_spelling(label, paper):
    from dscoder.data.languages import paper_language

    assert paper_language(label) == paper


def test_notebooks_are_read_as_scripts_once(tmp_path):
    import gzip
    import json

    from dscoder.data.notebooks import notebook_to_script

    v3 = {"nbformat": 3, "metadata": {"language": "python"}, "worksheets": [{"cells": [
        {"cell_type": "heading", "level": 2, "source": "Title"}, {"cell_type": "code", "input": ["x = 1\n", "!ls"]}]}]}
    assert notebook_to_script(json.dumps(v3)) == ("# ## Title\n\nx = 1\n# !ls\n", "python")
    scala = {"cells": [{"cell_type": "markdown", "source": "Hi"}, {"cell_type": "code", "source": "val x = 1"}],
             "metadata": {"kernelspec": {"language": "scala"}}}  # fmt: skip
    assert notebook_to_script(json.dumps(scala)) == ("// Hi\n\nval x = 1\n", "scala")
    rows = [{"id": "nb", "text": fx.NOTEBOOK, "repo": "r", "path": "a.ipynb"},
            {"id": "bad", "text": "{not json", "repo": "r", "path": "b.ipynb"}]
    (tmp_path / "in").mkdir()
    with gzip.open(tmp_path / "in" / "0.jsonl.gz", "wt") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    _, docs, drops = _read(tmp_path / "in", format="jsonl")
    assert drops == {"reader:malformed_notebook": 1}
    script = docs["nb"].text
    assert script.startswith("# # Adding") and docs["nb"].metadata["notebook_language"] == "python"
    with gzip.open(tmp_path / "in" / "0.jsonl.gz", "wt") as f:  # a later stage reads the converted record as it is
        f.write(json.dumps({"id": "nb", "text": script, **{k: v for k, v in docs["nb"].metadata.items()}}) + "\n")
    _, again, drops = _read(tmp_path / "in", format="jsonl")
    assert again["nb"].text == script and drops == {}
    _, raw, _ = _read(tmp_path / "in", format="jsonl", notebooks="raw")
    assert raw["nb"].text == script
