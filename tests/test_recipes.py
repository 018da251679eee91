"""Every recipe YAML validates; the paper recipes dry-run (config + meta model + data path) with their numbers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from dscoder.config import ConfigError
from dscoder.training.recipe import (
    BatchConfig,
    derive_batch,
    load_recipe,
    parse_overrides,
)
from dscoder.training.runner import resolve_report_to

RECIPES = Path(__file__).resolve().parents[1] / "recipes"
ALL_RECIPES = sorted(p for p in RECIPES.rglob("*.yaml") if "accelerate" not in p.parts)
PAPER = {  # recipe -> (preset used for a checkpoint that is not here, global batch, peak lr, params in billions)
    "pretrain/deepseek-coder-1.3b.yaml": (None, 1024, 5.3e-4, 1.3),
    "pretrain/deepseek-coder-6.7b.yaml": (None, 2304, 4.2e-4, 6.7),
    "pretrain/deepseek-coder-33b.yaml": (None, 3840, 3.5e-4, 33.3),
}


def test_recipe_set_is_complete():
    names = {str(p.relative_to(RECIPES)) for p in ALL_RECIPES}
    assert set(PAPER) | {"long_context.yaml", "continued_pretrain_v1.5.yaml", "sft_instruct.yaml"} <= names
    assert {"tiny/pretrain.yaml", "tiny/sft.yaml", "tiny/long_context.yaml"} <= names


@pytest.mark.parametrize("path", ALL_RECIPES, ids=lambda p: str(p.relative_to(RECIPES)))
def test_every_recipe_validates(path):
    recipe = load_recipe(path)
    assert recipe.description
    if recipe.stage == "sft":
        assert recipe.objective.fim_rate == 0.0


@pytest.mark.parametrize("name", sorted(PAPER))
def test_paper_pretraining_recipes_dry_run(name):
    from dscoder.training.dry_run import dry_run

    _, batch, lr, billions = PAPER[name]
    recipe = load_recipe(RECIPES / name)
    assert (recipe.optimizer.lr, recipe.optimizer.betas, recipe.optimizer.weight_decay) == (lr, (0.9, 0.95), 0.1)
    assert recipe.optimizer.max_grad_norm == 1.0
    assert (recipe.schedule.type, recipe.schedule.warmup_steps, recipe.schedule.milestones) == ("deepseek", 2000, (0.8, 0.9))
    assert (recipe.objective.fim_rate, recipe.objective.fim_mode) == (0.5, "psm")
    out = dry_run(recipe, num_processes=8)
    assert out["batch"]["global_sequences"] == batch and out["batch"]["seq_length"] == 4096
    assert out["max_steps"] == math.ceil(1.8e12 / (batch * 4096))
    assert out["parameters"] == pytest.approx(billions * 1e9, rel=0.04)
    assert out["rope_parameters"] == {"rope_type": "default", "rope_theta": 10000.0}
    assert out["batch_shape"] == [out["batch"]["micro_batch_size"], 4096]


def test_long_context_recipe_dry_run():
    from dscoder.training.dry_run import dry_run

    out = dry_run(RECIPES / "long_context.yaml", num_processes=8, checkpoint_preset="deepseek-coder-1.3b")
    assert out["rope_parameters"] == {"rope_type": "linear", "factor": 4.0, "rope_theta": 100000.0}
    assert out["max_steps"] == 1000 and out["batch"]["global_sequences"] == 512
    assert out["batch"]["seq_length"] == 16384
    recipe = load_recipe(RECIPES / "long_context.yaml")
    assert recipe.optimizer.lr == pytest.approx(5.3e-4 * 0.1)  # the final pretraining stage's rate
    assert recipe.model.config_overrides["max_position_embeddings"] == 16384


def test_continued_pretraining_v15_recipe_dry_run():
    from dscoder.training.data import mixture_probabilities
    from dscoder.training.dry_run import dry_run

    recipe = load_recipe(RECIPES / "continued_pretrain_v1.5.yaml")
    assert recipe.objective.fim_rate == 0.0 and recipe.data.seq_length == 4096
    probs = dict(zip(recipe.data.sources, mixture_probabilities(recipe.data)))
    shares = [
        probs["source_code"],
        probs["markdown"] + probs["stackexchange"],
        probs["code_related_text"],
        probs["math_text"],
        probs["chinese_text"] + probs["english_text"],
    ]
    assert shares == pytest.approx([0.70, 0.10, 0.07, 0.07, 0.06])
    out = dry_run(recipe, num_processes=32, checkpoint_preset="deepseek-coder-7b-v1.5")
    assert out["max_steps"] == math.ceil(2e12 / (2304 * 4096))


def test_sft_recipe_dry_run():
    from dscoder.training.dry_run import dry_run

    recipe = load_recipe(RECIPES / "sft_instruct.yaml")
    assert (recipe.optimizer.lr, recipe.schedule.type, recipe.schedule.warmup_steps) == (1e-5, "cosine", 100)
    assert recipe.sft.completion_only_loss and recipe.sft.packing and not recipe.lora.enabled
    out = dry_run(recipe, num_processes=8, checkpoint_preset="deepseek-coder-6.7b")
    assert out["tokens_per_step"] == 4 * 1024 * 1024  # "4M tokens" per batch
    assert out["max_steps"] == math.ceil(2e9 / out["tokens_per_step"])


def test_accelerate_configs_load():
    from accelerate.commands.config.config_args import ClusterConfig

    expected = {
        "cpu.yaml": "MULTI_GPU", "ddp.yaml": "MULTI_GPU", "ddp_multinode.yaml": "MULTI_GPU",
        "fsdp.yaml": "FSDP", "fsdp_multinode.yaml": "FSDP",
        "deepspeed_zero3_offload.yaml": "DEEPSPEED", "deepspeed_zero3_offload_multinode.yaml": "DEEPSPEED",
    }
    for name, kind in expected.items():
        config = ClusterConfig.from_yaml_file(str(RECIPES / "accelerate" / name))
        assert config.distributed_type.value == kind, name
        if kind == "DEEPSPEED":
            ds = config.deepspeed_config
            assert (ds["zero_stage"], ds["offload_optimizer_device"], ds["offload_param_device"]) == (3, "cpu", "cpu")
        if kind == "FSDP":
            assert config.fsdp_config["fsdp_reshard_after_forward"] is True  # full shard
        assert (config.num_machines > 1) == name.endswith("multinode.yaml")


def test_unknown_key_is_an_error_naming_it(tmp_path):
    data = yaml.safe_load((RECIPES / "tiny" / "pretrain.yaml").read_text())
    data["optimizer"]["learning_rate"] = 1e-3
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=r"bad.yaml: optimizer.learning_rate: unknown key"):
        load_recipe(bad)


def test_conflicting_keys_are_errors_naming_them(tmp_path):
    data = yaml.safe_load((RECIPES / "tiny" / "pretrain.yaml").read_text())
    data["training"]["max_tokens"] = 1000
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=r"training: give exactly one of max_steps, max_tokens"):
        load_recipe(bad)
    with pytest.raises(ConfigError, match=r"objective: fim_rate must be in \[0, 1\]"):
        load_recipe(RECIPES / "tiny" / "pretrain.yaml", {"objective.fim_rate": 1.5})


def test_overrides_from_the_command_line(tmp_path, monkeypatch):
    overrides = parse_overrides(
        ["optimizer.lr=1e-4", "training.output_dir=out", "data.sources.code.weight=2", "training.report_to=[none]"],
        cwd=tmp_path,
    )
    assert overrides == {
        "optimizer.lr": 1e-4,
        "training.output_dir": str(tmp_path / "out"),  # command-line paths are relative to the current folder
        "data.sources.code.weight": 2,
        "training.report_to": ["none"],
    }
    recipe = load_recipe(RECIPES / "tiny" / "pretrain.yaml", overrides)
    assert recipe.optimizer.lr == 1e-4 and recipe.training.output_dir == tmp_path / "out"
    with pytest.raises(ConfigError, match="optimizer.learning_rate: no such recipe key"):
        parse_overrides(["optimizer.learning_rate=1"])
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        parse_overrides(["optimizer.lr"])


def test_batch_plan_from_sequences_or_tokens():
    plan = derive_batch(BatchConfig(global_batch_sequences=1024, micro_batch_size=4), 4096, world_size=64)
    assert (plan.gradient_accumulation_steps, plan.tokens_per_step) == (4, 1024 * 4096)
    plan = derive_batch(BatchConfig(global_batch_tokens=4 * 1024 * 1024, micro_batch_size=2), 4096, world_size=1)
    assert (plan.global_sequences, plan.gradient_accumulation_steps) == (1024, 512)
    with pytest.raises(ValueError, match="not divisible by batch.micro_batch_size 4 x 3 processes"):
        derive_batch(BatchConfig(global_batch_sequences=1024, micro_batch_size=4), 4096, world_size=3)
    with pytest.raises(ValueError, match="not a multiple of data.seq_length"):
        derive_batch(BatchConfig(global_batch_tokens=1000), 4096, world_size=1)


def test_embeddings_sized_from_a_released_length_tokenizer_pad_to_the_released_32256():
    from types import SimpleNamespace

    from dscoder.training.model_loading import build_config
    from dscoder.training.recipe import ModelConfig

    class Released(SimpleNamespace):
        def __len__(self):
            return 32_022  # the released tokenizer's length (SPEC §2)

    spec = ModelConfig(preset="tiny", tokenizer="unused", vocab_size_from_tokenizer=True)
    config = build_config(spec, Released(bos_token_id=32_013, eos_token_id=32_014, pad_token_id=32_014))
    assert config.vocab_size == 32_256 and config.bos_token_id == 32_013


# ---------------------------------------------------------------------------------------------------------------
# the training section on the HF argument conventions (issue 15 point 3) and numeric validation (issue 18 item 7)
def test_training_section_takes_any_trainer_field_from_yaml_and_set(tmp_path):
    from transformers import TrainingArguments

    from dscoder.training.recipe import derive_batch
    from dscoder.training.runner import training_arguments_kwargs

    data = yaml.safe_load((RECIPES / "tiny" / "pretrain.yaml").read_text())
    data["training"].update(ddp_find_unused_parameters=False, use_liger_kernel=False,
                            gradient_checkpointing_kwargs={"use_reentrant": False}, dataloader_drop_last=True)
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(data))
    overrides = parse_overrides(["training.eval_strategy=steps", "training.eval_steps=5",
                                 "training.torch_compile=false", "training.report_to=[none]"])  # fmt: skip
    recipe = load_recipe(path, overrides)
    kwargs = training_arguments_kwargs(recipe, derive_batch(recipe.batch, recipe.data.seq_length, 1))
    assert (kwargs["eval_strategy"], kwargs["eval_steps"], kwargs["torch_compile"]) == ("steps", 5.0, False)
    assert kwargs["gradient_checkpointing_kwargs"] == {"use_reentrant": False} and kwargs["dataloader_drop_last"]
    assert kwargs["ddp_find_unused_parameters"] is False and kwargs["per_device_eval_batch_size"] == 4
    args = TrainingArguments(**{**kwargs, "output_dir": str(tmp_path / "out")})
    assert args.eval_strategy == "steps" and args.eval_steps == 5
    # the resolved recipe written next to a run loads back to the same recipe
    from dscoder.training.recipe import recipe_to_dict

    (tmp_path / "again.yaml").write_text(yaml.safe_dump(recipe_to_dict(recipe)))
    assert load_recipe(tmp_path / "again.yaml") == recipe


@pytest.mark.parametrize(("override", "message"), [
    ({"training.eval_stratgy": "steps"}, r"training.eval_stratgy: unknown key: .*; did you mean 'eval_strategy'\?"),
    ({"training.torch_compil": False}, r"did you mean 'torch_compile'\?"),
    ({"training.learning_rate": 1e-3}, r"training.learning_rate: set by optimizer.lr, not under training"),
    ({"training.per_device_train_batch_size": 2}, r"set by batch.micro_batch_size"),
    ({"training.packing": True}, r"training.packing: set by sft.packing"),
    ({"training.dataset_num_proc": 2}, r"training.dataset_num_proc: a trl.SFTConfig field: only for stage sft"),
    ({"training.max_steps": -5}, r"training.max_steps: must be > 0, got -5 \(transformers' -1 means"),
    ({"training.max_steps": -1}, r"give num_train_epochs instead of max_steps"),
    ({"training.max_steps": 0}, r"training.max_steps: must be > 0, got 0"),
    ({"training.save_steps": 0}, r"training.save_steps: must be > 0"),
    ({"training.logging_steps": -1}, r"training.logging_steps: must be > 0"),
    ({"training.eval_steps": -5, "training.eval_strategy": "steps"}, r"training.eval_steps: must be > 0"),
    ({"training.ddp_timeout": -3}, r"training.ddp_timeout: must be >= 0, got -3"),
    ({"optimizer.lr": 0}, r"optimizer.lr: must be > 0"),
    ({"batch.global_batch_sequences": -8}, r"batch.global_batch_sequences: must be > 0"),
    ({"schedule.warmup_steps": -1}, r"schedule: warmup_steps must be >= 0"),
    ({"schedule.milestones": [0.9, 0.8]}, r"milestones must be increasing fractions"),
    ({"data.eval_fraction": 1.0}, r"data: eval_fraction must be in \[0, 1\)"),
    ({"data.eval_sources": {}, "training.eval_strategy": "steps"},
     r"training.eval_strategy: is 'steps' but the recipe has no evaluation split"),
    ({"training.report_to": ["tensorbord"]}, r"training.report_to: unknown logger 'tensorbord'"),
])
def test_bad_training_settings_are_one_line_errors_at_load(override, message):
    with pytest.raises(ConfigError, match=message) as exc:
        load_recipe(RECIPES / "tiny" / "pretrain.yaml", override)
    assert "\n" not in str(exc.value) and str(exc.value).startswith(str(RECIPES / "tiny" / "pretrain.yaml"))


def test_transformers_sentinels_stay_allowed_and_sft_fields_go_to_sft():
    recipe = load_recipe(RECIPES / "tiny" / "pretrain.yaml", {"training.local_rank": -1})  # its own default
    assert recipe.training.trainer_args == {"local_rank": -1}
    sft = load_recipe(RECIPES / "tiny" / "sft.yaml", {"training.dataset_num_proc": 2, "training.packing_strategy": "wrapped"})
    assert sft.training.trainer_args == {"dataset_num_proc": 2, "packing_strategy": "wrapped"}
    with pytest.raises(ConfigError, match=r"--set: training.warmup_ratoi: unknown key"):
        parse_overrides(["training.warmup_ratoi=0.1"])


def test_report_to_defaults_to_the_installed_local_loggers(monkeypatch):
    import transformers.integrations

    from dscoder.training.runner import resolve_report_to

    monkeypatch.setattr(transformers.integrations, "get_available_reporting_integrations", lambda: ["wandb"])
    assert resolve_report_to(None) == ["none"]  # wandb needs an account: only when named
    assert resolve_report_to(["wandb"]) == ["wandb"]
    with pytest.raises(ValueError, match=r"tensorboard is not installed \(pip install tensorboard\), or leave"):
        resolve_report_to(["tensorboard"])
    monkeypatch.setattr(transformers.integrations, "get_available_reporting_integrations",
                        lambda: ["wandb", "trackio", "tensorboard"])  # fmt: skip
    assert resolve_report_to(None) == ["tensorboard", "trackio"]
    assert resolve_report_to(["all"]) == ["wandb", "trackio", "tensorboard"]


FULL_SIZE = {  # recipe -> --checkpoint-preset for one that starts from a checkpoint
    "pretrain/deepseek-coder-1.3b.yaml": None, "pretrain/deepseek-coder-6.7b.yaml": None,
    "pretrain/deepseek-coder-33b.yaml": None, "long_context.yaml": "deepseek-coder-1.3b",
    "continued_pretrain_v1.5.yaml": "deepseek-coder-7b-v1.5", "sft_instruct.yaml": "deepseek-coder-6.7b",
}


def test_every_full_size_recipe_passes_the_cli_dry_run(tmp_path, monkeypatch, capsys):
    """What a user runs before a launch, on this install: exit 0, the plan printed, the inputs an earlier stage
    produces listed as not produced yet (``--strict`` makes those an error)."""
    from dscoder_cli import main

    assert {str(p.relative_to(RECIPES)) for p in ALL_RECIPES if "tiny" not in p.parts} == set(FULL_SIZE)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for name, preset in FULL_SIZE.items():
        extra = ["--checkpoint-preset", preset] if preset else []
        out = tmp_path / f"{name.replace('/', '_')}.json"
        assert main(["train", str(RECIPES / name), "--dry-run", "--num-processes", "64", *extra,
                     "--summary-json", str(out)]) == 0, capsys.readouterr().err  # fmt: skip
        plan = json.loads(out.read_text())
        assert plan["report_to"] == resolve_report_to(None) and plan["evaluation"] != "none"
        assert {row["role"] for row in plan["inputs"]} - {"model"} == ({"train"} if "sft" in name else {"train", "eval"})
        printed = capsys.readouterr().out
        assert "run plan (dry run)" in printed and "evaluation" in printed
    assert main(["train", str(RECIPES / "pretrain/deepseek-coder-1.3b.yaml"), "--dry-run", "--strict"]) == 1


def test_dry_run_counts_parameters_of_the_real_config(tmp_path):
    """The tiny recipe sizes its embeddings from the tokenizer: the dry run counts that model, not the preset's
    32k vocabulary (issue 15 point 2: it reported 8.6M for a 0.6M model)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_training_helpers import build_tokenizer, synthetic_code

    from dscoder.tokenization.loading import load_tokenizer
    from dscoder.training.dry_run import dry_run
    from dscoder.training.model_loading import build_config, build_model

    build_tokenizer(tmp_path / "tok", synthetic_code(50))
    recipe = load_recipe(RECIPES / "tiny" / "pretrain.yaml", {  # data not produced yet, whatever the checkout holds
        "model.tokenizer": str(tmp_path / "tok"), "data.sources.code.path": str(tmp_path / "tokenized"),
        "data.eval_sources.heldout.path": str(tmp_path / "heldout")})  # fmt: skip
    plan = dry_run(recipe, num_processes=1)
    real = build_model(recipe.model, build_config(recipe.model, load_tokenizer(str(tmp_path / "tok"))))
    assert plan["parameters"] == sum(p.numel() for p in real.parameters())
    assert plan["vocab_size"] == 512 and plan["tokenizer"].endswith("(loaded)")
    assert plan["missing_inputs"] == 2  # the demo's tokenised data and held-out repositories
    import transformers.integrations

    with pytest.MonkeyPatch.context() as mp:  # a logger the recipe names but the machine lacks fails the dry run
        mp.setattr(transformers.integrations, "get_available_reporting_integrations", list)
        with pytest.raises(ValueError, match="tensorboard is not installed"):
            dry_run(load_recipe(RECIPES / "tiny" / "pretrain.yaml", {"model.tokenizer": str(tmp_path / "tok"),
                                                                      "training.report_to": ["tensorboard"]}))  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# a user's first hours: dry runs in a fresh clone, offline; the row length from the data; the TRL spelling of
