"""Released Llama-format checkpoints <-> DeepseekCoder format, trust_remote_code loading, presets (issue 7)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

import dscoder  # noqa: F401
from dscoder.modeling import (
    NOMINAL_PARAMETERS,
    PRESETS,
    count_parameters,
    preset_config,
)
from dscoder.modeling.conversion import convert_checkpoint, llama_config_dict

VOCAB = 256


@pytest.fixture(scope="module")
def released_like(tmp_path_factory):
    """A Llama checkpoint written with the released config.json's legacy RoPE keys, plus a tokenizer file."""
    from transformers import LlamaConfig, LlamaForCausalLM

    folder = tmp_path_factory.mktemp("released")
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=VOCAB,
        hidden_size=64,
        intermediate_size=160,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=1,
        eos_token_id=2,
        rope_theta=100_000.0,
        rope_scaling={"type": "linear", "factor": 4.0},
    )
    model = LlamaForCausalLM(config).eval()
    model.save_pretrained(folder)
    raw = json.loads((folder / "config.json").read_text())
    raw.pop("rope_parameters")
    raw.update(rope_scaling={"type": "linear", "factor": 4.0}, rope_theta=100000)  # as in the released file
    (folder / "config.json").write_text(json.dumps(raw))
    (folder / "tokenizer.json").write_text('{"version": "1.0"}')
    return folder, model


def _logits(model, ids):
    with torch.no_grad():
        return model(ids).logits


IDS = torch.randint(3, VOCAB, (2, 40), generator=torch.Generator().manual_seed(5))


def test_from_pretrained_reads_llama_checkpoint_directly(released_like):
    from dscoder.modeling import DeepseekCoderForCausalLM

    folder, llama = released_like
    ours = DeepseekCoderForCausalLM.from_pretrained(folder).eval()
    assert ours.config.model_type == "deepseek_coder"
    assert ours.config.rope_parameters["rope_type"] == "linear" and ours.config.rope_parameters["factor"] == 4.0
    assert ours.config.rope_parameters["rope_theta"] == 100_000
    assert (_logits(ours, IDS) - _logits(llama, IDS)).abs().max().item() <= 1e-5


def test_convert_both_ways(released_like, tmp_path):
    from transformers import AutoModelForCausalLM, LlamaForCausalLM

    from dscoder.modeling import DeepseekCoderForCausalLM

    folder, llama = released_like
    ours_dir, back_dir = tmp_path / "ours", tmp_path / "back"
    summary = convert_checkpoint(folder, ours_dir)
    assert summary["direction"] == "llama->deepseek_coder" and summary["copied_files"] == ["tokenizer.json"]
    assert summary["parameters"] == sum(p.numel() for p in llama.parameters())
    saved = json.loads((ours_dir / "config.json").read_text())
    assert saved["model_type"] == "deepseek_coder"
    assert saved["auto_map"]["AutoModelForCausalLM"] == "modeling_deepseek_coder.DeepseekCoderForCausalLM"
    ours = AutoModelForCausalLM.from_pretrained(ours_dir).eval()
    assert type(ours) is DeepseekCoderForCausalLM
    assert (_logits(ours, IDS) - _logits(llama, IDS)).abs().max().item() <= 1e-5

    convert_checkpoint(ours_dir, back_dir, to="llama")
    exported = json.loads((back_dir / "config.json").read_text())
    assert exported["model_type"] == "llama" and exported["architectures"] == ["LlamaForCausalLM"]
    assert exported["rope_scaling"] == {"type": "linear", "factor": 4.0} and exported["rope_theta"] == 100_000
    assert sorted(p.name for p in back_dir.glob("*.py")) == []
    again = AutoModelForCausalLM.from_pretrained(back_dir).eval()
    assert type(again) is LlamaForCausalLM
    assert torch.equal(_logits(again, IDS), _logits(llama, IDS))


def test_convert_refuses_bad_folders(released_like, tmp_path):
    folder, _ = released_like
    with pytest.raises(FileNotFoundError, match="no config.json"):
        convert_checkpoint(tmp_path, tmp_path / "out")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(FileExistsError, match="not empty"):
        convert_checkpoint(folder, tmp_path / "full")
    with pytest.raises(ValueError, match="unknown target format"):
        convert_checkpoint(folder, tmp_path / "o", to="gguf")


