"""``dscoder data push FOLDER REPO_ID``: publish a pipeline output folder as a Hub dataset with its card."""

from __future__ import annotations


def add_push_command(sub) -> None:
    """Registered by :mod:`dscoder_cli.data`."""
    p = sub.add_parser(
        "push",
        help="publish a pipeline output folder as a Hugging Face Hub dataset, with a dataset card",
        description="Write the records of FOLDER (JSONL[.gz] or Parquet shards) as the Hub layout "
        "datasets.push_to_hub makes (data/train-XXXXX-of-YYYYY.parquet, and a README.md card whose YAML holds "
        "dataset_info: features, splits, sizes; the loading config; the licence; the filter funnel from --logs; the "
        "decontamination report) into --export, then upload it to the Hub dataset REPO_ID in one commit. Needs a "
        "token (huggingface-cli login or HF_TOKEN).",
    )
    p.add_argument("folder", help="pipeline output folder, e.g. out/data/decontaminated")
    p.add_argument("repo_id", help="Hub dataset id, e.g. me/my-code-data")
    p.add_argument("--license", default="other",
                   help="licence field of the card (default: other: each file keeps its repository's licence)")
    p.add_argument("--public", action="store_true", help="create a public repository (default: private)")
    p.add_argument("--logs", help="datatrove logging folder of the filter run: its funnel goes into the card")
    p.add_argument("--decontamination-report", metavar="FILE",
                   help="contamination_report.json of `dscoder data decontaminate`, summarised in the card")
    p.add_argument("--description", default="", help="first paragraph of the card")
    p.add_argument("--export", metavar="DIR", help="where the Hub layout is written before the upload, and kept "
                   "(default: FOLDER_hub beside FOLDER)")
    p.set_defaults(handler=_run_push, parser=p)


def _run_push(args) -> int:
    from dscoder.data.hub_push import push_dataset

    url = push_dataset(args.folder, args.repo_id, license=args.license, private=not args.public, logs_dir=args.logs,
                       decontamination_report=args.decontamination_report, description=args.description,
                       export_dir=args.export)  # fmt: skip
    print(f"pushed {args.folder} to {url}")
    return 0
