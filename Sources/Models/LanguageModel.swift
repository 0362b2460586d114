import Foundation
import ModelFormats
import Tensors
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
    /// - Parameter weights: how to store the weights; nil loads GGUF files as Float32 and Hugging
    ///   Face folders as stored.
    /// - Parameter compute: the precision of the forward weight products (`Decoder.computing(in:)`).
    /// - Throws: `ModelLoadError.computeUnsupported` when this CPU cannot run `compute`.
    public static func load(
        _ location: ModelLocation, name: String? = nil, weights: WeightFormat? = nil, compute: ComputePrecision = .float32
    ) throws -> LanguageModel {
        var model: LanguageModel
        switch location {
        case .ggufFile(let url):
            let file = try GGUFFile(contentsOf: url)
            model = LanguageModel(
                name: name ?? url.deletingPathExtension().lastPathComponent,
                decoder: try DecoderLoader.load(gguf: file, storage: weights == .quantized ? .blocks : .float32ReadingBlocks),
                tokenizer: try Tokenizer(gguf: file))
        case .huggingFaceFolder(let url):
            model = LanguageModel(
                name: name ?? url.lastPathComponent, decoder: try DecoderLoader.load(huggingFaceFolder: url),
                tokenizer: try Tokenizer(huggingFaceDirectory: url))
        }
        if let type = weights?.elementType {
            model = LanguageModel(name: model.name, decoder: try model.decoder.converted(to: type), tokenizer: model.tokenizer)
        }
        if compute != .float32 {
            model = LanguageModel(name: model.name, decoder: try model.decoder.computing(in: compute), tokenizer: model.tokenizer)
        }
        return model
    }

    /// Token ids of `text`, with the model's BOS when its tokenizer adds one.
    public func encode(_ text: String) -> [Int] { tokenizer.encode(text, addSpecialTokens: true) }
}
