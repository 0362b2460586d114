/// Errors raised while reading task files or building prompts.
public enum TaskError: Error {}
