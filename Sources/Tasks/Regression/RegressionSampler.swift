// Shape legend (STYLE.md): B batch, T tokens, D model dim, H heads, Hkv KV heads, Dh head dim,
// F FFN dim, V vocab, L layers, E experts. Regression adds: N points per prompt, d input dim.

/// What one regression evaluation or training run samples.
public struct RegressionSetup: Equatable, Sendable {
    public var functionClass: FunctionClass
    /// d, the input dimension.
    public var dimension: Int
    /// N, points per prompt (N - 1 in-context examples and the query).
    public var points: Int
    public var shift: DistributionShift

    /// - Throws: `TaskError.invalidRegressionSetup` for sizes that cannot be sampled.
    public init(functionClass: FunctionClass, dimension: Int, points: Int, shift: DistributionShift = .none) throws {
        func invalid(_ reason: String) -> TaskError { .invalidRegressionSetup(reason: reason) }
        guard dimension >= 1 else { throw invalid("dimension must be positive, got \(dimension)") }
        guard points >= 1 else { throw invalid("points must be positive, got \(points)") }
        if functionClass == .sparseLinear, dimension < LinearFunction.sparseNonZeroCount {
            throw invalid("sparse linear needs d >= \(LinearFunction.sparseNonZeroCount), got \(dimension)")
        }
        if shift == .orthogonalQuery, points - 1 >= dimension {
            throw invalid("an orthogonal query needs fewer in-context points (\(points - 1)) than dimensions (\(dimension))")
        }
        switch shift {
        case .scaledInputs(let factor), .scaledOutputs(let factor):
            guard factor.isFinite else { throw invalid("scale factor must be finite, got \(factor)") }
        case .noisyOutputs(let sigma):
            guard sigma.isFinite, sigma >= 0 else { throw invalid("noise deviation must be finite and >= 0, got \(sigma)") }
        case .uniformInputs(let low, let high):
            guard low.isFinite, high.isFinite, low < high else { throw invalid("uniform inputs need finite low < high, got \(low), \(high)") }
        case .gaussianInputs(let mean, let sigma):
            guard mean.isFinite, sigma.isFinite, sigma > 0 else { throw invalid("Gaussian inputs need a finite mean and a deviation > 0, got \(mean), \(sigma)") }
        case .none, .skewedCovariance, .orthogonalQuery:
            break
        }
        self.functionClass = functionClass
        self.dimension = dimension
        self.points = points
        self.shift = shift
    }
}

/// Samples regression prompts reproducibly: batch `index` depends only on (setup, seed, index),
/// with a fresh function per prompt. The skewed covariance's rotation is drawn once, from the
/// seed, and shared by every batch.
public struct RegressionSampler: Sendable {
    public let setup: RegressionSetup
    public let seed: UInt64
    public let covariance: SkewedCovariance?

    public init(setup: RegressionSetup, seed: UInt64) {
        self.setup = setup
        self.seed = seed
        if setup.shift == .skewedCovariance {
            var generator = Xoshiro256StarStar(seed: SplitMix64.mix([seed, SplitMix64.stableHash("rotation")]))
            covariance = SkewedCovariance(dimension: setup.dimension, using: &generator)
        } else {
            covariance = nil
        }
    }

    /// Batch number `index` of `batchSize` prompts, and the function behind each prompt.
    public func batchWithFunctions(size batchSize: Int, index: UInt64) -> (batch: RegressionBatch, functions: [any RegressionFunction]) {
        precondition(batchSize >= 1, "batch size must be positive, got \(batchSize)")
        var generator = Xoshiro256StarStar(seed: SplitMix64.mix([seed, index]))
        var functions: [any RegressionFunction] = []
        functions.reserveCapacity(batchSize)
        let batch = fill(prompts: batchSize, generator: &generator) { generator in
            let function = setup.functionClass.sample(dimension: setup.dimension, using: &generator)
            functions.append(function)
            return function
        }
        return (batch, functions)
    }

