/// The settings a function vector records: clean_prompts, shots, layer ("L/3" when chosen from
/// the model), and either corrupted_prompts and top_heads (heads of largest CIE) or heads
/// ("layer.head,…", fixed heads). The prepared artifact also depends on the context's seed and
/// model, which `prepare` adds when it names the artifact. `rowsPerCall` changes only speed.
extension FunctionVectorMethod: Codable {
    enum CodingKeys: String, CodingKey {
        case cleanPrompts = "clean_prompts"
        case shots
        case layer
        case corruptedPrompts = "corrupted_prompts"
        case topHeads = "top_heads"
        case heads
    }

    /// The layer's text when it is L/3 of the model.
    static let defaultLayer = "L/3"

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cleanPrompts, forKey: .cleanPrompts)
        try c.encode(shots, forKey: .shots)
        try c.encode(layer.map { "\($0)" } ?? Self.defaultLayer, forKey: .layer)
        switch heads {
        case .topByEffect:
            try c.encode(corruptedPrompts, forKey: .corruptedPrompts)
            try c.encode(topHeads, forKey: .topHeads)
        case .fixed(let list):
            try c.encode(list.map(\.description).joined(separator: ","), forKey: .heads)
        }
    }

    /// Reads the settings back; an absent layer (an artifact's settings leave it out) is L/3.
    /// - Throws: `DecodingError.dataCorrupted` for a layer or a head list that does not parse.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let layerText = try c.decodeIfPresent(String.self, forKey: .layer) ?? Self.defaultLayer
        var layer: Int?
        if layerText != Self.defaultLayer {
            guard let value = Int(layerText) else {
                throw DecodingError.dataCorruptedError(forKey: .layer, in: c, debugDescription: "a layer index or \(Self.defaultLayer)")
            }
            layer = value
        }
        var heads = HeadSelection.topByEffect
        var corruptedPrompts = 25, topHeads = 10
        if let list = try c.decodeIfPresent(String.self, forKey: .heads) {
            heads = .fixed(try list.split(separator: ",").map { text in
                let parts = text.split(separator: ".")
                guard parts.count == 2, let l = Int(parts[0]), let h = Int(parts[1]) else {
                    throw DecodingError.dataCorruptedError(forKey: .heads, in: c, debugDescription: "heads as layer.head,…")
                }
                return AttentionHead(layer: l, head: h)
            })
        } else {
            corruptedPrompts = try c.decode(Int.self, forKey: .corruptedPrompts)
            topHeads = try c.decode(Int.self, forKey: .topHeads)
        }
        self.init(cleanPrompts: try c.decode(Int.self, forKey: .cleanPrompts), shots: try c.decode(Int.self, forKey: .shots),
                  corruptedPrompts: corruptedPrompts, topHeads: topHeads, layer: layer, heads: heads)
    }
}
