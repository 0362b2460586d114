/// Errors raised while preparing or running a method.
public enum MethodError: Error {}
