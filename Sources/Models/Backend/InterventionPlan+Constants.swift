import Tensors

extension InterventionPlan {
    /// Interventions whose values are all constants (what a prepared method applies at
    /// inference) as a plan: each value becomes a constant named after its intervention, so any
    /// backend can apply them.
    /// - Precondition: no value is tracked on a tape (a trained parameter goes in a plan's
    ///   `parameters` instead).
    public init(constants interventions: [Intervention]) {
        var constants = [String: Tensor]()
        func constant(_ value: Variable, _ name: String) -> InterventionValue {
            precondition(!value.requiresGradient, "InterventionPlan(constants:): \(name) is tracked on a tape")
            constants[name] = value.value
            return .named(name)
        }
        let requests = interventions.enumerated().map { k, intervention -> InterventionRequest in
            let action: InterventionRequestAction
            switch intervention.action {
            case .capture:
                action = .capture
            case .mixHeads(let target, let weights):
                action = .mixHeads(target: constant(target, "\(k).target"), weights: constant(weights, "\(k).weights"))
            case .replaceHead(let heads, let value):
                action = .replaceHead(heads: heads, value: constant(value, "\(k).value"))
            case .add(let value):
                action = .add(constant(value, "\(k).value"))
            case .replace(let value):
                action = .replace(constant(value, "\(k).value"))
            }
            return InterventionRequest(intervention.site, at: intervention.position, action)
        }
        self.init(requests, inputs: InterventionInputs(constants: constants))
    }
}
