"""The loaded GGUF: weights, vocabulary, tokenizer and chat template."""

from __future__ import annotations

import ctypes
import logging
from typing import Any

import llama_cpp

from helixflow.worker.backends.chat_template import ChatTemplate
from helixflow.worker.backends.llama_config import LlamaEngineConfig
from helixflow.worker.extra_buffers import cpu_flags, resolve_extra_buffers

log = logging.getLogger("llama.cpp")
_settings_log = logging.getLogger(__name__)
# ggml's levels in this llama.cpp: 3 = warning, 4 = error (5 continues the previous line).
_GGML_LOG_LEVEL_WARN = 3
_GGML_LOG_LEVEL_ERROR = 4


@llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
def _forward_log(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
    # llama.cpp prints hundreds of load-time lines to stderr; route the useful ones to logging.
    if level == _GGML_LOG_LEVEL_ERROR and text:
        log.error("%s", text.decode(errors="replace").rstrip())
    elif level == _GGML_LOG_LEVEL_WARN and text:
        log.info("%s", text.decode(errors="replace").rstrip())


def route_llama_logs() -> None:
    """Send llama.cpp's log lines through ``_forward_log`` (errors and warnings only)."""
    llama_cpp.llama_log_set(_forward_log, ctypes.c_void_p())


class LlamaModel:
    def __init__(self, config: LlamaEngineConfig) -> None:
        route_llama_logs()
        llama_cpp.llama_backend_init()
        params = llama_cpp.llama_model_default_params()
        params.n_gpu_layers = config.n_gpu_layers
        self.extra_buffers = resolve_extra_buffers(config.extra_buffer_types, cpu_flags())
        params.use_extra_bufts = self.extra_buffers.enabled
        _settings_log.info("llama.cpp extra buffer types %s", self.extra_buffers.describe())
        self.ptr: Any = llama_cpp.llama_model_load_from_file(config.model_path.encode(), params)
        if not self.ptr:
            raise RuntimeError(f"could not load GGUF model {config.model_path}")
        self.vocab: Any = llama_cpp.llama_model_get_vocab(self.ptr)
        self.n_vocab = int(llama_cpp.llama_vocab_n_tokens(self.vocab))
        self.n_embd = int(llama_cpp.llama_model_n_embd(self.ptr))
        self.n_ctx_train = int(llama_cpp.llama_model_n_ctx_train(self.ptr))
        self.add_bos = bool(llama_cpp.llama_vocab_get_add_bos(self.vocab))
        self.bos = int(llama_cpp.llama_vocab_bos(self.vocab))
        # One pass over the vocabulary at load so the decode loop checks EOG with a set lookup.
        self.eog_ids = frozenset(t for t in range(self.n_vocab) if llama_cpp.llama_vocab_is_eog(self.vocab, t))
        self._pieces: dict[int, bytes] = {}
        raw = llama_cpp.llama_model_chat_template(self.ptr, None)
        eos = int(llama_cpp.llama_vocab_eos(self.vocab))
        self.chat_template = ChatTemplate(
            config.chat_template or (raw.decode() if raw else None),
            eos_token=self.piece(eos, special=True).decode(errors="replace"),
        )

    def tokenize(self, text: str, *, special: bool) -> list[int]:
        """Token ids with BOS as the model wants; ``special`` parses <start_of_turn> etc."""
        data = text.encode()
        size = len(data) + 8
        buf = (llama_cpp.llama_token * size)()
        n = llama_cpp.llama_tokenize(self.vocab, data, len(data), buf, size, self.add_bos, special)
        if n < 0:
            size = -n
            buf = (llama_cpp.llama_token * size)()
            n = llama_cpp.llama_tokenize(self.vocab, data, len(data), buf, size, self.add_bos, special)
        ids = list(buf[:n])
        if len(ids) >= 2 and ids[0] == ids[1] == self.bos:  # a template that wrote BOS itself
            ids.pop(0)
        return ids

    def piece(self, token: int, *, special: bool = False) -> bytes:
        """The bytes of one token (cached: the decode loop calls this per token)."""
        if not special and (cached := self._pieces.get(token)) is not None:
            return cached
        buf = ctypes.create_string_buffer(256)  # per call: tokenize() may run beside the decode loop
        n = llama_cpp.llama_token_to_piece(self.vocab, token, buf, len(buf), 0, special)
        data = buf.raw[:n] if n >= 0 else b""
        if not special:
            self._pieces[token] = data
        return data

    def close(self) -> None:
        if self.ptr:
            llama_cpp.llama_model_free(self.ptr)
            self.ptr = None
