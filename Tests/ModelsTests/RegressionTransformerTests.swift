// Shape legend: B batch, T rows per prompt, D model dim, H heads, Dh head dim, L layers,
// d input dimension.
import Foundation
import ModelFormats
import Testing
@testable import Models
import Tensors
import TestSupport

extension SeededGenerator {
    /// A tensor of independent N(0, std²) elements.
    mutating func normal(_ shape: [Int], _ std: Float = 1) -> Tensor {
        Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in std * Float(nextNormal()) })
    }
}

@Suite struct RegressionTransformerTests {
    static let configuration = try! RegressionTransformerConfiguration(
        embeddingWidth: 8, layerCount: 2, headCount: 2, inputDimension: 3, maxPoints: 4)

    /// A model whose every parameter is O(0.3) noise (LayerNorm weights around 1), so that no
    /// gradient is negligible.
    static func noisyModel(seed: UInt64) throws -> RegressionTransformer {
        var rng = SeededGenerator(seed: seed)
        let names = RegressionWeights<Tensor>.names(layerCount: configuration.layerCount)
        let tensors = zip(names, RegressionWeights<Tensor>.shapes(for: configuration)).map { name, shape -> Tensor in
            let noise = rng.normal(shape, 0.3)
            return name.contains("ln") && name.hasSuffix("weight") ? noise.map { 1 + $0 } : noise
        }
        return try RegressionTransformer(configuration: configuration, weights: RegressionWeights(all: tensors, layerCount: configuration.layerCount))
    }

    /// Two prompts of 3 points in the training layout (B, 2N, d) and their targets (B, N).
    static func prompts(seed: UInt64) -> (input: Tensor, targets: Tensor) {
        var rng = SeededGenerator(seed: seed)
        var input = rng.normal([2, 6, 3])
        let targets = rng.normal([2, 3])
        for b in 0..<2 {
            for n in 0..<3 {
                let yRow = (b * 6 + 2 * n + 1) * 3
                input.scalars[yRow] = targets.scalars[b * 3 + n]
                input.scalars[yRow + 1] = 0
                input.scalars[yRow + 2] = 0
            }
        }
        return (input, targets)
    }

    static func loss(_ model: RegressionTransformer, _ input: Tensor, _ targets: Tensor) -> Double {
        let p = model.forward(input).predictions.value
        return zip(p.scalars, targets.scalars).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / Double(targets.count)
    }

