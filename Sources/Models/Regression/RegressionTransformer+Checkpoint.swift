// Shape legend: D model dim, d input dimension, P positions, F FFN dim, L layers.
import Foundation
import ModelFormats
import Tensors

extension RegressionTransformer {
    /// Metadata key of the configuration JSON in a checkpoint.
    public static let configurationKey = "regression_transformer_config"
    /// Prefix of the parameter tensors' names in a checkpoint.
    public static let tensorPrefix = "model."

    /// The parameters as named tensors (`model.<GPT-2 name>`) and the configuration as metadata.
    public func checkpointEntries() throws -> (tensors: [(name: String, shape: [Int], values: [Float])], metadata: [String: String]) {
        let names = RegressionWeights<Tensor>.names(layerCount: configuration.layerCount)
        let tensors = zip(names, weights.all).map { (name: Self.tensorPrefix + $0, shape: $1.shape, values: $1.scalars) }
        let json = try JSONEncoder().encode(configuration)
        return (tensors, [Self.configurationKey: String(decoding: json, as: UTF8.self)])
    }

    /// Reads a model written by `checkpointEntries` (a training checkpoint or a bare model file).
    /// - Throws: `ModelFormatError` for an unreadable file, `ModelLoadError` for missing or
    ///   malformed configuration metadata, a missing tensor or a tensor of the wrong shape.
    public init(checkpoint file: SafetensorsFile) throws {
        guard let json = file.metadata[Self.configurationKey] else {
            throw ModelLoadError.missingMetadata(key: Self.configurationKey, file: file.path)
        }
        let configuration: RegressionTransformerConfiguration
        do {
            configuration = try JSONDecoder().decode(RegressionTransformerConfiguration.self, from: Data(json.utf8))
        } catch let error as ModelLoadError {
            throw error
        } catch {
            throw ModelLoadError.invalidConfiguration("\(file.path): \(Self.configurationKey) is not a configuration: \(error)")
        }
        let names = RegressionWeights<Tensor>.names(layerCount: configuration.layerCount)
        let shapes = RegressionWeights<Tensor>.shapes(for: configuration)
        var tensors = [Tensor]()
        for (name, shape) in zip(names, shapes) {
            tensors.append(try Self.readTensor(Self.tensorPrefix + name, shape: shape, from: file))
        }
        try self.init(configuration: configuration, weights: RegressionWeights(all: tensors, layerCount: configuration.layerCount))
    }

    /// A Float32 tensor of the expected shape, checked before any value is read.
    public static func readTensor(_ name: String, shape: [Int], from file: SafetensorsFile) throws -> Tensor {
        guard let info = file.tensors[name] else { throw ModelLoadError.missingTensor(name: name, file: file.path) }
        guard info.shape == shape else { throw ModelLoadError.shapeMismatch(tensor: name, expected: shape, found: info.shape) }
        return Tensor(shape: shape, scalars: try file.floats(of: info))
    }
}
