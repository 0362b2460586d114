import Models
import Tasks

/// Everything that determines a training run; stored in the checkpoint so a resumed run can
/// check it continues the same experiment.
public struct RegressionTrainingOptions: Codable, Sendable, Equatable {
    public var functionClass: FunctionClass
    /// d: the model's input width and the final curriculum dimension.
    public var dimensions: Int
    /// K: points per prompt at the end of the curriculum.
    public var points: Int
    public var size: RegressionModelSize
    /// Positions of the model: 2·maxPoints (room for prompts longer than trained).
    public var maxPoints: Int
    public var batchSize: Int
    public var learningRate: Float
    public var seed: UInt64
    public var curriculum: RegressionCurriculum

    /// The paper settings: batch 64, Adam lr 1e-4, curriculum every 2000 steps, 101 positions pairs.
    /// - Throws: `TaskError.invalidRegressionSetup` for sizes that cannot be trained.
    public init(functionClass: FunctionClass = .linear, dimensions: Int, points: Int, size: RegressionModelSize,
                maxPoints: Int = 101, batchSize: Int = 64, learningRate: Float = 1e-4, seed: UInt64 = 0,
                curriculumInterval: Int = 2000) throws {
        func invalid(_ why: String) -> TaskError { .invalidRegressionSetup(reason: why) }
        guard dimensions >= 1, points >= 1, points <= maxPoints else {
            throw invalid("need d >= 1 and 1 <= points <= maxPoints, got d \(dimensions), points \(points), maxPoints \(maxPoints)")
        }
        guard batchSize >= 1, learningRate > 0, learningRate.isFinite, curriculumInterval >= 1 else {
            throw invalid("batch size \(batchSize), learning rate \(learningRate) and curriculum interval \(curriculumInterval) must be positive")
        }
        if functionClass == .sparseLinear, dimensions < LinearFunction.sparseNonZeroCount {
            throw invalid("sparse linear needs d >= \(LinearFunction.sparseNonZeroCount), got \(dimensions)")
        }
        self.functionClass = functionClass
        self.dimensions = dimensions
        self.points = points
        self.size = size
        self.maxPoints = maxPoints
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seed = seed
        var curriculum = RegressionCurriculum(dimensions: dimensions, points: points, interval: curriculumInterval)
        if functionClass == .sparseLinear {
            curriculum.startDimensions = max(curriculum.startDimensions, LinearFunction.sparseNonZeroCount)
        }
        self.curriculum = curriculum
    }

    enum CodingKeys: String, CodingKey {
        case functionClass, dimensions, points, size, maxPoints, batchSize, learningRate, seed, curriculum
    }

    /// Decodes and re-validates (a checkpoint's JSON is input): the curriculum must be the one
    /// these options derive.
    public init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let curriculum = try c.decode(RegressionCurriculum.self, forKey: .curriculum)
        try self.init(
            functionClass: c.decode(FunctionClass.self, forKey: .functionClass), dimensions: c.decode(Int.self, forKey: .dimensions),
            points: c.decode(Int.self, forKey: .points), size: c.decode(RegressionModelSize.self, forKey: .size),
            maxPoints: c.decode(Int.self, forKey: .maxPoints), batchSize: c.decode(Int.self, forKey: .batchSize),
            learningRate: c.decode(Float.self, forKey: .learningRate), seed: c.decode(UInt64.self, forKey: .seed),
            curriculumInterval: max(1, curriculum.interval))
        guard curriculum == self.curriculum else {
            throw TaskError.invalidRegressionSetup(reason: "stored curriculum \(curriculum) is not the one of these options (\(self.curriculum))")
        }
    }

    public func modelConfiguration() throws -> RegressionTransformerConfiguration {
        try RegressionTransformerConfiguration(size: size, inputDimension: dimensions, maxPoints: maxPoints)
    }
}
