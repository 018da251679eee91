"""Registration of DeepSeek-Coder with transformers' Auto classes, without importing the model code.

``import dscoder`` calls :func:`register_auto_classes`. The config class is registered directly (transformers'
``configuration_utils`` is already loaded by ``AutoConfig``), but importing the model module pulls in
``transformers.modeling_utils`` (about 1.4 s), so ``AutoModel`` / ``AutoModelForCausalLM`` get a stand-in class
(:class:`LazyModelClass`) that imports the real one the first time anything is asked of it, then takes its place in
the Auto mapping. transformers' own ``_LazyAutoMapping`` does the same for its built-in models by name, but its
``register`` only accepts classes; the stand-in is the smallest thing that satisfies it.

Registration is keyed by :class:`DeepseekCoderConfig` (model type ``deepseek_coder``) and never touches
``LlamaConfig``'s mapping: released Llama-format checkpoints still load as ``LlamaForCausalLM`` through the Auto
classes, and as ours through ``DeepseekCoderForCausalLM.from_pretrained``.
"""

from __future__ import annotations

import importlib

from .configuration_deepseek_coder import DeepseekCoderConfig

_MODELING_MODULE = "dscoder.modeling.modeling_deepseek_coder"


class LazyModelClass(type):
    """Metaclass of a stand-in for a model class: attribute access, calls, ``isinstance`` and ``issubclass``
    are forwarded to the real class, which is imported on first use."""

    def _resolve(cls) -> type:
        real = cls.__dict__.get("_real_class")
        if real is None:
            real = getattr(importlib.import_module(cls.__module__), cls.__name__)
            type.__setattr__(cls, "_real_class", real)
            for auto_class in cls.__dict__["_auto_classes"]:  # put the real class where the stand-in was
                auto_class.register(cls.config_class, real, exist_ok=True)
        return real

    def __getattr__(cls, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # keep copy/pickle/inspect probes from importing the model
        return getattr(cls._resolve(), name)

    def __call__(cls, *args, **kwargs):
        return cls._resolve()(*args, **kwargs)

    def __instancecheck__(cls, instance) -> bool:
        return isinstance(instance, cls._resolve())

    def __subclasscheck__(cls, subclass) -> bool:
        return issubclass(subclass, cls._resolve())

    def __repr__(cls) -> str:
        return f"<lazy class '{cls.__module__}.{cls.__name__}'>"


def _stand_in(name: str, auto_classes: list) -> type:
    return LazyModelClass(
        name,
        (),
        {
            "__module__": _MODELING_MODULE,
            "__qualname__": name,
            "config_class": DeepseekCoderConfig,
            "_auto_classes": auto_classes,
            "_real_class": None,
        },
    )


def register_auto_classes() -> None:
    """Register ``deepseek_coder`` with AutoConfig, AutoModel and AutoModelForCausalLM (idempotent)."""
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM

    AutoConfig.register(DeepseekCoderConfig.model_type, DeepseekCoderConfig, exist_ok=True)
    for auto_class, name in ((AutoModel, "DeepseekCoderModel"), (AutoModelForCausalLM, "DeepseekCoderForCausalLM")):
        current = auto_class._model_mapping._extra_content.get(DeepseekCoderConfig)
        if current is None:
            auto_class.register(DeepseekCoderConfig, _stand_in(name, [auto_class]), exist_ok=True)


def resolve_auto_classes() -> None:
    """Swap the stand-ins for the real classes (called once the model module is imported anyway)."""
    from transformers import AutoModel, AutoModelForCausalLM

    for auto_class in (AutoModel, AutoModelForCausalLM):
        current = auto_class._model_mapping._extra_content.get(DeepseekCoderConfig)
        if isinstance(current, LazyModelClass):
            current._resolve()


__all__ = ["LazyModelClass", "register_auto_classes", "resolve_auto_classes"]
