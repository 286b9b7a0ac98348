"""Small LoRA adapters the tests write themselves.

``write_gguf_lora`` writes a LoRA GGUF for a base GGUF (the packaged Gemma 3 270M)
with the ``gguf`` package, as llama.cpp's adapter loader expects it:
``general.type = adapter``, ``adapter.type = lora``, ``adapter.lora.alpha``, and for
each target weight ``<name>.lora_a`` (ne ``[n_in, r]``) and ``<name>.lora_b``
(ne ``[r, n_out]``), both F32. B is random and non-zero, so the output changes.

``save_peft_lora`` saves a PEFT adapter folder for a Hugging Face model folder
(the vLLM tests' tiny Llama), with its B matrices made non-zero as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

# Value and FFN output projections: V changes what the KV cache holds, so a prefix
# cached under one adapter is visibly wrong for another.
GGUF_TARGETS = ("attn_v", "ffn_down")


def write_gguf_lora(
    base: str | Path,
    out: Path,
    *,
    rank: int = 4,
    alpha: float = 4.0,
    b_std: float = 0.05,
    seed: int = 0,
    targets: Sequence[str] = GGUF_TARGETS,
) -> Path:
    import gguf
    import numpy as np

    reader = gguf.GGUFReader(str(base))
    arch = reader.fields[gguf.Keys.General.ARCHITECTURE].contents()
    rng = np.random.default_rng(seed)
    writer = gguf.GGUFWriter(str(out), arch=str(arch))
    writer.add_string(gguf.Keys.General.TYPE, "adapter")
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
    n = 0
    for tensor in reader.tensors:
        kind = tensor.name.split(".")[-2] if tensor.name.startswith("blk.") else ""
        if kind not in targets or not tensor.name.endswith(".weight"):
            continue
        n_in, n_out = (int(d) for d in tensor.shape[:2])
        # numpy shapes are ggml's ne reversed.
        a = rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(rank, n_in)).astype(np.float32)
        b = rng.normal(0.0, b_std, size=(n_out, rank)).astype(np.float32)
        writer.add_tensor(f"{tensor.name}.lora_a", a)
        writer.add_tensor(f"{tensor.name}.lora_b", b)
        n += 1
    if not n:
        raise ValueError(f"no tensors named {targets} in {base}")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def save_peft_lora(model_dir: Path, out: Path, *, rank: int = 8, seed: int = 0, b_std: float = 0.5) -> Path:
    """A PEFT LoRA on q/k/v/o and the MLP of ``model_dir``, saved to ``out``."""
    import torch  # type: ignore[import-not-found,unused-ignore]
    from peft import LoraConfig, get_peft_model  # type: ignore[import-not-found,unused-ignore]
    from transformers import AutoModelForCausalLM  # type: ignore[import-not-found,unused-ignore]

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32)
    config = LoraConfig(
        r=rank,
        lora_alpha=rank,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        lora_dropout=0.0,
        bias="none",
        task_type="CAUSAL_LM",
    )
    peft_model = get_peft_model(model, config)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:  # PEFT starts B at zero: an untrained adapter changes nothing
                param.normal_(0.0, b_std)
    peft_model.save_pretrained(out)
    return out
