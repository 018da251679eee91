"""Sequence transforms between the tokenizer and a training row (report §3.1), shared by ``dscoder data tokenize``
and the training recipes' on-the-fly path.

* :mod:`.fim`: fill-in-the-middle per document (PSM at rate 0.5; SPM as an option) and its tokenisation;
* :mod:`.packing`: documents packed into fixed-length rows with position ids restarting per document.

This package imports only :mod:`dscoder.tokenization` (special tokens, loading): both ``dscoder.data`` and
``dscoder.training`` import it, and it imports neither, so no import runs back up. Nothing is imported here.
"""
