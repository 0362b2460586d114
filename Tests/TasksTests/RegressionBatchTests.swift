import Testing
@testable import Tasks

@Suite struct RegressionBatchTests {
    @Test func promptTensorInterleavesWithQueryLast() {
        // B = 2, N = 3, d = 2.
        let xs: [Float] = (0..<12).map { Float($0) }
        let batch = RegressionBatch(batchSize: 2, points: 3, dimension: 2, xs: xs, ys: [100, 101, 102, 200, 201, 202])
        let prompt = batch.promptTensor()
        #expect(prompt.shape == [2, 5, 2])
        #expect(prompt.scalars == [
            0, 1, 100, 0, 2, 3, 101, 0, 4, 5,
            6, 7, 200, 0, 8, 9, 201, 0, 10, 11,
        ])
        let training = batch.trainingTensor()
        #expect(training.shape == [2, 6, 2])
        #expect(Array(training.scalars[8..<12]) == [4, 5, 102, 0])
    }

    @Test func sampledBatchLayoutForATransformer() throws {
        let d = 5, n = 11
        let batch = RegressionSampler(setup: try RegressionSetup(functionClass: .reluNetwork, dimension: d, points: n), seed: 1)
            .batch(size: 3, index: 0)
        let prompt = batch.promptTensor()
        #expect(prompt.shape == [3, 2 * n - 1, d])
        for b in 0..<3 {
            for point in 0..<n {
                let xRow = Array(prompt.scalars[((b * (2 * n - 1) + 2 * point) * d)..<((b * (2 * n - 1) + 2 * point + 1) * d)])
                #expect(xRow == Array(batch.x(prompt: b, point: point)))
                if point < n - 1 {
                    let yRow = Array(prompt.scalars[((b * (2 * n - 1) + 2 * point + 1) * d)..<((b * (2 * n - 1) + 2 * point + 2) * d)])
                    #expect(yRow == [batch.y(prompt: b, point: point)] + [Float](repeating: 0, count: d - 1))
                }
            }
        }
    }
}
