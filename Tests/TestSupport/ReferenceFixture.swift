import Foundation

/// `../shared/reference/<model>/reference.json`: prompts with token ids, top-20 logits and
/// soft-injection checks computed by Hugging Face transformers in fp32.
public struct ReferenceFixture: Decodable {
    public struct Prompt: Decodable {
        public let index: Int
        public let task: String
        public let shots: Int
        public let text: String
        public let target: String
        public let token_ids: [Int]
        public let target_token_ids: [Int]
        public let top20: [[Double]]
        public let target_first_token_logprob: Double
        public let greedy_token: Int
    }
    public struct SiteCheck: Decodable {
        public let index: Int
        public let loss: Double
        public let target_first_token: Int
        public let top20: [[Double]]
    }
    public let model: String
    public let layers: Int
    public let heads: Int
    public let head_dim: Int
    public let prompts: [Prompt]
    public let site_checks: [SiteCheck]

    /// The fixture folder of a model, e.g. "smollm2-135m-instruct-q4_1".
    public static func folder(_ model: String) -> URL { SharedPaths.reference.appendingPathComponent(model) }

    public static func load(_ model: String) throws -> ReferenceFixture {
        let url = folder(model).appendingPathComponent("reference.json")
        return try JSONDecoder().decode(ReferenceFixture.self, from: Data(contentsOf: url))
    }
}

/// ‖a − b‖ / ‖b‖.
public func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count, "relativeError: \(a.count) vs \(b.count) values")
    var difference = 0.0, reference = 0.0
    for i in a.indices {
        difference += Double(a[i] - b[i]) * Double(a[i] - b[i])
        reference += Double(b[i]) * Double(b[i])
    }
    return (difference / max(reference, 1e-30)).squareRoot()
}
