import Testing
@testable import Tasks

@Suite struct RegressionShiftTests {
    @Test func skewedCovarianceHasTheStatedSpectrum() throws {
        let d = 6
        let sampler = RegressionSampler(
            setup: try RegressionSetup(functionClass: .linear, dimension: d, points: 50, shift: .skewedCovariance), seed: 1)
        let covariance = try #require(sampler.covariance)
        // λ_i ∝ 1/(i+1), trace d.
        let harmonic = (1...d).reduce(0.0) { $0 + 1 / Double($1) }
        for i in 0..<d { #expect(abs(covariance.eigenvalues[i] - Double(d) / harmonic / Double(i + 1)) < 1e-12) }
        #expect(abs(covariance.eigenvalues.reduce(0, +) - Double(d)) < 1e-12)
        // Q is orthogonal.
        let q = covariance.rotation
        for r in 0..<d {
            for s in 0..<d {
                let dot = (0..<d).reduce(0.0) { $0 + q[r * d + $1] * q[s * d + $1] }
                #expect(abs(dot - (r == s ? 1 : 0)) < 1e-12)
            }
        }
        // The empirical covariance of the xs matches Q diag(λ) Qᵀ; its trace is d.
        var sum = [Double](repeating: 0, count: d * d)
        var count = 0
        for index in 0..<40 {
            let batch = sampler.batch(size: 50, index: UInt64(index))
            for start in stride(from: 0, to: batch.xs.count, by: d) {
                for r in 0..<d { for s in 0..<d { sum[r * d + s] += Double(batch.xs[start + r]) * Double(batch.xs[start + s]) } }
                count += 1
            }
        }
        var trace = 0.0
        for r in 0..<d {
            trace += sum[r * d + r] / Double(count)
            for s in 0..<d {
                let expected = (0..<d).reduce(0.0) { $0 + q[r * d + $1] * covariance.eigenvalues[$1] * q[s * d + $1] }
                #expect(abs(sum[r * d + s] / Double(count) - expected) < 0.06, "Σ[\(r),\(s)]")
            }
        }
        #expect(abs(trace - Double(d)) < 0.15)
        // The same seed gives the same rotation; another seed, another.
        let again = RegressionSampler(setup: sampler.setup, seed: 1)
        #expect(again.covariance == covariance)
        #expect(RegressionSampler(setup: sampler.setup, seed: 2).covariance != covariance)
    }

    @Test func orthogonalQueryIsOrthogonalToTheContextAndKeepsItsNorm() throws {
        let d = 10, n = 6
        let setup = try RegressionSetup(functionClass: .linear, dimension: d, points: n, shift: .orthogonalQuery)
        let plain = RegressionSampler(setup: try RegressionSetup(functionClass: .linear, dimension: d, points: n), seed: 2)
            .batch(size: 20, index: 0)
        let (batch, functions) = RegressionSampler(setup: setup, seed: 2).batchWithFunctions(size: 20, index: 0)
        for b in 0..<20 {
            let query = Array(batch.x(prompt: b, point: n - 1))
            for point in 0..<(n - 1) {
                let x = Array(batch.x(prompt: b, point: point))
                #expect(x == Array(plain.x(prompt: b, point: point)))  // context untouched
                let dot = zip(x, query).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                #expect(abs(dot) < 1e-4)
            }
            let norm = { (v: [Float]) in v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
            #expect(abs(norm(query) - norm(Array(plain.x(prompt: b, point: n - 1)))) < 1e-4)
            #expect(functions[b].evaluate(query) == batch.y(prompt: b, point: n - 1))
        }
        #expect(throws: TaskError.invalidRegressionSetup(reason: "an orthogonal query needs fewer in-context points (10) than dimensions (10)")) {
            try RegressionSetup(functionClass: .linear, dimension: 10, points: 11, shift: .orthogonalQuery)
        }
    }

    @Test func scaledAndNoisyShifts() throws {
        let base = try RegressionSetup(functionClass: .linear, dimension: 4, points: 30)
        let (plain, functions) = RegressionSampler(setup: base, seed: 3).batchWithFunctions(size: 50, index: 0)

        var scaledX = base
        scaledX.shift = .scaledInputs(0.5)
        let (halfX, halfFunctions) = RegressionSampler(setup: scaledX, seed: 3).batchWithFunctions(size: 50, index: 0)
        for i in plain.xs.indices { #expect(halfX.xs[i] == 0.5 * plain.xs[i]) }
        for b in 0..<50 { #expect(halfFunctions[b].evaluate(Array(halfX.x(prompt: b, point: 0))) == halfX.y(prompt: b, point: 0)) }

        var scaledY = base
        scaledY.shift = .scaledOutputs(2)
        let doubleY = RegressionSampler(setup: scaledY, seed: 3).batch(size: 50, index: 0)
        #expect(doubleY.xs == plain.xs)
        for i in plain.ys.indices { #expect(doubleY.ys[i] == 2 * plain.ys[i]) }

        var noisy = base
        noisy.shift = .noisyOutputs(standardDeviation: 1)
        let noisyBatch = RegressionSampler(setup: noisy, seed: 3).batch(size: 50, index: 0)
        // Noise draws interleave with input draws, so compare to the functions of this batch.
        let (noisyAgain, noisyFunctions) = RegressionSampler(setup: noisy, seed: 3).batchWithFunctions(size: 50, index: 0)
        #expect(noisyAgain == noisyBatch)
        var residuals: [Double] = []
        for b in 0..<50 {
            for point in 0..<30 {
                residuals.append(Double(noisyBatch.y(prompt: b, point: point) - noisyFunctions[b].evaluate(Array(noisyBatch.x(prompt: b, point: point)))))
            }
        }
        let mean = residuals.reduce(0, +) / Double(residuals.count)
        let variance = residuals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(residuals.count)
        #expect(abs(mean) < 0.08)
        #expect(abs(variance - 1) < 0.1)
        _ = functions
    }

    @Test func invalidSetupsThrow() {
        #expect(throws: TaskError.invalidRegressionSetup(reason: "dimension must be positive, got 0")) {
            try RegressionSetup(functionClass: .linear, dimension: 0, points: 3)
        }
        #expect(throws: TaskError.invalidRegressionSetup(reason: "points must be positive, got 0")) {
            try RegressionSetup(functionClass: .linear, dimension: 3, points: 0)
        }
        #expect(throws: TaskError.invalidRegressionSetup(reason: "sparse linear needs d >= 3, got 2")) {
            try RegressionSetup(functionClass: .sparseLinear, dimension: 2, points: 3)
        }
        #expect(throws: TaskError.invalidRegressionSetup(reason: "noise deviation must be finite and >= 0, got -1.0")) {
            try RegressionSetup(functionClass: .linear, dimension: 3, points: 3, shift: .noisyOutputs(standardDeviation: -1))
        }
    }
}

