import Foundation

extension TokenizerVocabulary {
    /// The pre-tokenizer regexes of Hugging Face tokenizer.json `Split` steps that this module
    /// implements by hand.
    static let huggingFaceSplitPatterns: [String: PreTokenizer] = [
        #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#: .gpt2,
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#: .llama3,
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#: .qwen2,
    ]

    static let huggingFaceSupported = [
        "ByteLevel", "Split (gpt2, llama3, qwen2 regex; \\p{N} or \" \")", "Digits", "Metaspace", "Sequence",
        "normalizers NFC, Replace(\" \"→\"▁\"), Prepend(\"▁\")",
    ]

    /// Reads a Hugging Face tokenizer.json (model type BPE).
    ///
    /// Byte-level files (a `ByteLevel` pre-tokenizer, optionally after a `Split` regex or
    /// `Digits`) become `.byteLevelBPE`; files that escape spaces as "▁" (a `Replace` or
    /// `Prepend` normalizer, or `Metaspace`) become `.characterBPE`. `added_tokens` become control
    /// (special) or user-defined tokens. BOS is added when `tokenizer_config.json` says
    /// `add_bos_token: true`, or, without that key, when the post-processor template starts with
    /// a special token.
    /// - Parameters:
    ///   - json: the parsed tokenizer.json.
    ///   - config: the parsed tokenizer_config.json, if there is one.
    ///   - source: the tokenizer.json path, for errors.
    /// - Throws: `TokenizerError` naming the key that is missing, mistyped or unsupported.
    init(huggingFace json: JSONValue, config: JSONValue?, source: String) throws {
        func require(_ value: JSONValue?, _ key: String) throws -> JSONValue {
            guard let value, !value.isNull else { throw TokenizerError.missingKey(source: source, key: key) }
            return value
        }
        func invalid(_ key: String, _ expected: String, _ found: JSONValue) -> TokenizerError {
            .invalidValue(source: source, key: key, expected: expected, found: found.kindName)
        }
        guard json.members != nil else { throw invalid("(document)", "an object", json) }
        let model = try require(json["model"], "model")
        let typeValue = try require(model["type"], "model.type")
        guard let modelType = typeValue.string else { throw invalid("model.type", "a string", typeValue) }
        guard modelType == "BPE" else {
            throw TokenizerError.unsupportedModel(source: source, name: modelType, supported: ["BPE"])
        }

        // Vocabulary: model.vocab plus added_tokens, dense ids.
        let vocabValue = try require(model["vocab"], "model.vocab")
        guard let vocab = vocabValue.members else { throw invalid("model.vocab", "an object", vocabValue) }
        let addedValue = json["added_tokens"] ?? .array([])
        guard let added = addedValue.array ?? (addedValue.isNull ? [] : nil) else {
            throw invalid("added_tokens", "an array", addedValue)
        }
        // Ids are dense, so none can reach the number of entries; this bounds the allocation.
        let limit = vocab.count + added.count
        var tokens = [String?](repeating: nil, count: limit)
        var types = [TokenType](repeating: .normal, count: limit)
        for (token, idValue) in vocab {
            guard let id = idValue.int else { throw invalid("model.vocab[\"\(token)\"]", "an integer id", idValue) }
            guard (0..<limit).contains(id) else {
                throw TokenizerError.tokenIdOutOfRange(source: source, key: "model.vocab[\"\(token)\"]", id: id, vocabularySize: limit)
            }
            guard tokens[id] == nil else {
                throw TokenizerError.invalidVocabulary(source: source, reason: "id \(id) is used by two tokens in model.vocab")
            }
            tokens[id] = token
        }
        for (index, entry) in added.enumerated() {
            let key = "added_tokens[\(index)]"
            guard let content = entry["content"]?.string else { throw TokenizerError.missingKey(source: source, key: "\(key).content") }
            guard let id = entry["id"]?.int else { throw TokenizerError.missingKey(source: source, key: "\(key).id") }
            guard (0..<limit).contains(id) else {
                throw TokenizerError.tokenIdOutOfRange(source: source, key: "\(key).id", id: id, vocabularySize: limit)
            }
            tokens[id] = content
            types[id] = entry["special"]?.bool == true ? .control : .userDefined
        }
        let count = tokens.lastIndex { $0 != nil }.map { $0 + 1 } ?? 0
        guard count > 0 else { throw TokenizerError.invalidVocabulary(source: source, reason: "model.vocab is empty") }
        if let hole = tokens[..<count].firstIndex(where: { $0 == nil }) {
            throw TokenizerError.invalidVocabulary(source: source, reason: "no token has id \(hole) (ids must be 0..<\(count))")
        }
        let tokenTexts = tokens[..<count].map { $0 ?? "" }
        types = Array(types[..<count])

        let byteFallback = try Self.optionalBool(model["byte_fallback"], "model.byte_fallback", source) ?? false
        if byteFallback {
            for id in 0..<count where types[id] == .normal && Tokenizer.fallbackByte(tokenTexts[id]) != nil { types[id] = .byte }
        }
        var unknownId: Int?
        if let unk = model["unk_token"], !unk.isNull {
            guard let text = unk.string else { throw invalid("model.unk_token", "a string or null", unk) }
            guard let id = tokenTexts.firstIndex(where: { $0.utf8.elementsEqual(text.utf8) }) else {
                throw TokenizerError.missingKey(source: source, key: "model.unk_token '\(text)' in model.vocab")
            }
            unknownId = id
            if types[id] == .normal { types[id] = .unknown }
        }

        // Merges: "left right" strings (older files) or [left, right] pairs.
        let mergesValue = model["merges"] ?? .array([])
        guard let mergeValues = mergesValue.array else { throw invalid("model.merges", "an array", mergesValue) }
        var merges: [TokenMerge] = []
        merges.reserveCapacity(mergeValues.count)
        for (index, value) in mergeValues.enumerated() {
            if let pair = value.array, pair.count == 2, let left = pair[0].string, let right = pair[1].string {
                merges.append(TokenMerge(left: left, right: right))
            } else if let rule = value.string {
                let parts = rule.utf8.split(separator: 0x20, omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw invalid("model.merges[\(index)]", "\"left right\"", value) }
                merges.append(TokenMerge(
                    left: String(decoding: parts[0], as: UTF8.self), right: String(decoding: parts[1], as: UTF8.self)))
            } else {
                throw invalid("model.merges[\(index)]", "a pair of strings or \"left right\"", value)
            }
        }

        let text = try TextHandling(normalizer: json["normalizer"], preTokenizer: json["pre_tokenizer"], source: source)

        // BOS and EOS: tokenizer_config.json first, then the post-processor template.
        func tokenId(_ value: JSONValue?, _ key: String) throws -> Int? {
            guard let value, !value.isNull else { return nil }
            guard let content = value.string ?? value["content"]?.string else { throw invalid(key, "a string or {content}", value) }
            guard let id = tokenTexts.firstIndex(where: { $0.utf8.elementsEqual(content.utf8) }) else {
                throw TokenizerError.missingKey(source: source, key: "\(key) '\(content)' in the vocabulary")
            }
            return id
        }
        let template = Self.templateFirstSpecialToken(json["post_processor"])
        let templateBOS = try template.flatMap { try tokenId(.string($0), "post_processor.single") }
        let configBOS = try tokenId(config?["bos_token"], "tokenizer_config.bos_token")
        let configAddsBOS = try Self.optionalBool(config?["add_bos_token"], "tokenizer_config.add_bos_token", source)

        self.init(
            model: text.model, tokens: tokenTexts, tokenTypes: types, merges: merges,
            bosTokenId: configBOS ?? templateBOS,
            eosTokenId: try tokenId(config?["eos_token"], "tokenizer_config.eos_token"),
            unknownTokenId: unknownId, addsBOS: configAddsBOS ?? (templateBOS != nil),
            spacePrefix: text.spacePrefix,
            ignoresMerges: try Self.optionalBool(model["ignore_merges"], "model.ignore_merges", source) ?? false,
            byteFallback: byteFallback, normalizesToNFC: text.normalizesToNFC, source: source)
    }