# gradient checkpointing
@pytest.fixture
def fresh_clone(tmp_path, monkeypatch):
    """The recipes as a fresh clone has them (no demo_output, no outputs/ beside them), as the current folder."""
    import shutil

    shutil.copytree(RECIPES, tmp_path / "recipes")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "recipes"


def test_every_recipe_dry_runs_offline_in_a_fresh_clone_within_60_s(fresh_clone, monkeypatch, capsys):
    """Exit 0 for all ten recipes without any flag: what exists is checked, the rest is listed as not produced
    yet with what produces it; offline, the Hub is never asked (HF_HUB_OFFLINE)."""
    import time

    from dscoder_cli import main

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    recipes = sorted(p for p in fresh_clone.rglob("*.yaml") if "accelerate" not in p.parts)
    assert len(recipes) == 10
    plans = {}
    for path in recipes:
        name = str(path.relative_to(fresh_clone))
        start = time.perf_counter()
        code = main(["train", str(path), "--dry-run", "--summary-json", str(path.with_suffix(".plan.json"))])
        seconds = time.perf_counter() - start
        assert code == 0, (name, capsys.readouterr().err)
        assert seconds < 60, (name, seconds)
        plans[name] = json.loads(path.with_suffix(".plan.json").read_text())
    capsys.readouterr()
    models = {name: next((r["status"] for r in p["inputs"] if r["role"] == "model"), None) for name, p in plans.items()}
    for tiny in ("tiny/long_context.yaml", "tiny/sft.yaml", "tiny/continued_pretrain.yaml"):
        assert models[tiny] == ("missing: not produced yet (`dscoder train recipes/tiny/pretrain.yaml` writes it); "
                                "--checkpoint-preset tiny checks the architecture now"), models[tiny]  # fmt: skip
        assert plans[tiny]["parameters"] is None and plans[tiny]["model_type"].startswith("not checked")
    assert models["long_context.yaml"].startswith("missing: not produced yet (`dscoder train "
                                                  "recipes/pretrain/deepseek-coder-1.3b.yaml` writes it); "
                                                  "--checkpoint-preset deepseek-coder-1.3b")  # fmt: skip
    for hub in ("sft_instruct.yaml", "continued_pretrain_v1.5.yaml"):
        assert models[hub].startswith("Hub model, not in the local Hub cache, offline (HF_HUB_OFFLINE): not checked")
    tiny = plans["tiny/pretrain.yaml"]
    assert tiny["seq_length"].startswith("auto") and tiny["missing_inputs"] == 3  # tokenizer, data, held-out set
    assert "`make demo` (dscoder demo) writes it" in tiny["inputs"][0]["status"]
    assert tiny["parameters"] > 0 and tiny["evaluation"].endswith("(at most 64 rows each)")