@Suite struct InputShiftTests {
    /// x ~ U(−2, 2): every coordinate inside, mean 0, variance (b − a)²/12 = 4/3; x ~ N(−0.75,
    /// 1.25²): mean −0.75, variance 1.5625 (within 5 standard errors over 6,000 draws).
    @Test func uniformAndShiftedGaussianInputsHaveTheirMoments() throws {
        for (shift, mean, variance) in [(DistributionShift.uniformInputs(low: -2, high: 2), 0.0, 4.0 / 3),
                                        (.gaussianInputs(mean: -0.75, standardDeviation: 1.25), -0.75, 1.5625)] {
            let setup = try RegressionSetup(functionClass: .linear, dimension: 3, points: 20, shift: shift)
            let (batch, functions) = RegressionSampler(setup: setup, seed: 11).batchWithFunctions(size: 100, index: 0)
            let xs = batch.xs.map(Double.init), n = Double(xs.count)
            let m = xs.reduce(0, +) / n, v = xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)
            #expect(abs(m - mean) < 5 * (variance / n).squareRoot(), "\(shift): mean \(m)")
            #expect(abs(v - variance) < 0.1 * variance, "\(shift): variance \(v)")
            if case .uniformInputs = shift { #expect(batch.xs.allSatisfy { $0 >= -2 && $0 < 2 }) }
            for b in 0..<3 {
                #expect(batch.y(prompt: b, point: 4) == functions[b].evaluate(Array(batch.x(prompt: b, point: 4))))
            }
        }
        #expect(throws: TaskError.self) { try RegressionSetup(functionClass: .linear, dimension: 3, points: 3, shift: .uniformInputs(low: 1, high: 1)) }
        #expect(throws: TaskError.self) { try RegressionSetup(functionClass: .linear, dimension: 3, points: 3, shift: .gaussianInputs(mean: 0, standardDeviation: 0)) }
        #expect(throws: TaskError.self) { try RegressionSetup(functionClass: .linear, dimension: 3, points: 3, shift: .gaussianInputs(mean: .nan, standardDeviation: 1)) }
    }

    /// Prompts for given functions use exactly those functions, one per prompt, and the draws of
    /// `batchWithFunctions` are unchanged by the shared sampling code.
    @Test func batchForGivenFunctionsUsesThem() throws {
        let setup = try RegressionSetup(functionClass: .linear, dimension: 3, points: 6)
        let (_, functions) = RegressionSampler(setup: setup, seed: 5).batchWithFunctions(size: 4, index: 0)
        let batch = RegressionSampler(setup: setup, seed: 6).batch(functions: functions, index: 2)
        #expect(batch.batchSize == 4)
        for b in 0..<4 {
            for point in 0..<6 { #expect(batch.y(prompt: b, point: point) == functions[b].evaluate(Array(batch.x(prompt: b, point: point)))) }
        }
    }
}