    private static func optionalBool(_ value: JSONValue?, _ key: String, _ source: String) throws -> Bool? {
        guard let value, !value.isNull else { return nil }
        guard let bool = value.bool else {
            throw TokenizerError.invalidValue(source: source, key: key, expected: "a bool", found: value.kindName)
        }
        return bool
    }

    /// The token a `TemplateProcessing` post-processor puts before the single sequence, if any
    /// (searched inside a `Sequence` post-processor too).
    private static func templateFirstSpecialToken(_ processor: JSONValue?) -> String? {
        guard let processor, let type = processor["type"]?.string else { return nil }
        if type == "Sequence" {
            return processor["processors"]?.array?.lazy.compactMap { templateFirstSpecialToken($0) }.first
        }
        guard type == "TemplateProcessing", let first = processor["single"]?.array?.first else { return nil }
        return first["SpecialToken"]?["id"]?.string
    }
}

/// What the normalizer and pre-tokenizer of a tokenizer.json amount to.
private struct TextHandling {
    var model: TokenizerModel = .characterBPE
    var spacePrefix: SpacePrefixRule = .never
    var normalizesToNFC = false

    init(normalizer: JSONValue?, preTokenizer: JSONValue?, source: String) throws {
        func unsupported(_ name: String) -> TokenizerError {
            .unsupportedPreTokenizer(source: source, name: name, supported: TokenizerVocabulary.huggingFaceSupported)
        }
        var escapesSpaces = false
        var prependsSpace = false
        func readNormalizer(_ value: JSONValue) throws {
            if value.isNull { return }
            let type = value["type"]?.string ?? "(no type)"
            switch type {
            case "Sequence":
                for inner in value["normalizers"]?.array ?? [] { try readNormalizer(inner) }
            case "NFC":
                normalizesToNFC = true
            case "Replace" where value["pattern"]?["String"]?.string == " " && value["content"]?.string == "▁":
                escapesSpaces = true
            case "Prepend" where value["prepend"]?.string == "▁":
                prependsSpace = true
            default:
                throw unsupported("normalizer \(type)")
            }
        }
        try readNormalizer(normalizer ?? .null)

        // Flatten a Sequence of pre-tokenizers into its steps.
        var steps: [JSONValue] = []
        func collect(_ value: JSONValue) {
            if value.isNull { return }
            if value["type"]?.string == "Sequence" {
                for inner in value["pretokenizers"]?.array ?? [] { collect(inner) }
            } else {
                steps.append(value)
            }
        }
        collect(preTokenizer ?? .null)

        var byteLevel: (useRegex: Bool, prefix: Bool)?
        var splitPattern: PreTokenizer?
        var isolatesDigits = false
        var metaspace: SpacePrefixRule?
        for step in steps {
            let type = step["type"]?.string ?? "(no type)"
            switch type {
            case "ByteLevel":
                byteLevel = (step["use_regex"]?.bool ?? true, step["add_prefix_space"]?.bool ?? false)
            case "Digits" where step["individual_digits"]?.bool == true:
                isolatesDigits = true
            case "Split":
                if let regex = step["pattern"]?["Regex"]?.string {
                    if regex == #"\p{N}"# && step["behavior"]?.string == "Isolated" {
                        isolatesDigits = true
                    } else if let known = TokenizerVocabulary.huggingFaceSplitPatterns[regex] {
                        splitPattern = known
                    } else {
                        throw unsupported("Split regex \(regex)")
                    }
                } else if step["pattern"]?["String"]?.string == " " && escapesSpaces {
                    // The normalizer has already turned every space into "▁": nothing to split.
                } else {
                    throw unsupported("Split \(step["pattern"]?.members?.first?.key ?? "pattern")")
                }
            case "Metaspace":
                guard step["replacement"]?.string ?? "▁" == "▁", step["split"]?.bool != true else {
                    throw unsupported("Metaspace with a replacement other than \"▁\" or split: true")
                }
                switch step["prepend_scheme"]?.string ?? ((step["add_prefix_space"]?.bool ?? true) ? "always" : "never") {
                case "always": metaspace = .always
                case "first": metaspace = .first
                case "never": metaspace = .never
                case let other: throw unsupported("Metaspace prepend_scheme \(other)")
                }
            default:
                throw unsupported(type)
            }
        }