    /// Batch number `index` with one prompt per given function, in order: the xs (and noise) of
    /// this setup, so prompts of another setup can share the functions (a test prompt and the
    /// in-distribution prompt its task vector is built from).
    /// - Precondition: at least one function, each of the setup's dimension.
    public func batch(functions: [any RegressionFunction], index: UInt64) -> RegressionBatch {
        precondition(!functions.isEmpty && functions.allSatisfy { $0.dimension == setup.dimension },
                     "batch(functions:): \(functions.count) functions, dimensions \(functions.map(\.dimension)) for d \(setup.dimension)")
        var generator = Xoshiro256StarStar(seed: SplitMix64.mix([seed, index, SplitMix64.stableHash("given functions")]))
        var next = 0
        return fill(prompts: functions.count, generator: &generator) { _ in
            defer { next += 1 }
            return functions[next]
        }
    }

    /// Samples every prompt in turn: its function (from `function`, which may draw from the
    /// generator first), then its xs, then its ys. The order of draws is part of the seeded stream.
    private func fill(
        prompts batchSize: Int, generator: inout Xoshiro256StarStar,
        function nextFunction: (inout Xoshiro256StarStar) -> any RegressionFunction
    ) -> RegressionBatch {
        let d = setup.dimension, n = setup.points
        var xs = [Float](repeating: 0, count: batchSize * n * d)
        var ys = [Float](repeating: 0, count: batchSize * n)
        var z = [Float](repeating: 0, count: d)
        for b in 0..<batchSize {
            let function = nextFunction(&generator)
            xs.withUnsafeMutableBufferPointer { all in
                for point in 0..<n {
                    let x = UnsafeMutableBufferPointer(rebasing: all[((b * n + point) * d)..<((b * n + point + 1) * d)])
                    switch setup.shift {
                    case .uniformInputs(let low, let high):
                        for i in 0..<d { x[i] = low + (high - low) * Float(generator.nextUnitDouble()) }
                        continue
                    default:
                        break
                    }
                    for i in 0..<d { z[i] = Float(generator.nextGaussian()) }
                    switch setup.shift {
                    case .skewedCovariance: covariance?.apply(z, into: x)  // always set for this shift (init)
                    case .scaledInputs(let factor): for i in 0..<d { x[i] = factor * z[i] }
                    case .gaussianInputs(let mean, let sigma): for i in 0..<d { x[i] = mean + sigma * z[i] }
                    default: for i in 0..<d { x[i] = z[i] }
                    }
                }
                if setup.shift == .orthogonalQuery {
                    Self.orthogonalizeQuery(UnsafeMutableBufferPointer(rebasing: all[(b * n * d)..<((b + 1) * n * d)]), points: n, dimension: d)
                }
                for point in 0..<n {
                    let x = UnsafeBufferPointer(rebasing: all[((b * n + point) * d)..<((b * n + point + 1) * d)])
                    var y = function.evaluate(x)
                    switch setup.shift {
                    case .scaledOutputs(let factor): y *= factor
                    case .noisyOutputs(let sigma): y += sigma * Float(generator.nextGaussian())
                    default: break
                    }
                    ys[b * n + point] = y
                }
            }
        }
        return RegressionBatch(batchSize: batchSize, points: n, dimension: d, xs: xs, ys: ys)
    }

    /// Batch number `index` of `batchSize` prompts.
    public func batch(size batchSize: Int, index: UInt64) -> RegressionBatch {
        batchWithFunctions(size: batchSize, index: index).batch
    }

    /// Projects the last point of one prompt, (N, d), off the span of the others and restores
    /// its norm (N - 1 < d, so the in-context xs leave a complement almost surely).
    static func orthogonalizeQuery(_ prompt: UnsafeMutableBufferPointer<Float>, points n: Int, dimension d: Int) {
        var basis: [[Double]] = []
        for point in 0..<(n - 1) {
            var v = (0..<d).map { Double(prompt[point * d + $0]) }
            if GramSchmidt.orthonormalize(&v, against: basis) { basis.append(v) }
        }
        var query = (0..<d).map { Double(prompt[(n - 1) * d + $0]) }
        let originalNorm = query.reduce(0) { $0 + $1 * $1 }.squareRoot()
        GramSchmidt.subtractProjections(&query, onto: basis)
        let norm = query.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let scale = norm > 0 ? originalNorm / norm : 0
        for i in 0..<d { prompt[(n - 1) * d + i] = Float(query[i] * scale) }
    }
}
