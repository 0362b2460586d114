import Testing
@testable import Tasks

@Suite struct RegressionBaselineTests {
    @Test func choleskySolvesAndRejectsIndefinite() throws {
        // A = [[4, 2], [2, 3]], b = [2, 1] → x = [0.5, 0].
        let x = try #require(DenseSolver.solveSymmetricPositiveDefinite([4, 2, 2, 3], [2, 1]))
        #expect(abs(x[0] - 0.5) < 1e-14 && abs(x[1]) < 1e-14)
        // 3x3 with a known solution.
        let a: [Double] = [25, 15, -5, 15, 18, 0, -5, 0, 11]
        let solution: [Double] = [1, -2, 3]
        let b = (0..<3).map { r in (0..<3).reduce(0.0) { $0 + a[r * 3 + $1] * solution[$1] } }
        let solved = try #require(DenseSolver.solveSymmetricPositiveDefinite(a, b))
        for i in 0..<3 { #expect(abs(solved[i] - solution[i]) < 1e-12) }
        #expect(DenseSolver.solveSymmetricPositiveDefinite([1, 2, 2, 1], [1, 1]) == nil)
        #expect(DenseSolver.solveSymmetricPositiveDefinite([0, 0, 0, 0], [1, 1]) == nil)
    }

    @Test func minimumNormSolutionInterpolatesWithLeastNorm() {
        // One equation in two unknowns: x0 + x1 = 2 → least-norm w = (1, 1).
        let w = DenseSolver.minimumNormLeastSquares(x: [1, 1], y: [2], dimension: 2)
        #expect(abs(w[0] - 1) < 1e-8 && abs(w[1] - 1) < 1e-8)
        // Overdetermined, inconsistent: fit y = w x to (1, 1), (2, 3) → w = 7/5.
        let fit = DenseSolver.minimumNormLeastSquares(x: [1, 2], y: [1, 3], dimension: 1)
        #expect(abs(fit[0] - 1.4) < 1e-8)
        // Duplicate points (rank-deficient XᵀX) still solve, through the growing ridge.
        let duplicate = DenseSolver.minimumNormLeastSquares(x: [1, 1, 1, 1, 1, 1], y: [2, 2, 2], dimension: 2)
        #expect(abs(duplicate[0] - 1) < 1e-4 && abs(duplicate[1] - 1) < 1e-4)
    }

    @Test func leastSquaresIsExactOnNoiselessLinearWithEnoughPoints() throws {
        let d = 5, n = 12
        let batch = RegressionSampler(setup: try RegressionSetup(functionClass: .linear, dimension: d, points: n), seed: 4)
            .batch(size: 16, index: 0)
        let errors = RegressionMetric.squaredErrorByLength(of: LeastSquaresBaseline(), on: batch)
        #expect(errors.count == n)
        for k in d..<n { #expect(errors[k] < 1e-8, "k = \(k): \(errors[k])") }
        // With no context the prediction is 0, so the error is |f(x)|²/d, about 1 on average.
        #expect(errors[0] > 0.3 && errors[0] < 3)
        // Below d points the error falls roughly as 1 - k/d (projection onto the span).
        #expect(errors[1] > errors[d - 1])
    }

    @Test func underdeterminedLeastSquaresFitsTheContextExactly() throws {
        let d = 8
        let batch = RegressionSampler(setup: try RegressionSetup(functionClass: .linear, dimension: d, points: 4), seed: 5)
            .batch(size: 1, index: 0)
        let baseline = LeastSquaresBaseline()
        // Predicting a context point from the whole context returns its own y (interpolation).
        for point in 0..<4 {
            let prediction = baseline.predict(
                contextX: batch.xs[0..<(4 * d)], contextY: batch.ys[0..<4], query: batch.x(prompt: 0, point: point))
            #expect(abs(prediction - batch.ys[point]) < 1e-3)
        }
    }

    @Test func nearestNeighboursAveragesTheThreeClosest() {
        let baseline = NearestNeighboursBaseline()
        #expect(baseline.name == "3-nearest-neighbours")
        // 1-d points 0, 1, 2, 10, 11 with ys 1, 2, 3, 100, 200; query 0.9 → nearest 1, 0, 2.
        let xs: [Float] = [0, 1, 2, 10, 11], ys: [Float] = [1, 2, 3, 100, 200]
        #expect(baseline.predict(contextX: xs[...], contextY: ys[...], query: [0.9][...]) == 2)
        #expect(baseline.predict(contextX: xs[...], contextY: ys[...], query: [10.6][...]) == 101)
        #expect(baseline.predict(contextX: xs[0..<2], contextY: ys[0..<2], query: [5][...]) == 1.5)
        #expect(baseline.predict(contextX: [][...], contextY: [][...], query: [5][...]) == 0)
    }

    @Test func averagingIsTheMeanOfYTimesX() {
        let baseline = AveragingBaseline()
        // ŵ = ((1·[1,0]) + (2·[0,1]) + (3·[1,1])) / 3 = [4/3, 5/3]; query [3, 3] → 9.
        let xs: [Float] = [1, 0, 0, 1, 1, 1], ys: [Float] = [1, 2, 3]
        #expect(abs(baseline.predict(contextX: xs[...], contextY: ys[...], query: [3, 3][...]) - 9) < 1e-5)
        #expect(baseline.predict(contextX: [][...], contextY: [][...], query: [1, 1][...]) == 0)
    }

    @Test func averagingConvergesOnLinearAndBaselinesAreOrdered() throws {
        let d = 4, n = 41
        let batch = RegressionSampler(setup: try RegressionSetup(functionClass: .linear, dimension: d, points: n), seed: 6)
            .batch(size: 64, index: 0)
        let averaging = RegressionMetric.squaredErrorByLength(of: AveragingBaseline(), on: batch)
        let neighbours = RegressionMetric.squaredErrorByLength(of: NearestNeighboursBaseline(), on: batch)
        let leastSquares = RegressionMetric.squaredErrorByLength(of: LeastSquaresBaseline(), on: batch)
        // Averaging's error shrinks like (d + 1)/k; at k = 40 it is far below the 0-context error.
        #expect(averaging[40] < 0.4 * averaging[0])
        #expect(leastSquares[40] < 1e-8)
        #expect(neighbours[40] > leastSquares[40])
        #expect(averaging[40] > leastSquares[40])
    }

    @Test func metricIsSquaredErrorOverD() {
        let batch = RegressionBatch(batchSize: 2, points: 2, dimension: 4, xs: [Float](repeating: 0, count: 16), ys: [1, 2, 3, 4])
        let errors = RegressionMetric.squaredErrorByLength(predictions: [0, 0, 1, 2], batch: batch)
        // point 0: (1 + 4)/(2·4); point 1: (4 + 4)/(2·4).
        #expect(errors == [5.0 / 8, 1])
    }
}
