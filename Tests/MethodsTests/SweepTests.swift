import Foundation
import Models
import Tasks
import Testing
import TestSupport
@testable import Methods

/// A prompt-only method that records what it was asked to prepare, and can be told to fail.
final class PreparationLog {
    var single = [String]()
    var joint = [[String]]()
}

struct Refusal: Error, CustomStringConvertible {
    var description: String
}

struct RecordingMethod: TaskMethod {
    var name: MethodName
    var log: PreparationLog
    var failingTask: String?

    /// Its one setting: its name.
    enum CodingKeys: CodingKey { case name }

    func prepare(_ context: MethodContext, cache: ArtifactCache?) throws -> any PreparedMethod {
        log.single.append(context.task.name)
        if context.task.name == failingTask { throw Refusal(description: "\(name) refuses \(context.task.name)") }
        return PromptOnlyMethod.zeroShot.prepareSynchronously()
    }
}

struct RecordingJointMethod: JointlyPreparableMethod {
    var name: MethodName
    var log: PreparationLog
    enum CodingKeys: CodingKey { case name }

    func prepare(_ context: MethodContext, cache: ArtifactCache?) throws -> any PreparedMethod {
        try prepareJointly([context], cache: cache)[0]
    }

    func prepareJointly(_ contexts: [MethodContext], cache: ArtifactCache?) throws -> [PromptOnlyMethod.Prepared] {
        log.joint.append(contexts.map(\.task.name))
        return contexts.map { _ in PromptOnlyMethod.Prepared(shots: 0) }
    }
}

extension PromptOnlyMethod {
    func prepareSynchronously() -> any PreparedMethod { Prepared(shots: shots) }
}

@Suite struct SweepTests {
    /// The tiny model over synthetic tasks read from their files.
    func sweep(_ methods: [any TaskMethod], tasks: [TextTask] = [SyntheticTasks.reverse, SyntheticTasks.upper, SyntheticTasks.first],
               maxItems: Int = 2) throws -> Sweep {
        Sweep(
            model: try TinyLlama.model, tasks: tasks, methods: methods, data: try SyntheticTasks.data.get(), seed: 3,
            evaluation: EvaluationOptions(scoring: .firstToken, maxItems: maxItems), cache: nil)
    }

    @Test func cellsAreKeyedByMethodSettingsSeedAndEvaluation() throws {
        let log = PreparationLog()
        let s = try sweep([RecordingMethod(name: .zeroShot, log: log), RecordingMethod(name: .icl(shots: 2), log: log)])
        let cells = s.cells
        #expect(cells.map(\.method) == [.zeroShot, .zeroShot, .zeroShot, .icl(shots: 2), .icl(shots: 2), .icl(shots: 2)])
        #expect(cells.map(\.task) == ["reverse", "upper", "first-letter", "reverse", "upper", "first-letter"])
        #expect(cells.allSatisfy { $0.model == "tiny-llama" && $0.seed == 3 && $0.settingsHash.count == 12 })
        #expect(cells[0].settings == "name=zero-shot")
        #expect(cells[0].settingsHash == cells[1].settingsHash && cells[0].settingsHash != cells[3].settingsHash)
        var other = try sweep([RecordingMethod(name: .zeroShot, log: log)], maxItems: 3)
        #expect(other.cells[0].settingsHash != cells[0].settingsHash, "the test-item cap is part of the cell")
        other.evaluation.maxItems = 2
        other.seed = 4
        #expect(other.cells[0].settingsHash != cells[0].settingsHash, "the seed is part of the cell")
    }