def test_a_hub_model_gets_one_request_of_at_most_the_timeout(fresh_clone, monkeypatch):
    """Online but the Hub does not answer: one connection, abandoned after HUB_TIMEOUT_S, the model listed as not
    checked (huggingface_hub alone retries for about a minute)."""
    import socket
    import threading
    import time

    from huggingface_hub import constants

    from dscoder.training import dry_run as module

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    connections = []
    threading.Thread(target=lambda: [connections.append(server.accept()) for _ in range(8)], daemon=True).start()
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    endpoint = f"http://127.0.0.1:{server.getsockname()[1]}"
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)  # what HF_ENDPOINT sets when huggingface_hub loads
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", endpoint + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(module, "HUB_TIMEOUT_S", 0.5)
    monkeypatch.setenv("HF_HOME", str(fresh_clone.parent / "hf"))  # an empty cache
    start = time.perf_counter()
    plan = module.dry_run(fresh_clone / "sft_instruct.yaml")
    assert time.perf_counter() - start < 5
    assert plan["inputs"][0]["status"].startswith("Hub model, not in the local Hub cache, the Hub did not answer one "
                                                  "0.5 s request")  # fmt: skip
    deadline = time.monotonic() + 2
    while not connections and time.monotonic() < deadline:  # the accepting thread may lag on a busy machine
        time.sleep(0.05)
    assert len(connections) == 1, plan["inputs"][0]["status"]
    server.close()


