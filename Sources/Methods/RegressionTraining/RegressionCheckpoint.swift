// Shapes: every tensor as in `RegressionWeights.shapes(for:)`.
import Foundation
import ModelFormats
import Models
import Tasks
import Tensors

/// A training checkpoint, one safetensors file: the parameters (`model.<name>`), Adam's moments
/// (`adam.m.<name>`, `adam.v.<name>`), and in the metadata the model configuration, the training
/// options, the step and the data stream's position. Written atomically (a temporary file renamed
/// over the old one), so a kill leaves either the previous checkpoint or the new one.
public enum RegressionCheckpoint {
    static let formatKey = "format", format = "taskvectorbench.regression-training/1"
    static let optionsKey = "training_options", stepKey = "step"
    static let dataSeedKey = "data_seed", dataNextBatchKey = "data_next_batch"

    /// Writes the trainer's full state to `url`.
    public static func write(_ trainer: RegressionTrainer, to url: URL) throws {
        var (tensors, metadata) = try trainer.model.checkpointEntries()
        let names = RegressionWeights<Tensor>.names(layerCount: trainer.model.configuration.layerCount)
        for (name, moment) in zip(names, trainer.optimizer.firstMoments) {
            tensors.append((name: "adam.m." + name, shape: moment.shape, values: moment.scalars))
        }
        for (name, moment) in zip(names, trainer.optimizer.secondMoments) {
            tensors.append((name: "adam.v." + name, shape: moment.shape, values: moment.scalars))
        }
        metadata[formatKey] = format
        metadata[optionsKey] = String(decoding: try JSONEncoder().encode(trainer.options), as: UTF8.self)
        metadata[stepKey] = String(trainer.step)
        metadata[dataSeedKey] = String(trainer.dataSeed)
        metadata[dataNextBatchKey] = String(trainer.step)
        try SafetensorsWriter.write(tensors, to: url, metadata: metadata)
    }

    /// Writes the model alone (parameters, configuration, training options, step): what evaluation
    /// needs, a third of the training checkpoint's size.
    public static func writeModel(_ trainer: RegressionTrainer, to url: URL) throws {
        var (tensors, metadata) = try trainer.model.checkpointEntries()
        metadata[optionsKey] = String(decoding: try JSONEncoder().encode(trainer.options), as: UTF8.self)
        metadata[stepKey] = String(trainer.step)
        try SafetensorsWriter.write(tensors, to: url, metadata: metadata)
    }

    /// The options stored in a checkpoint.
    public static func options(in file: SafetensorsFile) throws -> RegressionTrainingOptions {
        guard let json = file.metadata[optionsKey] else { throw ModelLoadError.missingMetadata(key: optionsKey, file: file.path) }
        do {
            return try JSONDecoder().decode(RegressionTrainingOptions.self, from: Data(json.utf8))
        } catch {
            throw ModelLoadError.invalidConfiguration("\(file.path): \(optionsKey) is not valid training options: \(error)")
        }
    }

    /// Restores a trainer from `url`.
    /// - Throws: `ModelFormatError` for an unreadable file; `ModelLoadError` for missing metadata,
    ///   tensors of the wrong shape, or a step or data seed that does not match the options.
    public static func read(from url: URL) throws -> RegressionTrainer {
        let file = try SafetensorsFile(contentsOf: url)
        guard file.metadata[formatKey] == format else {
            throw ModelLoadError.missingMetadata(key: "\(formatKey) = \(format) (not a training checkpoint)", file: file.path)
        }
        let options = try options(in: file)
        let model = try RegressionTransformer(checkpoint: file)
        guard model.configuration == (try options.modelConfiguration()) else {
            throw ModelLoadError.invalidConfiguration("\(file.path): the model configuration does not match the training options")
        }
        guard let stepText = file.metadata[stepKey], let step = Int(stepText), step >= 0 else {
            throw ModelLoadError.missingMetadata(key: "\(stepKey) (a non-negative integer)", file: file.path)
        }
        let names = RegressionWeights<Tensor>.names(layerCount: model.configuration.layerCount)
        let shapes = model.weights.all.map(\.shape)
        var optimizer = Adam(learningRate: options.learningRate, shapes: shapes)
        optimizer.step = step
        optimizer.firstMoments = try zip(names, shapes).map { try RegressionTransformer.readTensor("adam.m." + $0, shape: $1, from: file) }
        optimizer.secondMoments = try zip(names, shapes).map { try RegressionTransformer.readTensor("adam.v." + $0, shape: $1, from: file) }
        let trainer = RegressionTrainer(options: options, model: model, optimizer: optimizer)
        guard file.metadata[dataSeedKey] == String(trainer.dataSeed), file.metadata[dataNextBatchKey] == stepText else {
            throw ModelLoadError.missingMetadata(
                key: "\(dataSeedKey) = \(trainer.dataSeed) and \(dataNextBatchKey) = \(step) (the data stream of these options)", file: file.path)
        }
        return trainer
    }
}
