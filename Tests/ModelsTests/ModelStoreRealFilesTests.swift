import Foundation
import Testing
import TestSupport
@testable import Models

/// The real model files (fetched by `.ci/run`) carry the catalog's hashes.
@Suite struct ModelStoreRealFilesTests {
    @Test(arguments: ["smollm2-135m", "gemma3-270m"])
    func realModelFileIsVerified(name: String) throws {
        let store = ModelStore(directory: SharedPaths.models, source: NoWheelSource())
        let spec = try ModelCatalog.standard.spec(named: name)
        let state = try store.state(of: name)
        guard case let .verified(size) = state else {
            Issue.record("\(store.path(of: spec).path): \(state); fetch it with `bench models fetch \(name)`")
            return
        }
        #expect(size > 90_000_000)
        #expect(store.path(of: spec) == (name == "gemma3-270m" ? SharedPaths.gemma3 : SharedPaths.smolLM2))
    }
}
