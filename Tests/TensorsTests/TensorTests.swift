import Testing
@testable import Tensors

@Suite struct TensorTests {
    @Test func initialisersAndShape() {
        let t = Tensor(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5])
        #expect(t.count == 6 && t.rank == 2)
        #expect(Tensor(shape: [2, 2], repeating: 3).scalars == [3, 3, 3, 3])
        #expect(Tensor.zeros([3]).scalars == [0, 0, 0])
        #expect(Tensor.zeros([0, 4]).count == 0)
        #expect(Tensor(shape: [], scalars: [7]).count == 1)
    }

    @Test func reshapeAndRowsAreRowMajor() {
        let t = Tensor(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5])
        #expect(t.row(1) == [3, 4, 5])
        let r = t.reshaped([3, 2])
        #expect(r.shape == [3, 2] && r.row(2) == [4, 5])
        #expect(Tensor(shape: [2, 2, 2], scalars: (0..<8).map(Float.init)).row(1) == [4, 5, 6, 7])
    }

    @Test func inPlaceAddSumNormAndMap() {
        var a = Tensor(shape: [3], scalars: [1, 2, 3])
        a.add(Tensor(shape: [3], scalars: [1, 1, 1]), scaledBy: -2)
        #expect(a.scalars == [-1, 0, 1])
        a.add(Tensor(shape: [3], scalars: [3, 4, 0]))
        #expect(a.scalars == [2, 4, 1])
        #expect(a.sum() == 7)
        #expect(Tensor(shape: [2], scalars: [3, 4]).norm() == 5)
        #expect(a.map { $0 * $0 }.scalars == [4, 16, 1])
    }

    @Test func sumAccumulatesInDouble() {
        // In Float, 1e8 + 1 rounds back to 1e8 (its ulp is 8), so a Float sum would give 0.
        #expect(Tensor(shape: [3], scalars: [1e8, 1, -1e8]).sum() == 1)
    }
}
