import Foundation
import ModelFormats
import Tokenizers

/// A decoder with its tokenizer: what methods and commands work with.
public struct LanguageModel: Sendable {
    /// A short name for tables and artifact folders (the catalog name or the file/folder name).
    public let name: String
    public let decoder: Decoder
    public let tokenizer: Tokenizer

    public init(name: String, decoder: Decoder, tokenizer: Tokenizer) {
        self.name = name
        self.decoder = decoder
        self.tokenizer = tokenizer
    }

    /// Loads the decoder and the tokenizer stored with it.
    public static func load(_ location: ModelLocation, name: String? = nil) throws -> LanguageModel {
        switch location {
        case .ggufFile(let url):
            let file = try GGUFFile(contentsOf: url)
            return LanguageModel(
                name: name ?? url.deletingPathExtension().lastPathComponent,
                decoder: try DecoderLoader.load(gguf: file), tokenizer: try Tokenizer(gguf: file))
        case .huggingFaceFolder(let url):
            return LanguageModel(
                name: name ?? url.lastPathComponent, decoder: try DecoderLoader.load(huggingFaceFolder: url),
                tokenizer: try Tokenizer(huggingFaceDirectory: url))
        }
    }

    /// Token ids of `text`, with the model's BOS when its tokenizer adds one.
    public func encode(_ text: String) -> [Int] { tokenizer.encode(text, addSpecialTokens: true) }
}
