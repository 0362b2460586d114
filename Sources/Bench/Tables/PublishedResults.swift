/// Numbers published in the papers, shown beside ours where the same method exists.
enum PublishedResults {
    struct Column {
        var label: String
        /// Mean accuracy in percent, keyed by our method name (rows we do not run use their own names).
        var accuracy: [String: Double]
    }

    /// SITE paper, Table 1: Llama-3.1-8B, mean exact-match accuracy over the 57 tasks.
    static let siteLlama31_8B = Column(
        label: "Llama-3.1-8B (SITE paper)",
        accuracy: ["site": 90.02, "icl-10": 76.76, "I2CL": 79.89, "LoRA": 86.76])

    static let columns = [siteLlama31_8B]
}
