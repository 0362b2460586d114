"""TaskVectorBench's torch worker: a child process of `bench` that runs Hugging Face models with
PyTorch + transformers and applies the harness's interventions at hooked sites, speaking the
framed protocol of PROTOCOL.md over stdin/stdout. Importing this package has no side effects."""

#: Version of PROTOCOL.md the worker speaks; sent in its "ready" message.
PROTOCOL_VERSION = 1
