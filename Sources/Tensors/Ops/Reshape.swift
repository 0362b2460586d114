extension Tape {
    /// The same elements with another shape of equal element count; the gradient is reshaped back.
    public func reshape(_ x: Variable, _ shape: [Int]) -> Variable {
        let original = x.shape
        return record(x.value.reshaped(shape), inputs: [x]) { dy in [dy.reshaped(original)] }
    }
}
