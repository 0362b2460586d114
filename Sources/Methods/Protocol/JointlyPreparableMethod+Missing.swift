import Foundation

extension JointlyPreparableMethod {
    /// Prepares, and so stores in `cache`, the artifacts that `cache` lacks for `contexts` under
    /// this method's settings, `groupSize` tasks trained together at a time (every missing task at
    /// once when the method couples its tasks). A task already prepared is not trained again, so a
    /// stopped call resumes at its first unfinished group.
    /// - Parameters:
    ///   - starting: called with each group's task names before it is prepared.
    ///   - finished: called with each group's task names once its artifacts are stored, so that
    ///     work on them can begin (and be kept) before the next group trains.
    /// - Returns: the names of the tasks prepared, in `contexts`' order.
    /// - Throws: what `cache.contains` throws for an unreadable record, what `prepareJointly`
    ///   throws, and what `finished` throws.
    public func prepareMissing(
        _ contexts: [MethodContext], cache: ArtifactCache, groupSize: Int, starting: ([String]) -> Void = { _ in },
        finished: ([String]) throws -> Void = { _ in }
    ) throws -> [String] {
        let missing = try contexts.filter {
            try !cache.contains(model: $0.model.name, method: name, task: $0.task.name, settings: artifactSettings($0))
        }
        let size = couplesTasks ? max(1, missing.count) : max(1, groupSize)
        for start in stride(from: 0, to: missing.count, by: size) {
            let group = Array(missing[start..<min(missing.count, start + size)])
            starting(group.map(\.task.name))
            _ = try prepareJointly(group, cache: cache)
            try finished(group.map(\.task.name))
        }
        return missing.map(\.task.name)
    }
}
