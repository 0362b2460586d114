/// Errors raised while reading GGUF or safetensors files. Cases are added with the readers.
public enum ModelFormatError: Error {}
