import Methods

/// Numbers published in the papers, shown beside ours where the same method exists.
enum PublishedResults {
    /// A method a paper reports: one of ours, or one only the paper ran (e.g. I2CL, LoRA).
    enum Method: Hashable {
        case ours(MethodName)
        case notRun(String)
    }

    struct Column {
        var label: String
        /// Mean accuracy in percent.
        var accuracy: [Method: Double]
    }

    /// SITE paper, Table 1: Llama-3.1-8B, mean exact-match accuracy over the 57 tasks.
    static let siteLlama31_8B = Column(
        label: "Llama-3.1-8B (SITE paper)",
        accuracy: [.ours(.site): 90.02, .ours(.icl(shots: 10)): 76.76, .notRun("I2CL"): 79.89, .notRun("LoRA"): 86.76])

    static let columns = [siteLlama31_8B]

    /// The methods only the papers ran, in name order (they follow ours in the tables).
    static var notRun: [String] {
        Set(columns.flatMap(\.accuracy.keys).compactMap { method -> String? in
            if case .notRun(let name) = method { return name }
            return nil
        }).sorted()
    }
}