def _tokenised(folder: Path, seq_len: int) -> Path:
    folder.mkdir(parents=True)
    (folder / "tokenization.json").write_text(json.dumps({"seq_len": seq_len, "fim_rate": 0.5, "fim_mode": "psm"}))
    return folder


def test_seq_length_auto_is_the_tokenised_datasets_own_length(fresh_clone):
    """The tiny recipe runs on either demo size (512-token rows, 256 with --quick) and on a user's own data."""
    from dscoder.training.recipe import resolve_seq_length

    tiny = fresh_clone / "tiny" / "pretrain.yaml"
    for length in (512, 256):
        data = _tokenised(fresh_clone.parent / f"rows{length}", length)
        recipe = load_recipe(tiny, {"data.sources.code.path": str(data)})
        assert recipe.data.seq_length == length
    recipe = load_recipe(tiny)  # no data yet: stays auto; a launch says what is missing
    assert recipe.data.seq_length == "auto"
    with pytest.raises(FileNotFoundError, match=r"data.seq_length: auto takes the row length from the tokenised "
                       r"data's tokenization.json, but data.sources.code \(.*demo_output/data/tokenized\) is not "
                       r"produced yet \(`dscoder data tokenize"):  # fmt: skip
        resolve_seq_length(recipe.data)
    with pytest.raises(ValueError, match=r"different row lengths \(code: 512, more: 256\)"):
        load_recipe(tiny, {"data.sources.code.path": str(fresh_clone.parent / "rows512"),
                           "data.sources.more": {"path": str(fresh_clone.parent / "rows256"), "kind": "tokenized"}})
    assert load_recipe(tiny, {"data.seq_length": 128}).data.seq_length == 128  # a number is kept as given