        if let byteLevel {
            guard !byteLevel.prefix else { throw unsupported("ByteLevel with add_prefix_space: true") }
            switch (splitPattern, isolatesDigits, byteLevel.useRegex) {
            case (let pattern?, false, false): model = .byteLevelBPE(pattern)
            case (nil, true, true): model = .byteLevelBPE(.smollm)
            case (nil, false, true): model = .byteLevelBPE(.gpt2)
            default: throw unsupported("this combination of Split, Digits and ByteLevel(use_regex: \(byteLevel.useRegex))")
            }
        } else if let metaspace {
            model = .characterBPE
            spacePrefix = metaspace
        } else if escapesSpaces {
            guard splitPattern == nil, !isolatesDigits else { throw unsupported("Split or Digits without ByteLevel") }
            model = .characterBPE
            spacePrefix = prependsSpace ? .always : .never
        } else {
            throw unsupported("BPE without ByteLevel, Metaspace or a Replace(\" \"→\"▁\") normalizer")
        }
    }
}

extension Tokenizer {
    /// Builds the tokenizer of a Hugging Face tokenizer.json, with the BOS rule of
    /// `tokenizer_config.json` in the same folder when that file exists.
    /// - Throws: `TokenizerError` (unreadable files, malformed JSON, unsupported or inconsistent
    ///   contents), always naming the file.
    public init(huggingFaceTokenizerJSON url: URL) throws {
        let json = try JSONValue.parse(Self.readFile(url), source: url.path)
        let configURL = url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
        var config: JSONValue?
        if FileManager.default.fileExists(atPath: configURL.path) {
            config = try JSONValue.parse(Self.readFile(configURL), source: configURL.path)
        }
        try self.init(vocabulary: TokenizerVocabulary(huggingFace: json, config: config, source: url.path))
    }

    /// Builds the tokenizer of a Hugging Face model folder (its tokenizer.json).
    public init(huggingFaceDirectory url: URL) throws {
        try self.init(huggingFaceTokenizerJSON: url.appendingPathComponent("tokenizer.json"))
    }

    private static func readFile(_ url: URL) throws -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: url))
        } catch {
            throw TokenizerError.cannotRead(source: url.path, reason: error.localizedDescription)
        }
    }
}