def test_llama_config_dict_without_scaling_has_no_rope_scaling():
    exported = llama_config_dict(preset_config("deepseek-coder-7b-v1.5"))
    assert "rope_scaling" not in exported and exported["rope_theta"] == 10_000.0
    assert exported["vocab_size"] == 102_400 and exported["num_hidden_layers"] == 30


def test_cli_convert_one_line_error(tmp_path):
    from dscoder_cli import main

    assert main(["convert", str(tmp_path / "missing"), str(tmp_path / "out")]) == 1


def test_trust_remote_code_without_dscoder(tmp_path):
    """The saved checkpoint carries auto_map and its code; it loads where dscoder cannot be imported."""
    model = preset_config("tiny", vocab_size=VOCAB, bos_token_id=1, eos_token_id=2)
    from dscoder.modeling import DeepseekCoderForCausalLM

    torch.manual_seed(0)
    ours = DeepseekCoderForCausalLM(model).eval()
    ours.save_pretrained(tmp_path / "ckpt")
    assert {"configuration_deepseek_coder.py", "modeling_deepseek_coder.py"} <= {
        p.name for p in (tmp_path / "ckpt").iterdir()
    }
    expected = _logits(ours, IDS)[0, -1, :5].tolist()
    script = textwrap.dedent(f"""
        import sys
        class HideDscoder:
            def find_spec(self, name, path=None, target=None):
                if name == "dscoder" or name.startswith("dscoder."):
                    raise ImportError("dscoder is hidden")
        sys.meta_path.insert(0, HideDscoder())
        import torch
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained({str(tmp_path / "ckpt")!r}, trust_remote_code=True).eval()
        assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
        assert not [m for m in sys.modules if m.startswith("dscoder")]
        from transformers import AutoModel  # the decoder alone, through the saved auto_map too
        base = AutoModel.from_pretrained({str(tmp_path / "ckpt")!r}, trust_remote_code=True).eval()
        assert type(base).__name__ == "DeepseekCoderModel", type(base)
        with torch.no_grad():
            print(model(torch.tensor({IDS.tolist()!r})).logits[0, -1, :5].tolist())
    """)
    env = {**os.environ, "HF_MODULES_CACHE": str(tmp_path / "modules"), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert max(abs(a - b) for a, b in zip(got, expected)) <= 1e-5


@pytest.mark.parametrize("name", list(NOMINAL_PARAMETERS))
def test_preset_parameter_counts_match_their_names(name):
    count = count_parameters(preset_config(name))
    assert abs(count - NOMINAL_PARAMETERS[name]) / NOMINAL_PARAMETERS[name] < 0.04  # 1.3b is 1.346e9


def test_preset_shapes_follow_table_2():
    c33 = preset_config("deepseek-coder-33b")
    assert (c33.hidden_size, c33.intermediate_size, c33.num_hidden_layers) == (7168, 19200, 62)
    assert (c33.num_attention_heads, c33.num_key_value_heads, c33.head_dim) == (56, 8, 128)
    v15 = preset_config("deepseek-coder-7b-v1.5")
    assert (v15.vocab_size, v15.max_position_embeddings, v15.bos_token_id, v15.eos_token_id) == (
        102_400,
        4096,
        100_000,
        100_001,
    )
    assert v15.rope_parameters == {"rope_type": "default", "rope_theta": 10_000.0}
    assert count_parameters(preset_config("deepseek-coder-1.3b")) == 1_346_471_936
    tiny = preset_config("tiny", vocab_size=1000)
    assert (tiny.hidden_size, tiny.num_attention_heads, tiny.num_key_value_heads, tiny.vocab_size) == (128, 4, 2, 1000)
    assert set(PRESETS) == {
        "deepseek-coder-1.3b",
        "deepseek-coder-6.7b",
        "deepseek-coder-33b",
        "deepseek-coder-7b-v1.5",
        "tiny",
    }
    with pytest.raises(ValueError, match="unknown model preset 'gpt2'"):
        preset_config("gpt2")
