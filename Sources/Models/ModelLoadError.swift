/// Errors raised while loading a model.
public enum ModelLoadError: Error {}