    @Test func gradientOfWholeModelMatchesCentralDifferences() throws {
        let model = try Self.noisyModel(seed: 41)
        let (input, targets) = Self.prompts(seed: 42)
        let tape = Tape()
        let variables = model.weights.map { tape.parameter($0) }
        let predictions = model.forward(input, weights: variables, tape: tape).predictions
        let difference = tape.subtract(predictions, Variable(constant: targets))
        let loss = tape.mean(tape.multiply(difference, difference))
        let gradients = tape.gradients(of: loss)
        let analytic = variables.all.map { gradients[$0] }

        var rng = SeededGenerator(seed: 43)
        let names = RegressionWeights<Tensor>.names(layerCount: 2)
        let checked = ["read_in.weight", "read_in.bias", "wpe.weight", "h.0.ln_1.weight", "h.0.attn.c_attn.weight",
                       "h.0.attn.c_attn.bias", "h.1.attn.c_proj.weight", "h.1.mlp.c_fc.weight", "h.1.mlp.c_proj.bias",
                       "h.1.ln_2.bias", "ln_f.weight", "read_out.weight", "read_out.bias"]
        let epsilon: Float = 1e-2
        var compared = 0
        for name in checked {
            let p = try #require(names.firstIndex(of: name))
            for _ in 0..<3 {
                // Only positions 0..<6 are used: the table's other rows have no gradient.
                let count = name == "wpe.weight" ? 6 * 8 : model.weights.all[p].count
                let j = Int(rng.next() % UInt64(count))
                var all = model.weights.all
                let x = all[p].scalars[j]
                func centralDifference(_ h: Float) throws -> Double {
                    all[p].scalars[j] = x + h
                    let up = Self.loss(try RegressionTransformer(configuration: Self.configuration, weights: RegressionWeights(all: all, layerCount: 2)), input, targets)
                    all[p].scalars[j] = x - h
                    let down = Self.loss(try RegressionTransformer(configuration: Self.configuration, weights: RegressionWeights(all: all, layerCount: 2)), input, targets)
                    return (up - down) / (Double(x + h) - Double(x - h))
                }
                // Richardson extrapolation cancels the O(h²) truncation error of the central
                // difference (alone it is about 1.5e-4 here, the size of the tolerance, so any
                // change of Float rounding in the forward pass decided the outcome).
                let numeric = (4 * (try centralDifference(epsilon)) - (try centralDifference(2 * epsilon))) / 3
                let tapeValue = Double(analytic[p].scalars[j])
                #expect(abs(tapeValue - numeric) <= 2e-3 * max(abs(numeric), 0.05),
                        "\(name)[\(j)]: tape \(tapeValue), central difference \(numeric)")
                compared += 1
            }
        }
        #expect(compared == 39)
        // The positions the prompts never reach get exactly no gradient.
        let wpe = analytic[2]
        #expect(wpe.scalars[(6 * 8)...].allSatisfy { $0 == 0 })
    }

    @Test func predictionAtXDependsOnlyOnEarlierRows() throws {
        let model = try Self.noisyModel(seed: 44)
        var (input, _) = Self.prompts(seed: 45)
        let before = model.forward(input).predictions.value
        #expect(before.shape == [2, 3])
        // Change y_2 of prompt 0 (row 3): predictions at x_1 and x_2 (rows 0, 2) must not move.
        input.scalars[3 * 3] += 5
        let after = model.forward(input).predictions.value
        #expect(after.scalars[0] == before.scalars[0] && after.scalars[1] == before.scalars[1])
        #expect(after.scalars[2] != before.scalars[2])
        #expect(Array(after.scalars[3...]) == Array(before.scalars[3...]))
    }

    @Test func capturesHaveTheLanguageModelsShapes() throws {
        let model = try Self.noisyModel(seed: 46)
        let (input, _) = Self.prompts(seed: 47)
        let output = model.forward(input, interventions: [
            Intervention(.attentionHeads(layer: 1), at: .indices([4, 4]), .capture),
            Intervention(.residual(layer: 0), at: .indices([4, 4]), .capture),
        ])
        let heads = try #require(output.captures[.attentionHeads(layer: 1)])
        let residual = try #require(output.captures[.residual(layer: 0)])
        #expect(heads.shape == [2, 2 * 4])   // (B, H·Dh)
        #expect(residual.shape == [2, 8])    // (B, D)
    }

    @Test func identityInterventionsLeaveOutputBitIdentical() throws {
        let model = try Self.noisyModel(seed: 48)
        let (input, _) = Self.prompts(seed: 49)
        let plain = model.forward(input).predictions.value
        let zerosHeads = Variable(constant: Tensor.zeros([2, 8])), zerosResidual = Variable(constant: Tensor.zeros([2, 8]))
        let tape = Tape()
        let intervened = model.forward(input, tape: tape, interventions: [
            Intervention(.attentionHeads(layer: 0), at: .indices([4, 4]), .add(zerosHeads)),
            Intervention(.residual(layer: 1), at: .last, .add(zerosResidual)),
        ]).predictions.value
        #expect(intervened.scalars == plain.scalars)
    }

    @Test func residualAddAtQueryMovesOnlyTheQueryPrediction() throws {
        let model = try Self.noisyModel(seed: 50)
        var rng = SeededGenerator(seed: 51)
        // The prompt layout (2N − 1 rows): `.last` is the query's x.
        let input = rng.normal([2, 5, 3])
        let plain = model.forward(input).predictions.value
        #expect(RegressionTransformer.queryRow(points: 3) == 4)
        let shifted = model.forward(input, interventions: [
            Intervention(.residual(layer: 1), at: .last, .add(Variable(constant: rng.normal([2, 8])))),
        ]).predictions.value
        for b in 0..<2 {
            #expect(shifted.scalars[b * 3] == plain.scalars[b * 3] && shifted.scalars[b * 3 + 1] == plain.scalars[b * 3 + 1])
            #expect(shifted.scalars[b * 3 + 2] != plain.scalars[b * 3 + 2])
        }
    }

    @Test func gradientsFlowToInterventionParameters() throws {
        let model = try Self.noisyModel(seed: 52)
        let (input, targets) = Self.prompts(seed: 53)
        let tape = Tape()
        let vector = tape.parameter(Tensor.zeros([2, 8]))
        let predictions = model.forward(input, tape: tape, interventions: [
            Intervention(.residual(layer: 0), at: .indices([4, 4]), .add(vector)),
        ]).predictions
        let loss = tape.sum(tape.multiply(tape.subtract(predictions, Variable(constant: targets)), tape.subtract(predictions, Variable(constant: targets))))
        #expect(tape.gradients(of: loss)[vector].norm() > 0)
    }

    @Test func checkpointRoundTripsExactly() throws {
        let model = try Self.noisyModel(seed: 54)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("regression-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        let (tensors, metadata) = try model.checkpointEntries()
        try SafetensorsWriter.write(tensors, to: url, metadata: metadata)
        let loaded = try RegressionTransformer(checkpoint: SafetensorsFile(contentsOf: url))
        #expect(loaded.configuration == model.configuration)
        #expect(loaded.weights.all == model.weights.all)
    }

    @Test func brokenCheckpointsThrowWithContext() throws {
        let model = try Self.noisyModel(seed: 55)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("regression-broken-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (tensors, metadata) = try model.checkpointEntries()
        func load(_ tensors: [(name: String, shape: [Int], values: [Float])], _ metadata: [String: String]) throws -> RegressionTransformer {
            let url = directory.appendingPathComponent("\(UUID().uuidString).safetensors")
            try SafetensorsWriter.write(tensors, to: url, metadata: metadata)
            return try RegressionTransformer(checkpoint: SafetensorsFile(contentsOf: url))
        }
        #expect(throws: ModelLoadError.self) { try load(tensors, [:]) }
        #expect(throws: ModelLoadError.self) { try load(tensors, [RegressionTransformer.configurationKey: "{\"n_embd\": 8}"]) }
        var badHeads = metadata
        badHeads[RegressionTransformer.configurationKey] = "{\"n_embd\":8,\"n_layer\":2,\"n_head\":3,\"n_dims\":3,\"n_points\":4}"
        #expect(throws: ModelLoadError.invalidConfiguration("regression transformer: n_embd 8 is not a multiple of n_head 3")) { try load(tensors, badHeads) }
        var lying = metadata
        lying[RegressionTransformer.configurationKey] = "{\"n_embd\":8,\"n_layer\":100000000,\"n_head\":2,\"n_dims\":3,\"n_points\":4}"
        #expect(throws: ModelLoadError.self) { try load(tensors, lying) }
        #expect(throws: ModelLoadError.missingTensor(name: "model.ln_f.bias", file: "")) {
            do { _ = try load(tensors.filter { $0.name != "model.ln_f.bias" }, metadata) } catch ModelLoadError.missingTensor(let name, _) {
                throw ModelLoadError.missingTensor(name: name, file: "")
            }
        }
        var reshaped = tensors
        reshaped[0] = (name: reshaped[0].name, shape: [3, 8], values: reshaped[0].values)
        #expect(throws: ModelLoadError.shapeMismatch(tensor: "model.read_in.weight", expected: [8, 3], found: [3, 8])) { try load(reshaped, metadata) }
    }

    @Test func presetsAndValidation() throws {
        let small = try RegressionTransformerConfiguration(size: .small, inputDimension: 10)
        #expect(small.embeddingWidth == 128 && small.layerCount == 6 && small.headCount == 4 && small.headDimensions == 32)
        #expect(small.positionCount == 202)
        let tiny = try RegressionTransformerConfiguration(size: .tiny, inputDimension: 5, maxPoints: 11)
        #expect(tiny.embeddingWidth == 64 && tiny.layerCount == 3 && tiny.headCount == 2)
        let standard = try RegressionTransformerConfiguration(size: .standard, inputDimension: 20)
        #expect(standard.embeddingWidth == 256 && standard.layerCount == 12 && standard.headCount == 8)
        #expect(throws: ModelLoadError.self) { try RegressionTransformerConfiguration(embeddingWidth: 0, layerCount: 1, headCount: 1, inputDimension: 1) }
        #expect(throws: ModelLoadError.self) { try RegressionTransformerConfiguration(embeddingWidth: 8, layerCount: 1, headCount: 2, inputDimension: 0) }
        #expect(throws: ModelLoadError.self) {
            try RegressionTransformerConfiguration(embeddingWidth: 8, layerCount: 1, headCount: 2, inputDimension: 2, layerNormEpsilon: 0)
        }
        // Parameter count of GPT-2 small-ish sizes: 12·D² + 13·D per block plus the ends.
        var rng = SeededGenerator(seed: 1)
        let model = try RegressionTransformer(configuration: small, using: &rng)
        let d = 128
        #expect(model.weights.parameterCount == (d * 10 + d) + 202 * d + 6 * (12 * d * d + 13 * d) + 2 * d + d + 1)
    }
}
