import Foundation
import ModelFormats

/// GGUF metadata keys of the tokenizer (llama.cpp's `tokenizer.ggml.*`).
enum GGUFTokenizerKey {
    static let model = "tokenizer.ggml.model"
    static let pre = "tokenizer.ggml.pre"
    static let tokens = "tokenizer.ggml.tokens"
    static let scores = "tokenizer.ggml.scores"
    static let tokenTypes = "tokenizer.ggml.token_type"
    static let merges = "tokenizer.ggml.merges"
    static let bos = "tokenizer.ggml.bos_token_id"
    static let eos = "tokenizer.ggml.eos_token_id"
    static let unknown = "tokenizer.ggml.unknown_token_id"
    static let addBOS = "tokenizer.ggml.add_bos_token"
    static let addSpacePrefix = "tokenizer.ggml.add_space_prefix"
}

extension PreTokenizer {
    /// `tokenizer.ggml.pre` values → pre-tokenizer (the names llama.cpp's converter writes).
    static let ggufNames: [String: PreTokenizer] = [
        "gpt-2": .gpt2, "gpt2": .gpt2,
        "llama-bpe": .llama3, "llama3": .llama3, "llama-v3": .llama3,
        "qwen2": .qwen2,
        "smollm": .smollm,
    ]
}

extension TokenizerVocabulary {
    /// `tokenizer.ggml.model` values this module implements.
    static let ggufModels = ["gpt2", "llama"]

