/// The settings a task vector records: prompts, shots, valid_items and layer ("best-valid" when
/// chosen on the valid split). The prepared artifact also depends on the context's seed and
/// model, which `prepare` adds when it names the artifact. `rowsPerCall` changes only speed.
extension TaskVectorMethod: Codable {
    enum CodingKeys: String, CodingKey {
        case prompts, shots, layer
        case validItems = "valid_items"
    }

    /// The layer's text when it is chosen on the valid split.
    static let chosenLayer = "best-valid"

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(prompts, forKey: .prompts)
        try c.encode(shots, forKey: .shots)
        try c.encode(validItems, forKey: .validItems)
        try c.encode(layer.map { "\($0)" } ?? Self.chosenLayer, forKey: .layer)
    }

    /// - Throws: `DecodingError.dataCorrupted` for a layer that is neither an index nor best-valid.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let layerText = try c.decode(String.self, forKey: .layer)
        var layer: Int?
        if layerText != Self.chosenLayer {
            guard let value = Int(layerText) else {
                throw DecodingError.dataCorruptedError(forKey: .layer, in: c, debugDescription: "a layer index or \(Self.chosenLayer)")
            }
            layer = value
        }
        self.init(prompts: try c.decode(Int.self, forKey: .prompts), shots: try c.decode(Int.self, forKey: .shots),
                  validItems: try c.decode(Int.self, forKey: .validItems), layer: layer)
    }
}