@pytest.mark.parametrize("key", ["training.gradient_checkpointing", "training.activation_checkpointing",
                                 "model.gradient_checkpointing"])  # fmt: skip
def test_gradient_checkpointing_is_one_switch_wherever_it_is_written(key, tmp_path):
    from dscoder.training.recipe import derive_batch, recipe_to_dict
    from dscoder.training.runner import training_arguments_kwargs

    recipe = load_recipe(RECIPES / "tiny" / "sft.yaml", parse_overrides([f"{key}=true"]))
    assert recipe.model.gradient_checkpointing is True and "gradient_checkpointing" not in recipe.training.trainer_args
    kwargs = training_arguments_kwargs(recipe, derive_batch(recipe.batch, recipe.data.seq_length, 1))
    assert kwargs["activation_checkpointing"] is True
    (tmp_path / "again.yaml").write_text(yaml.safe_dump(recipe_to_dict(recipe)))
    assert load_recipe(tmp_path / "again.yaml") == recipe
    assert load_recipe(RECIPES / "tiny" / "sft.yaml").model.gradient_checkpointing is None  # off unless asked


def test_gradient_checkpointing_written_twice_must_agree():
    with pytest.raises(ConfigError, match=r"model.gradient_checkpointing and training.gradient_checkpointing|"
                       r"training.gradient_checkpointing and model.gradient_checkpointing: disagree"):  # fmt: skip
        load_recipe(RECIPES / "tiny" / "sft.yaml", {"training.gradient_checkpointing": True,
                                                     "model.gradient_checkpointing": False})  # fmt: skip
    agreed = load_recipe(RECIPES / "tiny" / "sft.yaml", {"training.gradient_checkpointing": True,
                                                          "model.gradient_checkpointing": True})  # fmt: skip
    assert agreed.model.gradient_checkpointing is True


def test_a_launch_without_its_checkpoint_says_it_is_not_produced_yet(tmp_path):
    from dscoder.training.runner import run_recipe

    missing = tmp_path / "model" / "pretrain"
    with pytest.raises(FileNotFoundError, match=rf"^model.init_from: {missing} is not produced yet \(`dscoder train "
                       r"RECIPE --dry-run` names the run or command that writes it\)$"):  # fmt: skip
        run_recipe(RECIPES / "tiny" / "long_context.yaml", {"model.init_from": str(missing),
                                                            "training.output_dir": str(tmp_path / "out")})  # fmt: skip
    assert not (tmp_path / "out").exists()
