/// Errors raised while building or running a tokenizer.
public enum TokenizerError: Error {}
