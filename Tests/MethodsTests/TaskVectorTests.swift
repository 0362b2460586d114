import Testing
@testable import Methods

@Test func bestLayerPrefersTheEarlierLayerOnTies() {
    #expect(TaskVectorMethod.bestLayer([0.1, 0.5, 0.2, 0.5]) == 1)
}