    @Test func skippedCellsAreNotPreparedAndTheRestKeepTheirOrder() throws {
        let log = PreparationLog()
        let s = try sweep([RecordingMethod(name: .zeroShot, log: log), RecordingJointMethod(name: .site, log: log), RecordingMethod(name: .taskVectors, log: log)])
        // Every zero-shot cell, and site's first task, are already done.
        let done = Set(s.cells.filter { $0.method == .zeroShot || ($0.method == .site && $0.task == "reverse") })
        var events = [String]()
        let records = try s.run(skip: { done.contains($0) }) { event in
            switch event {
            case .preparing(let method, let tasks): events.append("prepare \(method) \(tasks.joined(separator: "+"))")
            case .evaluating(let cell): events.append("evaluate \(cell.method) \(cell.task)")
            case .finished(let r): events.append("finished \(r.method) \(r.task)")
            case .skipped(let cell): events.append("skip \(cell.method) \(cell.task)")
            case .takenElsewhere(let cell): events.append("elsewhere \(cell.method) \(cell.task)")
            case .failed(let cell, let phase, _): events.append("failed \(cell.method) \(cell.task) \(phase)")
            }
        }
        #expect(log.single == ["reverse", "upper", "first-letter"], "only task-vectors prepares task by task; zero-shot is not prepared")
        #expect(log.joint == [["upper", "first-letter"]], "site prepares its unfinished tasks only")
        #expect(records.map { "\($0.method) \($0.task)" } == [
            "site upper", "site first-letter", "task-vectors reverse", "task-vectors upper", "task-vectors first-letter",
        ])
        #expect(events.prefix(6) == [
            "skip zero-shot reverse", "skip zero-shot upper", "skip zero-shot first-letter", "skip site reverse",
            "prepare site upper+first-letter", "evaluate site upper",
        ])
        #expect(records.allSatisfy { $0.items == 2 && $0.maxItems == 2 && $0.shots == 0 && $0.correct <= 2 && $0.seed == 3 })
        #expect(records[0].correct == Int((records[0].accuracy * 2).rounded()))
    }

    @Test func aFailingCellIsReportedAndTheSweepGoesOn() throws {
        let log = PreparationLog()
        let s = try sweep([RecordingMethod(name: .ltv, log: log, failingTask: "upper")], tasks: [SyntheticTasks.reverse, SyntheticTasks.upper, SyntheticTasks.first])
        var failed = [(String, SweepPhase, String)]()
        let records = try s.run(skip: { _ in false }) { event in
            if case .failed(let cell, let phase, let error) = event { failed.append((cell.task, phase, "\(error)")) }
        }
        #expect(records.map(\.task) == ["reverse", "first-letter"])
        #expect(failed.count == 1 && failed[0].0 == "upper" && failed[0].1 == .preparation && failed[0].2.contains("refuses upper"))
        // Without a skip predicate the failure is thrown, as before.
        #expect(throws: Refusal.self) { try s.run() }
    }

    @Test func aTaskWhoseFilesAreMissingFailsOnlyItsCells() throws {
        let log = PreparationLog()
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("no-data-\(UUID().uuidString)")
        var s = try sweep([RecordingMethod(name: .zeroShot, log: log)], tasks: [SyntheticTasks.reverse])
        s.data = DataDirectory(root: empty)
        var phases = [SweepPhase]()
        let records = try s.run(skip: { _ in false }) { event in
            if case .failed(_, let phase, _) = event { phases.append(phase) }
        }
        #expect(records.isEmpty && phases == [.loading] && log.single.isEmpty)
    }
}

@Suite struct SweepGroupingTests {
    struct CouplingJointMethod: JointlyPreparableMethod {
        var name: MethodName
        var log: PreparationLog
        enum CodingKeys: CodingKey { case name }
        var couplesTasks: Bool { true }
        func prepare(_ context: MethodContext, cache: ArtifactCache?) throws -> any PreparedMethod {
            try prepareJointly([context], cache: cache)[0]
        }
        func prepareJointly(_ contexts: [MethodContext], cache: ArtifactCache?) throws -> [PromptOnlyMethod.Prepared] {
            log.joint.append(contexts.map(\.task.name))
            return contexts.map { _ in PromptOnlyMethod.Prepared(shots: 0) }
        }
    }

    @Test func jointPreparationGoesInGroupsUnlessTheMethodCouplesTasks() throws {
        let tasks = SyntheticTasks.all.map(\.name)
        let log = PreparationLog()
        var s = Sweep(
            model: try TinyLlama.model, tasks: SyntheticTasks.all,
            methods: [RecordingJointMethod(name: .site, log: log), CouplingJointMethod(name: .taskVectors, log: log)],
            data: try SyntheticTasks.data.get(), seed: 0, evaluation: EvaluationOptions(scoring: .firstToken, maxItems: 1), cache: nil)
        s.jointGroupSize = 2
        var order = [String]()
        let records = try s.run(skip: { _ in false }) { event in
            switch event {
            case .preparing(let method, let names): order.append("prepare \(method) \(names.count)")
            case .finished(let r): order.append("done \(r.method) \(r.task)")
            default: break
            }
        }
        #expect(log.joint == [["reverse", "upper"], ["first-letter", "last-letter"], ["copy"], tasks])
        // Each group is evaluated before the next is prepared (its memory is released first).
        #expect(Array(order.prefix(4)) == ["prepare site 2", "done site reverse", "done site upper", "prepare site 2"])
        #expect(records.map(\.task) == tasks + tasks)
    }
}

