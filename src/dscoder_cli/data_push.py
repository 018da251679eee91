"""``dscoder data push FOLDER REPO_ID``: publish a pipeline output folder as a Hub dataset with its card."""

from __future__ import annotations

from dataclasses import dataclass

from dscoder_cli.options import Options, arg


@dataclass  # registered by dscoder_cli.data
class PushOptions(Options):
    """publish a pipeline output folder as a Hugging Face Hub dataset, with a dataset card

    Write the records of FOLDER (JSONL[.gz] or Parquet shards) as the Hub layout datasets.push_to_hub makes
    (data/train-00000-of-00002.parquet ..., and a README.md card whose YAML holds dataset_info: features, splits, sizes;
    the loading config; the licence; the filter funnel from --logs; the decontamination report) into --export, then
    upload it to the Hub dataset REPO_ID in one commit. Needs a token (huggingface-cli login or HF_TOKEN).
    """

    folder: str = arg(positional=True, help="pipeline output folder, e.g. out/data/decontaminated")
    repo_id: str = arg(positional=True, help="Hub dataset id, e.g. me/my-code-data")
    license: str = arg("other", help="licence field of the card (default: other: each file keeps its repository's "
                                     "licence)")  # fmt: skip
    public: bool = arg(False, help="create a public repository (default: private)")
    logs: str | None = arg(None, help="datatrove logging folder of the filter run: its funnel goes into the card")
    decontamination_report: str | None = arg(
        None, metavar="FILE", help="contamination_report.json of `dscoder data decontaminate`, summarised in the card"
    )
    description: str = arg("", help="first paragraph of the card")
    export: str | None = arg(
        None, metavar="DIR", help="where the Hub layout is written before the upload, and kept (default: FOLDER_hub "
        "beside FOLDER)",
    )  # fmt: skip


def run_push(o: PushOptions) -> int:
    from dscoder.data.hub_push import push_dataset

    url = push_dataset(o.folder, o.repo_id, license=o.license, private=not o.public, logs_dir=o.logs,
                       decontamination_report=o.decontamination_report, description=o.description,
                       export_dir=o.export)  # fmt: skip
    print(f"pushed {o.folder} to {url}")
    return 0
