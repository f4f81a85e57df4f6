"""Convert a GGUF causal language model into a Hugging Face safetensors directory.

vLLM's CPU backend loads Hugging Face safetensors, while the SmolLM2 package ships a
quantised GGUF file. Transformers dequantises the GGUF into float32 weights; the result is
saved as a plain Llama checkpoint with its tokenizer and chat template.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def convert(gguf_path: Path, dest: Path) -> None:
    """Write ``dest`` as a safetensors model converted from ``gguf_path``.

    Args:
        gguf_path: The ``.gguf`` file.
        dest: Output directory; replaced atomically (written beside it, then renamed).
    """
    # Only the real-vLLM environment has these.
    import torch  # type: ignore[import-not-found]
    from transformers import AutoModelForCausalLM, AutoTokenizer  # type: ignore[import-not-found]

    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    # The weights are already dequantised; drop the GGUF quantisation metadata so the
    # checkpoint reads as an ordinary float model.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.config.architectures = ["LlamaForCausalLM"]

    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)


def main(argv: list[str]) -> int:
    """Command line: ``convert_gguf.py MODEL.gguf DEST_DIR``."""
    if len(argv) != 2:
        print("usage: convert_gguf.py MODEL.gguf DEST_DIR", file=sys.stderr)
        return 2
    convert(Path(argv[0]), Path(argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