/// Under exact match the methods that answer the 0-shot prompt run as one step, task by task,
/// sharing each prompt's prefill; their records equal those of running each method alone.
@Suite struct SharedPrefillSweepTests {
    func sweep(_ methods: [any TaskMethod], log: PreparationLog? = nil) throws -> Sweep {
        var s = Sweep(
            model: try TinyLlama.model, tasks: [SyntheticTasks.reverse, SyntheticTasks.upper, SyntheticTasks.first],
            methods: methods, data: try SyntheticTasks.data.get(), seed: 3,
            evaluation: EvaluationOptions(scoring: .exactMatch, maxItems: 5, batchSize: 3), cache: nil)
        s.jointGroupSize = 2
        return s
    }

    @Test func zeroShotPromptMethodsFormOneStepAtTheFirstOnesPlace() throws {
        let log = PreparationLog()
        let s = try sweep([
            RecordingMethod(name: .icl(shots: 2), log: log), RecordingMethod(name: .zeroShot, log: log),
            RecordingJointMethod(name: .site, log: log), RecordingMethod(name: .icl(shots: 1), log: log),
            RecordingMethod(name: .taskVectors, log: log),
        ])
        #expect(s.steps.map { $0.map(\.name) } == [[.icl(shots: 2)], [.zeroShot, .site, .taskVectors], [.icl(shots: 1)]])
        var first = s
        first.evaluation.scoring = .firstToken
        #expect(first.steps.count == 5, "first-token scoring shares nothing, so every method is its own step")
    }

