// d the regression input dimension, N points per prompt.

/// Garg et al.'s curriculum: training starts on `startDimensions` active dimensions and
/// `startPoints` points, and every `interval` steps gains `dimensionIncrement` dimensions and
/// `pointIncrement` points, up to the final d and N. Inactive dimensions of x are zero.
public struct RegressionCurriculum: Codable, Sendable, Equatable {
    public var startDimensions: Int
    public var dimensionIncrement: Int
    public var startPoints: Int
    public var pointIncrement: Int
    /// Steps between two increments.
    public var interval: Int
    public var finalDimensions: Int
    public var finalPoints: Int

    /// Garg et al.'s schedule scaled to (d, N): 5 dimensions and 2·5+1 points at first, +1 and +2
    /// every `interval` steps (their 2000), clamped to d and N.
    public init(dimensions d: Int, points n: Int, interval: Int = 2000) {
        self.init(startDimensions: min(5, d), dimensionIncrement: 1, startPoints: min(11, n), pointIncrement: 2,
                  interval: interval, finalDimensions: d, finalPoints: n)
    }

    public init(startDimensions: Int, dimensionIncrement: Int, startPoints: Int, pointIncrement: Int,
                interval: Int, finalDimensions: Int, finalPoints: Int) {
        precondition(interval >= 1 && startDimensions >= 1 && startPoints >= 1 && dimensionIncrement >= 0 && pointIncrement >= 0,
                     "curriculum: interval \(interval), start (\(startDimensions), \(startPoints)), increments (\(dimensionIncrement), \(pointIncrement))")
        self.startDimensions = startDimensions
        self.dimensionIncrement = dimensionIncrement
        self.startPoints = startPoints
        self.pointIncrement = pointIncrement
        self.interval = interval
        self.finalDimensions = finalDimensions
        self.finalPoints = finalPoints
    }

    /// Active dimensions and points per prompt at training step `step` (0-based).
    public func stage(at step: Int) -> (dimensions: Int, points: Int) {
        let increments = step / interval
        return (min(finalDimensions, startDimensions + increments * dimensionIncrement),
                min(finalPoints, startPoints + increments * pointIncrement))
    }
}
