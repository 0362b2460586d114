// Shape legend: B sequences of a call, R rows, H heads, W width of a site.
import Tensors

/// An `InterventionPlan` turned into the native decoder's `Intervention`s on one tape: its
/// parameters become tape parameters, so a loss differentiates back to them.
struct TapeInterventions {
    let interventions: [Intervention]
    /// The tape parameter of each plan parameter.
    let parameters: [String: Variable]

    /// - Parameters:
    ///   - batch: B, the rows every value is brought to.
    ///   - shape: the model's sizes (a site's width).
    /// - Throws: `BackendError` for an unknown name or a value that does not fit its site.
    init(_ plan: InterventionPlan, batch b: Int, shape: BackendModelShape, tape: Tape) throws {
        var parameters = [String: Variable]()
        for (name, value) in plan.inputs.parameters { parameters[name] = tape.parameter(value) }
        var evaluator = ValueEvaluator(inputs: plan.inputs, parameters: parameters, tape: tape)
        interventions = try plan.interventions.map { request in
            let where_ = "\(request.site)"
            func rows(_ value: InterventionValue, width: Int) throws -> Variable {
                try evaluator.rows(value, batch: b, width: width, where: where_)
            }
            let width = shape.width(of: request.site)
            switch request.action {
            case .capture:
                return Intervention(request.site, at: request.position, .capture)
            case .mixHeads(let target, let weights):
                return Intervention(request.site, at: request.position, .mixHeads(
                    target: try rows(target, width: width), weights: try rows(weights, width: shape.attentionHeads)))
            case .replaceHead(let heads, let value):
                return Intervention(request.site, at: request.position, .replaceHead(
                    heads: heads, value: try rows(value, width: shape.headDimensions)))
            case .add(let value):
                return Intervention(request.site, at: request.position, .add(try rows(value, width: width)))
            case .replace(let value):
                return Intervention(request.site, at: request.position, .replace(try rows(value, width: width)))
            }
        }
        self.parameters = parameters
    }
}

/// Evaluates value expressions on a tape; each name is turned into a variable once.
struct ValueEvaluator {
    let inputs: InterventionInputs
    let parameters: [String: Variable]
    let tape: Tape

    /// `value` as (B, width): a single row (width,) is repeated for every sequence.
    mutating func rows(_ value: InterventionValue, batch b: Int, width: Int, where site: String) throws -> Variable {
        let v = try evaluate(value)
        if v.shape == [b, width] { return v }
        if v.shape == [width] || v.shape == [1, width] {
            let row = v.shape == [width] ? tape.reshape(v, [1, width]) : v
            return b == 1 ? row : tape.broadcastRows(row, count: b)
        }
        throw BackendError.badValue("at \(site): shape \(v.shape), expected (\(b), \(width)) or (\(width))")
    }

    func evaluate(_ value: InterventionValue) throws -> Variable {
        switch value {
        case .named(let name):
            if let p = parameters[name] { return p }
            guard let t = inputs.constants[name] else { throw BackendError.unknownTensor(name: name) }
            return Variable(constant: t)
        case .element(let base, let index):
            var x = try evaluate(base)
            for i in index {
                let shape = x.shape
                guard let first = shape.first, i >= 0 && i < first else {
                    throw BackendError.badValue("index \(i) into shape \(shape)")
                }
                let rest = Array(shape.dropFirst())
                let width = rest.reduce(1, *)
                x = tape.reshape(tape.rows(tape.reshape(x, [first, width]), [i]), rest)
            }
            return x
        case .gather(let base, let rows):
            let x = try evaluate(base)
            guard let first = x.shape.first, rows.allSatisfy({ $0 >= 0 && $0 < first }) else {
                throw BackendError.badValue("rows \(rows) of shape \(x.shape)")
            }
            let rest = Array(x.shape.dropFirst())
            let picked = tape.rows(x.value.rank == 2 ? x : tape.reshape(x, [first, rest.reduce(1, *)]), rows)
            return x.value.rank == 2 ? picked : tape.reshape(picked, [rows.count] + rest)
        case .sigmoid(let base):
            return tape.sigmoid(try evaluate(base))
        case .weightedSum(let weights, let vectors):
            let w = try evaluate(weights), v = try evaluate(vectors)
            guard v.value.rank == 2, !v.requiresGradient, let h = w.shape.last, h == v.shape[0], w.value.rank <= 2 else {
                throw BackendError.badValue("weighted sum of weights \(w.shape) and constant vectors \(v.shape) (H, W)")
            }
            // Σ_h w[r, h] v[h, :] as a product with vᵀ (W, H), the decoder's linear layout.
            let width = v.shape[1]
            var transposed = [Float](repeating: 0, count: width * h)
            for head in 0..<h { for i in 0..<width { transposed[i * h + head] = v.value.scalars[head * width + i] } }
            let rows = w.value.rank == 1 ? tape.reshape(w, [1, h]) : w
            let sum = tape.linear(rows, weight: Variable(constant: Tensor(shape: [width, h], scalars: transposed)))
            return w.value.rank == 1 ? tape.reshape(sum, [width]) : sum
        case .stack(let parts, let repeats):
            guard parts.count == repeats.count, !parts.isEmpty, repeats.allSatisfy({ $0 >= 0 }), repeats.contains(where: { $0 > 0 }) else {
                throw BackendError.badValue("stack of \(parts.count) parts with repeats \(repeats)")
            }
            var blocks = [Variable]()
            for (part, count) in zip(parts, repeats) where count > 0 {
                let x = try evaluate(part)
                guard x.value.rank == 1 || (x.value.rank == 2 && x.shape[0] == 1) else {
                    throw BackendError.badValue("stack: a part of shape \(x.shape), expected one row")
                }
                let row = x.value.rank == 1 ? tape.reshape(x, [1, x.shape[0]]) : x
                blocks.append(count == 1 ? row : tape.broadcastRows(row, count: count))
            }
            guard Set(blocks.map { $0.shape[1] }).count == 1 else {
                throw BackendError.badValue("stack: parts of widths \(blocks.map { $0.shape[1] })")
            }
            return tape.stackRows(blocks)
        }
    }
}