    /// Reads the tokenizer from GGUF metadata.
    ///
    /// "gpt2" → byte-level BPE with the pre-tokenizer named by `tokenizer.ggml.pre`;
    /// "llama" → SentencePiece with scores and byte fallback. Defaults follow llama.cpp: for
    /// "llama", BOS is added and a space prefix is used unless the file says otherwise; for
    /// "gpt2", BOS is added only with the llama3 pre-tokenizer or when `add_bos_token` says so.
    /// - Parameter source: names the metadata's file in errors.
    /// - Throws: `TokenizerError` for missing or mistyped keys, unknown models or pre-tokenizers.
    public init(gguf metadata: [String: GGUFValue], source: String) throws {
        func value(_ key: String) throws -> GGUFValue {
            guard let value = metadata[key] else { throw TokenizerError.missingKey(source: source, key: key) }
            return value
        }
        func typed<T>(_ key: String, _ expected: String, _ convert: (GGUFValue) -> T?) throws -> T? {
            guard let value = metadata[key] else { return nil }
            guard let converted = convert(value) else {
                throw TokenizerError.invalidValue(source: source, key: key, expected: expected, found: value.typeName)
            }
            return converted
        }

        guard let modelName = try typed(GGUFTokenizerKey.model, "a string", { $0.asString }) else {
            throw TokenizerError.missingKey(source: source, key: GGUFTokenizerKey.model)
        }
        guard Self.ggufModels.contains(modelName) else {
            throw TokenizerError.unsupportedModel(source: source, name: modelName, supported: Self.ggufModels)
        }
        let tokensValue = try value(GGUFTokenizerKey.tokens)
        guard let tokens = tokensValue.asStrings else {
            throw TokenizerError.invalidValue(
                source: source, key: GGUFTokenizerKey.tokens, expected: "an array of strings", found: tokensValue.typeName)
        }
        let count = tokens.count
        var tokenTypes = [TokenType](repeating: .normal, count: count)
        if let rawTypes = try typed(GGUFTokenizerKey.tokenTypes, "an array of integers", { $0.asInts }) {
            guard rawTypes.count == count else {
                throw TokenizerError.lengthMismatch(source: source, key: GGUFTokenizerKey.tokenTypes, expected: count, found: rawTypes.count)
            }
            for (id, raw) in rawTypes.enumerated() {
                guard let type = Int32(exactly: raw).flatMap(TokenType.init(rawValue:)) else {
                    throw TokenizerError.invalidValue(
                        source: source, key: "\(GGUFTokenizerKey.tokenTypes)[\(id)]", expected: "a token type 0...6", found: "\(raw)")
                }
                tokenTypes[id] = type
            }
        }
        let scores = try typed(GGUFTokenizerKey.scores, "an array of floats", { $0.asFloats }) ?? []
        func id(_ key: String) throws -> Int? { try typed(key, "an integer", { $0.asInt }) }
        let addBOS = try typed(GGUFTokenizerKey.addBOS, "a bool", { $0.asBool })
        let addSpacePrefix = try typed(GGUFTokenizerKey.addSpacePrefix, "a bool", { $0.asBool })

        if modelName == "llama" {
            self.init(
                model: .sentencePiece, tokens: tokens, scores: scores, tokenTypes: tokenTypes,
                bosTokenId: try id(GGUFTokenizerKey.bos) ?? 1, eosTokenId: try id(GGUFTokenizerKey.eos) ?? 2,
                unknownTokenId: try id(GGUFTokenizerKey.unknown) ?? 0, addsBOS: addBOS ?? true,
                spacePrefix: (addSpacePrefix ?? true) ? .always : .never, byteFallback: true, source: source)
            return
        }

        guard let preName = try typed(GGUFTokenizerKey.pre, "a string", { $0.asString }) else {
            throw TokenizerError.missingKey(source: source, key: GGUFTokenizerKey.pre)
        }
        guard let preTokenizer = PreTokenizer.ggufNames[preName] else {
            throw TokenizerError.unsupportedPreTokenizer(
                source: source, name: preName, supported: PreTokenizer.ggufNames.keys.sorted())
        }
        let mergesValue = try value(GGUFTokenizerKey.merges)
        guard let mergeStrings = mergesValue.asStrings else {
            throw TokenizerError.invalidValue(
                source: source, key: GGUFTokenizerKey.merges, expected: "an array of strings", found: mergesValue.typeName)
        }
        var merges: [TokenMerge] = []
        merges.reserveCapacity(mergeStrings.count)
        for (index, rule) in mergeStrings.enumerated() {
            // "left right", split at the first space after the first character (a left side
            // may itself be a space in non-byte-level vocabularies).
            let utf8 = Array(rule.utf8)
            guard let space = utf8.indices.dropFirst().first(where: { utf8[$0] == 0x20 }) else {
                throw TokenizerError.invalidValue(
                    source: source, key: "\(GGUFTokenizerKey.merges)[\(index)]", expected: "\"left right\"", found: "\"\(rule)\"")
            }
            merges.append(TokenMerge(
                left: String(decoding: utf8[..<space], as: UTF8.self),
                right: String(decoding: utf8[(space + 1)...], as: UTF8.self)))
        }
        self.init(
            model: .byteLevelBPE(preTokenizer), tokens: tokens, tokenTypes: tokenTypes, merges: merges,
            bosTokenId: try id(GGUFTokenizerKey.bos), eosTokenId: try id(GGUFTokenizerKey.eos),
            unknownTokenId: try id(GGUFTokenizerKey.unknown),
            addsBOS: addBOS ?? (preTokenizer == .llama3), spacePrefix: .never,
            ignoresMerges: preTokenizer == .llama3, source: source)
    }
}

extension Tokenizer {
    /// The tokenizer stored in a GGUF file's metadata.
    /// - Throws: `TokenizerError` (see `TokenizerVocabulary.init(gguf:source:)`).
    public init(gguf file: GGUFFile) throws {
        try self.init(vocabulary: TokenizerVocabulary(gguf: file.metadata, source: file.url.path))
    }

    /// Opens a GGUF file and reads its tokenizer.
    /// - Throws: `TokenizerError.cannotRead` when the file is not a readable GGUF file, else as
    ///   `init(gguf:)`.
    public init(contentsOfGGUF url: URL) throws {
        let file: GGUFFile
        do {
            file = try GGUFFile(contentsOf: url)
        } catch {
            throw TokenizerError.cannotRead(source: url.path, reason: "\(error)")
        }
        try self.init(gguf: file)
    }
}
