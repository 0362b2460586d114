import Foundation
import Models
import Tensors
import Testing
import TestSupport

/// The tiny checkpoints through the Swift client and the torch worker: logits equal
/// transformers' golden ones and the native engine's within 1e-4 at every position, in one
/// ragged batch.
@Suite(.enabled(if: TorchEnvironment.isAvailable, TorchEnvironment.skipReason), .serialized)
struct TinyCheckpointTorchTests {
    struct Golden: Decodable {
        struct Sequence: Decodable {
            let token_ids: [Int]
            let logits: [[Float]]
        }
        let sequences: [Sequence]
    }

    static let families = ["llama", "mistral", "qwen3", "mixtral", "gemma3"]

    @Test(arguments: families)
    func logitsEqualGoldenAndNativeAtEveryPosition(family: String) throws {
        let folder = SharedPaths.reference.appendingPathComponent("tiny/\(family)")
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: folder.appendingPathComponent("golden.json")))
        let client = try TorchEnvironment.worker()
        defer { client.shutdown() }
        let torch = try TorchBackend(client: client, model: folder.path, options: TorchLoadOptions(threads: 1), tokenizer: nil)
        let native = NativeBackend(decoder: try DecoderLoader.load(huggingFaceFolder: folder), tokenizer: nil)
        #expect(torch.shape == native.shape)
        // Both orders, so that left padding is exercised on each sequence.
        for sequences in [golden.sequences, golden.sequences.reversed()] {
            let ids = sequences.map(\.token_ids)
            let ours = try #require(try torch.forward(ids, plan: InterventionPlan(), logits: .all).logits)
            let reference = try #require(try native.forward(ids, plan: InterventionPlan(), logits: .all).logits)
            let expected = sequences.flatMap { $0.logits.flatMap { $0 } }
            #expect(ours.shape == [ids.reduce(0) { $0 + $1.count }, torch.shape.vocabularySize])
            let toGolden = zip(ours.scalars, expected).map { abs($0 - $1) }.max() ?? .infinity
            let toNative = zip(ours.scalars, reference.scalars).map { abs($0 - $1) }.max() ?? .infinity
            #expect(toGolden < 1e-4, "\(family): largest difference to golden.json \(toGolden)")
            #expect(toNative < 1e-4, "\(family): largest difference to the native engine \(toNative)")
        }
    }

    @Test func aKilledWorkerIsAClearErrorNamingTheRequest() throws {
        let folder = SharedPaths.reference.appendingPathComponent("tiny/llama")
        let client = try TorchEnvironment.worker()
        let torch = try TorchBackend(client: client, model: folder.path, options: TorchLoadOptions(threads: 1), tokenizer: nil)
        _ = try torch.forward([[1, 2, 3]], plan: InterventionPlan(), logits: .last)
        kill(client.processIdentifier, SIGKILL)
        do {
            _ = try torch.forward([[1, 2, 3]], plan: InterventionPlan(), logits: .last)
            Issue.record("a killed worker answered")
        } catch let error as WorkerError {
            guard case .exited(let request, let status, _) = error else {
                Issue.record("expected .exited, got \(error)")
                return
            }
            #expect(request == "request 3 (forward)")
            #expect(status == SIGKILL)
        }
    }
}
