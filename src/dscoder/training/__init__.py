"""Training stages of DeepSeek-Coder (report §3.1, §3.4-3.7, §5) on transformers' Trainer and TRL's SFTTrainer.

* :mod:`.recipe`: the typed recipe schema (``recipes/*.yaml``) and the batch plan;
* :mod:`.schedule`: the DeepSeek multi-step learning-rate schedule;
* :mod:`.model_loading`: presets, configs and checkpoints with config overrides (long-context RoPE);
* :mod:`.data`: sources, mixtures, on-the-fly FIM + packing (:mod:`dscoder.sequences`), the packed-row collator;
* :mod:`.sft`: instruction-tuning records and TRL settings;
* :mod:`.runner`: ``run_recipe`` (``accelerate launch -q -m dscoder.train RECIPE.yaml``); :mod:`.dry_run`: ``dry_run``.

Nothing is imported here, so ``import dscoder.training.schedule`` stays light.
"""
