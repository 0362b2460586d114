import ArgumentParser
import Foundation
import Models
import Tensors

/// `--model` and `--models-dir`: which model to load, and where catalog models live.
struct ModelOptions: ParsableArguments {
    @Option(help: "A known model name (bench models list), a .gguf file, a Hugging Face folder, or ORG/NAME in the Hugging Face cache.")
    var model: String = "smollm2-135m"

    @OptionGroup var location: ModelsDirectoryOptions

    /// Loads the model, fetching a missing catalog model first (and saying so on stderr).
    /// - Parameter weights: how to store the weights (nil: GGUF as Float32, Hugging Face as stored).
    /// - Parameter compute: the precision of the forward weight products.
    func load(weights: WeightFormat? = nil, compute: ComputePrecision = .float32) throws -> LanguageModel {
        try location.store().loadModel(model, weights: weights, compute: compute)
    }

    /// The model and the backend it runs on (`backend`'s choice), fetching a missing catalog
    /// model first.
    func loadOnBackend(_ backend: BackendOptions) throws -> (model: LanguageModel, backend: any ModelBackend) {
        let (lm, found) = try loadWithLocation()
        return (lm, try backend.resolved(model: lm, location: found))
    }

    /// The model and where its files were found (what a torch worker loads).
    /// - Parameter compute: the precision of the native engine's forward weight products.
    func loadWithLocation(compute: ComputePrecision = .float32) throws -> (model: LanguageModel, location: ModelLocation) {
        try location.store().loadModelAndLocation(model, compute: compute)
    }
}

extension ModelStore {
    /// Loads `reference` (a catalog name, a .gguf file, a Hugging Face folder or ORG/NAME),
    /// fetching a missing catalog model first and saying so on stderr. A catalog model keeps its
    /// catalog name; any other is named by its loader.
    /// - Parameter weights: how to store the weights (nil: GGUF as Float32, Hugging Face as stored).
    func loadModel(_ reference: String, weights: WeightFormat? = nil, compute: ComputePrecision = .float32) throws -> LanguageModel {
        try loadModelAndLocation(reference, weights: weights, compute: compute).model
    }

    /// `loadModel`, with where the model's files were found (what a torch worker loads).
    func loadModelAndLocation(
        _ reference: String, weights: WeightFormat? = nil, compute: ComputePrecision = .float32
    ) throws -> (model: LanguageModel, location: ModelLocation) {
        let found = try ModelLocator(store: self).locate(reference) { message in standardError(message) }
        let name = catalog.models.contains { $0.name == reference } ? reference : nil
        return (try LanguageModel.load(found, name: name, weights: weights, compute: compute), found)
    }
}

/// Prints a JSON object with sorted keys on one line.
func printJSON(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}
