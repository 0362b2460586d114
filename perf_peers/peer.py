"""The peers of `bench perf`: the same workloads on the same GGUF file with the same thread count,
through PyTorch + transformers (fp32, the GGUF dequantised by transformers) or llama.cpp
(llama-cpp-python, the GGUF blocks as stored). Prints one JSON object on its last line.

    python peer.py torch MODEL.gguf --threads 2 --repeats 3
    python peer.py llama MODEL.gguf --threads 2 --repeats 3

Workloads, as `bench perf` runs them (token ids spread over the vocabulary, the same formula):
prefill 1×128 and 8×128 (the last position's logits), decode batch 1 (a 32-token prompt, then
32 steps of one token each, timed). Each figure is the best of --repeats runs.
"""
import argparse
import json
import os
import sys
import time


def tokens(count, seed, vocabulary):
    return [((i + 1) * 7919 + seed * 104_729) % vocabulary for i in range(count)]


def best(repeats, body):
    seconds = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        body()
        seconds = min(seconds, time.perf_counter() - start)
    return seconds


def run_torch(path, threads, repeats, decode_tokens):
    import torch
    import transformers
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(threads)
    model = AutoModelForCausalLM.from_pretrained(
        os.path.dirname(os.path.abspath(path)), gguf_file=os.path.basename(path), dtype=torch.float32)
    model.eval()
    vocabulary = model.config.get_text_config().vocab_size
    results = {"engine": "PyTorch", "version": f"torch {torch.__version__}, transformers {transformers.__version__}"}
    with torch.inference_mode():
        for batch in (1, 8):
            ids = torch.tensor([tokens(128, s, vocabulary) for s in range(batch)])
            model(ids, logits_to_keep=1)  # warm-up
            seconds = best(repeats, lambda: model(ids, logits_to_keep=1))
            results[f"prefill {batch}x128"] = batch * 128 / seconds

        prompt = torch.tensor([tokens(32, 0, vocabulary)])

        def decode():
            out = model(prompt, use_cache=True, logits_to_keep=1)
            cache = out.past_key_values
            start = time.perf_counter()
            for step in range(decode_tokens):
                out = model(torch.tensor([[tokens(1, step, vocabulary)[0]]]), past_key_values=cache, use_cache=True)
                cache = out.past_key_values
            return time.perf_counter() - start

        decode()
        results["decode batch 1"] = decode_tokens / min(decode() for _ in range(repeats))
    return results


def run_llama(path, threads, repeats, decode_tokens):
    import llama_cpp
    from llama_cpp import Llama

    llm = Llama(model_path=path, n_threads=threads, n_threads_batch=threads, n_ctx=512, n_batch=512,
                logits_all=False, verbose=False)
    vocabulary = llm.n_vocab()
    results = {"engine": "llama.cpp", "version": f"llama-cpp-python {llama_cpp.__version__}"}

    def prefill():
        llm.reset()
        llm.eval(tokens(128, 0, vocabulary))

    prefill()
    results["prefill 1x128"] = 128 / best(repeats, prefill)

    def decode():
        llm.reset()
        llm.eval(tokens(32, 0, vocabulary))
        start = time.perf_counter()
        for step in range(decode_tokens):
            llm.eval([tokens(1, step, vocabulary)[0]])
        return time.perf_counter() - start

    decode()
    results["decode batch 1"] = decode_tokens / min(decode() for _ in range(repeats))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("engine", choices=["torch", "llama"])
    parser.add_argument("model", help="a .gguf file")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--decode-tokens", type=int, default=32)
    args = parser.parse_args()
    if not os.path.isfile(args.model):
        sys.exit(f"peer.py: no GGUF file at {args.model}")
    run = run_torch if args.engine == "torch" else run_llama
    print(json.dumps(run(args.model, args.threads, args.repeats, args.decode_tokens)))


if __name__ == "__main__":
    main()