    @Test func aSharedStepPreparesByTaskGroupAndEvaluatesTaskByTask() throws {
        let log = PreparationLog()
        let s = try sweep([RecordingMethod(name: .zeroShot, log: log), RecordingJointMethod(name: .site, log: log),
                           RecordingMethod(name: .taskVectors, log: log, failingTask: "upper")])
        var events = [String]()
        let records = try s.run(skip: { $0.method == .zeroShot && $0.task == "reverse" }) { event in
            switch event {
            case .preparing(let method, let tasks): events.append("prepare \(method) \(tasks.joined(separator: "+"))")
            case .evaluating(let cell): events.append("evaluate \(cell.method) \(cell.task)")
            case .finished(let r): events.append("finished \(r.method) \(r.task)")
            case .skipped(let cell): events.append("skip \(cell.method) \(cell.task)")
            case .takenElsewhere(let cell): events.append("elsewhere \(cell.method) \(cell.task)")
            case .failed(let cell, let phase, _): events.append("failed \(cell.method) \(cell.task) \(phase)")
            }
        }
        #expect(events == [
            "skip zero-shot reverse",
            "prepare zero-shot upper", "prepare site reverse+upper", "prepare task-vectors reverse", "prepare task-vectors upper", "failed task-vectors upper preparation",
            "evaluate site reverse", "evaluate task-vectors reverse", "finished site reverse", "finished task-vectors reverse",
            "evaluate zero-shot upper", "evaluate site upper", "finished zero-shot upper", "finished site upper",
            "prepare zero-shot first-letter", "prepare site first-letter", "prepare task-vectors first-letter",
            "evaluate zero-shot first-letter", "evaluate site first-letter", "evaluate task-vectors first-letter",
            "finished zero-shot first-letter", "finished site first-letter", "finished task-vectors first-letter",
        ])
        #expect(log.joint == [["reverse", "upper"], ["first-letter"]])
        #expect(records.count == 7)
    }

    /// `claim` is asked when a cell's task group comes up, not when the step begins: a cell refused
    /// then is reported taken elsewhere and neither prepared nor evaluated, and a step of methods
    /// prepared task by task (ICL, task vectors) goes one task at a time, so its cells are claimed
    /// one task at a time.
    @Test func claimsAreAskedGroupByGroup() throws {
        let log = PreparationLog()
        var s = try sweep([RecordingMethod(name: .taskVectors, log: log), RecordingJointMethod(name: .site, log: log)])
        s.jointGroupSize = 2
        s.evaluation.scoring = .firstToken  // each method its own step
        var events = [String]()
        // Another process takes task-vectors' last task, and site's second group, while this one
        // runs the first task.
        var othersTook = Set<String>()
        s.claim = { cell in
            events.append("claim \(cell.method) \(cell.task)")
            return !othersTook.contains("\(cell.method) \(cell.task)")
        }
        let records = try s.run(skip: { _ in false }) { event in
            switch event {
            case .preparing(let method, let tasks): events.append("prepare \(method) \(tasks.joined(separator: "+"))")
            case .finished(let r):
                events.append("finished \(r.method) \(r.task)")
                if r.method == .taskVectors && r.task == "reverse" { othersTook = ["task-vectors first-letter", "site first-letter"] }
            case .takenElsewhere(let cell): events.append("elsewhere \(cell.method) \(cell.task)")
            case .evaluating, .skipped, .failed: break
            }
        }
        #expect(events == [
            "claim task-vectors reverse", "prepare task-vectors reverse", "finished task-vectors reverse",
            "claim task-vectors upper", "prepare task-vectors upper", "finished task-vectors upper",
            "claim task-vectors first-letter", "elsewhere task-vectors first-letter",
            "claim site reverse", "claim site upper", "prepare site reverse+upper", "finished site reverse", "finished site upper",
            "claim site first-letter", "elsewhere site first-letter",
        ])
        #expect(records.map { "\($0.method) \($0.task)" } == ["task-vectors reverse", "task-vectors upper", "site reverse", "site upper"])
    }

    /// In a step of several methods a group's cells are claimed, every method's, before any of
    /// them is prepared: another process cannot take one method's cells of a group mid-way.
    @Test func aGroupIsClaimedWholeBeforeItsPreparation() throws {
        let log = PreparationLog()
        var s = try sweep([RecordingMethod(name: .taskVectors, log: log), RecordingJointMethod(name: .site, log: log)])
        s.jointGroupSize = 2
        s.evaluation.scoring = .exactMatch  // one shared step
        var events = [String]()
        s.claim = { cell in
            events.append("claim \(cell.method) \(cell.task)")
            return true
        }
        _ = try s.run(skip: { _ in false }) { event in
            if case .preparing(let method, let tasks) = event { events.append("prepare \(method) \(tasks.joined(separator: "+"))") }
        }
        #expect(Array(events.prefix(6)) == [
            "claim task-vectors reverse", "claim task-vectors upper", "claim site reverse", "claim site upper",
            "prepare task-vectors reverse", "prepare task-vectors upper",
        ])
        #expect(events.suffix(4) == ["claim task-vectors first-letter", "claim site first-letter", "prepare task-vectors first-letter",
                                     "prepare site first-letter"])
    }

    /// Real preparations (SITE, zero-shot): the shared step's accuracies and answers equal each
    /// method's sweep alone, and its prompt tokens count the shared prefix once.
    @Test func sharedRecordsEqualEachMethodAlone() throws {
        let methods: [any TaskMethod] = [PromptOnlyMethod.zeroShot, SoftInjectionMethod(settings: smallSITESettings(steps: 2))]
        let together = try sweep(methods).run()
        let alone = try methods.flatMap { try sweep([$0]).run() }
        #expect(together.count == 6 && alone.count == 6)
        for record in together {
            let single = try #require(alone.first { $0.method == record.method && $0.task == record.task })
            #expect(record.correct == single.correct && record.items == single.items && record.settingsHash == single.settingsHash)
            #expect(record.testPromptTokens < single.testPromptTokens, "\(record.method) \(record.task): the prefix is shared by two")
            // CPU seconds recorded for both phases, a shared pass's split between its methods.
            #expect(try #require(record.testCPUSeconds) > 0 && record.preparationCPUSeconds ?? -1 >= 0)
        }
    }
}
