// Shape legend: L layers, H heads, D model dim.
import Foundation
import Methods
import ModelFormats
import Models
import Tasks
import Tensors
import Testing
import TestSupport

/// FV, TV and LTV prepared through the torch backend equal their preparation on the native
/// engine: the function vector and the task-vector means within 1e-3 relative, the same heads and
/// layer, LTV's weights after a few Adam steps within 1e-3 relative. On the tiny llama checkpoint
/// with its final norm gain × 20 (as the method tests use it, so that effects and gradients are
/// not vanishingly small), written to a temporary folder both engines load.
@Suite(.enabled(if: TorchEnvironment.isAvailable, TorchEnvironment.skipReason), .serialized)
struct MethodPreparationTorchTests {
    final class Engines: @unchecked Sendable {
        let model: LanguageModel
        let native: NativeBackend
        let torch: TorchBackend
        let client: WorkerClient

        init() throws {
            let source = SharedPaths.reference.appendingPathComponent("tiny/llama")
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tvb-tiny-llama-scaled-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for name in ["config.json", "generation_config.json"] {
                try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
            }
            let file = try SafetensorsFile(contentsOf: source.appendingPathComponent("model.safetensors"))
            let tensors = try file.tensors.keys.sorted().map { name -> (name: String, shape: [Int], values: [Float]) in
                let values = try file.floats(named: name)
                return (name, file.tensors[name]!.shape, name == "model.norm.weight" ? values.map { $0 * 20 } : values)
            }
            try SafetensorsWriter.write(tensors, to: folder.appendingPathComponent("model.safetensors"))
            let tokenizer = try TinyTokenizer.make()
            model = LanguageModel(name: "tiny-llama", decoder: try DecoderLoader.load(huggingFaceFolder: folder), tokenizer: tokenizer)
            native = NativeBackend(model: model)
            client = try TorchEnvironment.worker()
            torch = try TorchBackend(client: client, model: folder.path, options: TorchLoadOptions(threads: 1), tokenizer: tokenizer)
        }
    }

    static let engines = Result { try Engines() }

    /// Reversed three-letter words: 30 train and 10 valid items, seeded.
    static let task = TextTask(name: "reverse", preservesCase: false)
    static func items() -> (train: [TaskItem], valid: [TaskItem]) {
        var generator = Xoshiro256StarStar(seed: 11)
        let letters = Array("abcdefghijklmnop")
        var words = [String](), seen = Set<String>()
        while words.count < 40 {
            let word = String((0..<3).map { _ in letters[Int(generator.next() % UInt64(letters.count))] })
            if seen.insert(word).inserted { words.append(word) }
        }
        let items = words.map { TaskItem(input: $0, output: .text(String($0.reversed()))) }
        return (Array(items[0..<30]), Array(items[30..<40]))
    }

    func contexts() throws -> (native: MethodContext, torch: MethodContext) {
        let e = try Self.engines.get(), s = Self.items()
        return (MethodContext(model: e.model, task: Self.task, train: s.train, valid: s.valid, seed: 7, backend: e.native),
                MethodContext(model: e.model, task: Self.task, train: s.train, valid: s.valid, seed: 7, backend: e.torch))
    }

    @Test func functionVectorsEqualTheNativeEngine() throws {
        let (native, torch) = try contexts()
        let method = FunctionVectorMethod(cleanPrompts: 4, shots: 3, corruptedPrompts: 3, topHeads: 4, rowsPerCall: 12)
        let expected = try method.prepareFunctionVector(native, cache: nil)
        let got = try method.prepareFunctionVector(torch, cache: nil)
        let effects = try #require(got.causalIndirectEffects), expectedEffects = try #require(expected.causalIndirectEffects)
        let effectGap = zip(effects.scalars, expectedEffects.scalars).map { abs($0 - $1) }.max() ?? .infinity
        #expect(effectGap < 1e-4, "largest CIE difference \(effectGap)")
        #expect(got.heads == expected.heads)
        #expect(got.layer == expected.layer)
        let error = relativeError(got.vector.scalars, expected.vector.scalars)
        #expect(error < 1e-3, "function vector: relative error \(error)")
    }

    @Test func taskVectorsEqualTheNativeEngine() throws {
        let (native, torch) = try contexts()
        let method = TaskVectorMethod(prompts: 4, shots: 3, validItems: 10, rowsPerCall: 8)
        let expected = try method.prepareTaskVector(native, cache: nil)
        let got = try method.prepareTaskVector(torch, cache: nil)
        #expect(got.layer == expected.layer)
        #expect(got.validAccuracy == expected.validAccuracy)
        let error = relativeError(got.means.scalars, expected.means.scalars)
        #expect(error < 1e-3, "residual means: relative error \(error)")
    }

    @Test func learnedTaskVectorWeightsEqualTheNativeEngine() throws {
        let (native, torch) = try contexts()
        let settings = LTVSettings(
            profile: .sameBudget, meanPrompts: 3, meanShots: 2, trainingShots: 0, shuffledLabels: false, trainingPrompts: 6,
            steps: 5, learningRate: 0.01, initialisation: .zeros, validationItems: 4, validateEvery: 2)
        let method = LearnedTaskVectorMethod(settings)
        let expected = try method.prepareJointly([native], cache: nil)[0]
        let got = try method.prepareJointly([torch], cache: nil)[0]
        #expect(relativeError(got.projectedHeadMeans.scalars, expected.projectedHeadMeans.scalars) < 1e-3)
        #expect(got.bestStep == expected.bestStep)
        let error = relativeError(got.weights.scalars, expected.weights.scalars)
        #expect(error < 1e-3, "LTV weights after \(settings.steps) steps: relative error \(error)")
        #expect(expected.weights.scalars.contains { $0 != 0 }, "the weights moved")
    }

    /// ‖a − b‖ / ‖b‖.
    func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        let difference = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let norm = b.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (difference / max(norm, 1e-30)).squareRoot()
    }
}
