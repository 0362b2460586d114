// Reverse-mode autodiff that records only what depends on a parameter.
//
// A `Variable` carries its value. It has a node on the tape only when it was computed from a
// parameter; everything else (frozen weights, the embedding of a prompt, activations upstream of
// the first intervention) is a constant and costs nothing to record or differentiate. The same
// code path therefore serves inference (no parameters: nothing is recorded, intermediate values
// are freed as they go out of scope) and the last-token optimisation step.

/// A value in a computation, optionally tracked by a `Tape`.
public struct Variable: Sendable {
    /// The value, row-major.
    public var value: Tensor
    /// The node on the tape that produced this value; `nil` for constants.
    public let node: Int?

    public init(constant value: Tensor) {
        self.value = value
        self.node = nil
    }

    init(value: Tensor, node: Int?) {
        self.value = value
        self.node = node
    }

    public var shape: [Int] { value.shape }
    public var requiresGradient: Bool { node != nil }
}

/// Records the operations that depend on parameters, and runs them backwards.
///
/// Gradients accumulate: a node used twice receives the sum of both contributions.
/// A tape is used by one thread at a time.
public final class Tape {
    /// Given the gradient of the node's output, returns the gradient contribution of each input
    /// (aligned with `inputs`; `nil` where an input needs none).
    public typealias Backward = (_ outputGradient: Tensor) -> [Tensor?]

    struct Node {
        let inputs: [Int?]
        let shape: [Int]
        let backward: Backward?
    }

    private(set) var nodes: [Node] = []

    public init() {}

    /// Number of recorded nodes (parameters included).
    public var nodeCount: Int { nodes.count }

    /// A leaf whose gradient `gradients(of:)` reports.
    public func parameter(_ value: Tensor) -> Variable {
        nodes.append(Node(inputs: [], shape: value.shape, backward: nil))
        return Variable(value: value, node: nodes.count - 1)
    }

    /// Records `value` as computed from `inputs`, when any input is tracked; otherwise returns a
    /// constant. `backward` is only called when the output lies on a path to the loss.
    public func record(_ value: Tensor, inputs: [Variable], backward: @escaping Backward) -> Variable {
        guard inputs.contains(where: { $0.node != nil }) else { return Variable(constant: value) }
        nodes.append(Node(inputs: inputs.map(\.node), shape: value.shape, backward: backward))
        return Variable(value: value, node: nodes.count - 1)
    }

    /// Back-propagates from a scalar `loss` (any shape with one element), seeding its gradient with 1.
    /// - Returns: gradients of every node on a path to the loss, parameters included.
    public func gradients(of loss: Variable) -> Gradients {
        precondition(loss.value.count == 1, "loss must be a scalar, got shape \(loss.shape)")
        var grads = [Tensor?](repeating: nil, count: nodes.count)
        guard let root = loss.node else { return Gradients(storage: grads) }
        grads[root] = Tensor(shape: loss.shape, repeating: 1)
        for index in stride(from: root, through: 0, by: -1) {
            guard let outputGradient = grads[index], let backward = nodes[index].backward else { continue }
            let contributions = backward(outputGradient)
            precondition(contributions.count == nodes[index].inputs.count, "backward arity mismatch")
            for (input, contribution) in zip(nodes[index].inputs, contributions) {
                guard let input, let contribution else { continue }
                precondition(
                    contribution.shape == nodes[input].shape,
                    "gradient shape \(contribution.shape) for a node of shape \(nodes[input].shape)")
                if grads[input] == nil {
                    grads[input] = contribution
                } else {
                    grads[input]!.add(contribution)
                }
            }
            if !nodes[index].inputs.isEmpty { grads[index] = nil }  // interior gradients are not kept
        }
        return Gradients(storage: grads)
    }
}

/// Gradients produced by `Tape.gradients(of:)`.
public struct Gradients {
    let storage: [Tensor?]

    /// The gradient of the loss with respect to `variable`, zeros when the loss does not depend on it.
    public subscript(_ variable: Variable) -> Tensor {
        guard let node = variable.node, node < storage.count, let gradient = storage[node] else {
            return Tensor(shape: variable.shape)
        }
        return gradient
    }
}
