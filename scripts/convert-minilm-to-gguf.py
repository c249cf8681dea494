#!/usr/bin/env python3
"""Convert all-MiniLM-L6-v2 (safetensors + tokenizer.json) to a GGUF that llama.cpp loads.

Needs only the `gguf` and `numpy` packages (no torch): the safetensors header is JSON and its
tensors are read with numpy. Matrices are written as F16; biases, norms and the small
position and token-type tables stay F32, as llama.cpp's own converter does.

Usage: convert-minilm-to-gguf.py MODEL_DIR OUT.gguf
"""

import json
import logging
import struct
import sys
from pathlib import Path

import gguf
import numpy as np

# Tensors the sentence embedding never uses.
SKIPPED = {"embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias"}
# Kept in F32: one-dimensional tensors and these small lookup tables.
KEEP_F32 = {"position_embd.weight", "token_types.weight"}
LAYER_TENSORS = (
    "attn_q", "attn_k", "attn_v", "attn_output", "attn_output_norm",
    "ffn_up", "ffn_down", "layer_output_norm",
)


def fail(message: str) -> None:
    print(f"convert-minilm-to-gguf: {message}", file=sys.stderr)
    sys.exit(1)


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    data = path.read_bytes()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in dtypes:
            fail(f"{name}: unsupported dtype {info['dtype']}")
        start, end = info["data_offsets"]
        array = np.frombuffer(data[base + start : base + end], dtype=dtypes[info["dtype"]])
        tensors[name] = array.reshape(info["shape"])
    return tensors


def vocabulary(model_dir: Path) -> tuple[list[str], list[int]]:
    tokenizer = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    if tokenizer["model"]["type"] != "WordPiece":
        fail(f"expected a WordPiece tokenizer, found {tokenizer['model']['type']}")
    by_id = {i: tok for tok, i in tokenizer["model"]["vocab"].items()}
    special = {t["content"] for t in tokenizer.get("added_tokens", []) if t.get("special")}
    tokens, types = [], []
    for i in range(max(by_id) + 1):
        token = by_id.get(i)
        if token is None:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.USER_DEFINED)
        elif token in special:
            tokens.append(token)
            types.append(gguf.TokenType.CONTROL)
        else:
            tokens.append(token)
            types.append(gguf.TokenType.NORMAL)

    # llama.cpp's WordPiece tokenizer expects the "phantom space" form: word-initial pieces
    # start with U+2581, continuation pieces lose their "##", bracketed specials stay.
    def phantom(token: str) -> str:
        if token.startswith("[") and token.endswith("]"):
            return token
        if token.startswith("##"):
            return token[2:]
        return "\u2581" + token

    return [phantom(t) for t in tokens], types


def main() -> None:
    if len(sys.argv) != 3:
        fail("usage: convert-minilm-to-gguf.py MODEL_DIR OUT.gguf")
    model_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    if not pooling.get("pooling_mode_mean_tokens"):
        fail("expected mean pooling in 1_Pooling/config.json")
    n_layers = config["num_hidden_layers"]

    tokens, token_types = vocabulary(model_dir)
    if len(tokens) != config["vocab_size"]:
        fail(f"tokenizer has {len(tokens)} tokens, config says {config['vocab_size']}")

    writer = gguf.GGUFWriter(str(out), gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.BERT])
    writer.add_name("all-MiniLM-L6-v2")
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_block_count(n_layers)
    writer.add_head_count(config["num_attention_heads"])
    writer.add_layer_norm_eps(config["layer_norm_eps"])
    writer.add_causal_attention(False)
    writer.add_pooling_type(gguf.PoolingType.MEAN)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)

    writer.add_token_type_count(config["type_vocab_size"])
    writer.add_tokenizer_model("bert")
    writer.add_token_list(tokens)
    writer.add_token_types(token_types)
    # [CLS]=101 as BOS, [SEP]=102, [UNK]=100, [PAD]=0, [MASK]=103, read from the tokenizer.
    # (gguf logs that it has no key for CLS; BOS carries that id, which is what llama.cpp reads.)
    logging.disable(logging.WARNING)
    gguf.SpecialVocab(model_dir, n_vocab=len(tokens)).add_to_gguf(writer, quiet=True)
    logging.disable(logging.NOTSET)

    name_map = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, n_layers)
    written = set()
    for name, array in read_safetensors(model_dir / "model.safetensors").items():
        if name in SKIPPED:
            continue
        new_name = name_map.get_name(name, try_suffixes=(".weight", ".bias"))
        if new_name is None:
            fail(f"no GGUF name for tensor {name}")
        if array.ndim == 1 or new_name in KEEP_F32:
            array = array.astype(np.float32)
        else:
            array = array.astype(np.float16)
        writer.add_tensor(new_name, np.ascontiguousarray(array))
        written.add(new_name)

    expected = {"token_embd.weight", "token_types.weight", "position_embd.weight",
                "token_embd_norm.weight", "token_embd_norm.bias"}
    for layer in range(n_layers):
        for tensor in LAYER_TENSORS:
            expected |= {f"blk.{layer}.{tensor}.weight", f"blk.{layer}.{tensor}.bias"}
    if written != expected:
        fail(f"tensor set differs: missing {sorted(expected - written)}, "
             f"unexpected {sorted(written - expected)}")

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(f"wrote {out} ({len(written)} tensors, {len(tokens)} tokens)")


if __name__ == "__main__":
    main()
