"""dscoder: the DeepSeek-Coder recipe (arXiv 2401.14196) on the Hugging Face stack.

Rooms: ``dscoder.data`` (datatrove blocks, report §2), ``dscoder.tokenization`` (§3.1-3.2),
``dscoder.modeling`` (§3.3), ``dscoder.training`` (§3.4-3.7, §5), ``dscoder.evaluation`` (§4).
The command line lives in the sibling package ``dscoder_cli`` so that ``dscoder --help`` stays instant.
"""

__version__ = "0.1.0"

# DeepseekCoderConfig / DeepseekCoderForCausalLM with AutoConfig / AutoModel(ForCausalLM); model code loads lazily.
from dscoder.modeling.registration import register_auto_classes as _register_auto_classes

_register_auto_classes()
