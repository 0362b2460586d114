import Foundation
import Models
import Tasks
import Tensors

/// One (model, task, method) result. Its coding keys are the columns of a result file
/// (results/runs/<model>.csv), in file order.
public struct RunRecord: Sendable, Codable, Equatable {
    public var model: String
    public var task: String
    public var method: MethodName
    public var seed: UInt64
    public var settingsHash: String
    /// Canonical "k=v;k=v" rendering of the method's settings (without the seed).
    public var settings: String
    public var scoring: ScoringMode
    /// Demonstrations in each test prompt.
    public var shots: Int
    /// The test-item cap of the evaluation, nil for all.
    public var maxItems: Int?
    public var accuracy: Double
    public var correct: Int
    public var items: Int
    public var preparationSeconds: Double
    public var preparationTokens: Int
    public var preparedFromCache: Bool
    public var testSeconds: Double
    public var testPromptTokens: Int
    /// CPU seconds of the process for the preparation (a jointly prepared task's share) and for
    /// the test pass (its share, when methods shared one): the work itself, whatever the load
    /// (`CostClock`). Nil in rows stored before they were recorded.
    public var preparationCPUSeconds: Double?
    public var testCPUSeconds: Double?
    /// Every evaluated item's outcome, in test order (not a column: `bench run --answers` writes
    /// them to a file of their own).
    public var outcomes: [ItemOutcome] = []

    public init(
        model: String, task: String, method: MethodName, seed: UInt64, settingsHash: String, settings: String, scoring: ScoringMode,
        shots: Int, maxItems: Int?, accuracy: Double, correct: Int, items: Int, preparationSeconds: Double, preparationTokens: Int,
        preparedFromCache: Bool, testSeconds: Double, testPromptTokens: Int, preparationCPUSeconds: Double? = nil,
        testCPUSeconds: Double? = nil, outcomes: [ItemOutcome] = []
    ) {
        self.model = model
        self.task = task
        self.method = method
        self.seed = seed
        self.settingsHash = settingsHash
        self.settings = settings
        self.scoring = scoring
        self.shots = shots
        self.maxItems = maxItems
        self.accuracy = accuracy
        self.correct = correct
        self.items = items
        self.preparationSeconds = preparationSeconds
        self.preparationTokens = preparationTokens
        self.preparedFromCache = preparedFromCache
        self.testSeconds = testSeconds
        self.testPromptTokens = testPromptTokens
        self.preparationCPUSeconds = preparationCPUSeconds
        self.testCPUSeconds = testCPUSeconds
        self.outcomes = outcomes
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case model, task, method, seed
        case settingsHash = "settings_hash"
        case settings, scoring, shots
        case maxItems = "max_items"
        case accuracy, correct, items
        case preparationSeconds = "prep_seconds"
        case preparationTokens = "prep_tokens"
        case preparedFromCache = "prep_cached"
        case testSeconds = "test_seconds"
        case testPromptTokens = "test_prompt_tokens"
        case preparationCPUSeconds = "prep_cpu_seconds"
        case testCPUSeconds = "test_cpu_seconds"
    }

    /// The columns added after result files were written without them (`CSVRow.addedColumns`).
    public static let addedColumns: Set<String> = [CodingKeys.preparationCPUSeconds.stringValue, CodingKeys.testCPUSeconds.stringValue]
}

/// A (task, method) cell of a sweep, named as its result row will be.
public struct SweepCell: Hashable, Sendable {
    public var model: String
    public var task: String
    public var method: MethodName
    public var seed: UInt64
    /// First 12 hex digits of the SHA-256 of the method settings, the seed, the scoring and the
    /// test-item cap: a cell evaluated differently is a different cell.
    public var settingsHash: String
    public var settings: String

    public init(model: String, task: String, method: MethodName, seed: UInt64, settingsHash: String, settings: String) {
        self.model = model
        self.task = task
        self.method = method
        self.seed = seed
        self.settingsHash = settingsHash
        self.settings = settings
    }

    /// The hash of a cell whose method has `settings`, run with `seed`, scored by `scoring` on
    /// at most `maxItems` test items (nil: all).
    public static func settingsHash(_ settings: SettingsText, seed: UInt64, scoring: ScoringMode, maxItems: Int?) -> String {
        var keyed = settings
        keyed["seed"] = "\(seed)"
        keyed["scoring"] = scoring.rawValue
        keyed["max_items"] = maxItems.map { "\($0)" } ?? "all"
        return String(keyed.hash.prefix(12))
    }
}

/// What a sweep tells its observer, in sweep order.
public enum SweepEvent {
    /// Preparation of `method` starts for these tasks (all together for a jointly prepared method).
    case preparing(method: MethodName, tasks: [String])
    /// Evaluation of a cell starts.
    case evaluating(SweepCell)
    case finished(RunRecord)
    /// The cell was skipped because the caller already has it.
    case skipped(SweepCell)
    /// The cell was left out when its task group came up because `Sweep.claim` refused it:
    /// another process runs it, or has stored it since this sweep began.
    case takenElsewhere(SweepCell)
    /// The cell could not be run (its files, its preparation or its evaluation threw); the sweep
    /// goes on with the next one.
    case failed(SweepCell, phase: SweepPhase, error: any Error)
}

/// Runs methods over tasks on one model: prepares each (SITE and LTV for groups of tasks together),
/// then evaluates the test items. The order is fixed (`steps`: methods in the given order, the
/// 0-shot-prompt methods as one step; tasks in the given order within a step), so a rerun that
/// skips finished cells reports the rest in the order an uninterrupted run would.
public struct Sweep {
    /// Tokenizes prompts and names results.
    public var model: LanguageModel
    /// Runs the model: the native engine unless another backend is given.
    public var backend: (any ModelBackend)?
    public var tasks: [TextTask]
    public var methods: [any TaskMethod]
    public var data: DataDirectory
    public var seed: UInt64
    public var evaluation: EvaluationOptions
    public var cache: ArtifactCache?
    /// Tasks a jointly prepared method trains together at most. Joint training keeps every
    /// task's prefilled train and valid prompts in memory (SITE on SmolLM2: ~46 KB of KV cache per
    /// token, ~18 GB for all 57 tasks at once), so larger sweeps go in groups; each task's result
    /// is the same in any group (joint training equals training alone). Methods that couple the
    /// tasks (one α for all, `couplesTasks`) always train every pending task together.
    public var jointGroupSize = Sweep.defaultJointGroupSize
    public static let defaultJointGroupSize = 8
    /// Where each cell's test pass keeps its finished parts, so that a cell cut short resumes
    /// from them (`EvaluationJournal`); nil for none.
    public var journal: (SweepCell) -> (any EvaluationJournal)? = { _ in nil }
    /// Asked for each cell still to run when its task group comes up, before anything of the
    /// group is prepared: false leaves the cell to someone else (`SweepEvent.takenElsewhere`).
    /// Several processes sweeping the same tasks share the cells out this way, group by group.
    public var claim: (SweepCell) throws -> Bool = { _ in true }

    public init(model: LanguageModel, tasks: [TextTask], methods: [any TaskMethod], data: DataDirectory,
                seed: UInt64, evaluation: EvaluationOptions, cache: ArtifactCache?) {
        self.model = model
        self.tasks = tasks
        self.methods = methods
        self.data = data
        self.seed = seed
        self.evaluation = evaluation
        self.cache = cache
    }

    /// The cell of `task` under `method`.
    public func cell(task: TextTask, method: any TaskMethod) -> SweepCell {
        // The backend's settings are empty on the native engine in float32, so its cells keep
        // their hashes; another backend or compute precision names itself in the hash and in the
        // row's settings, so its rows never resume into these.
        let settings = method.settings.merging((backend ?? NativeBackend(model: model)).settings)
        return SweepCell(
            model: model.name, task: task.name, method: method.name, seed: seed,
            settingsHash: SweepCell.settingsHash(settings, seed: seed, scoring: evaluation.scoring, maxItems: evaluation.maxItems),
            settings: settings.canonical)
    }

    /// Every cell, method by method (a step of several methods reports its cells task by task).
    public var cells: [SweepCell] { methods.flatMap { method in tasks.map { cell(task: $0, method: method) } } }

    /// Runs every cell that `skip` does not reject; a failing cell is reported and the sweep goes
    /// on. A method whose cells are all skipped is not prepared; a jointly prepared method is
    /// prepared for its unskipped tasks only. The methods that answer the 0-shot prompt run as
    /// one step (`steps`): prepared task group by task group, then evaluated task by task
    /// together, each test prompt prefilled once for all of them.
    /// - Returns: the finished records.
    /// - Throws: only what `report` throws (e.g. a result that could not be stored).
    public func run(skip: (SweepCell) -> Bool, report: (SweepEvent) throws -> Void) throws -> [RunRecord] {
        var splits = [String: Result<TaskSplits, Error>]()
        func loadedSplits(_ task: TextTask) -> Result<TaskSplits, Error> {
            if let s = splits[task.name] { return s }
            let s = Result { try task.loadSplits(from: data) }
            splits[task.name] = s
            return s
        }
        var records = [RunRecord]()
        let backend = self.backend ?? NativeBackend(model: model)
        let evaluator = Evaluator(model: model, backend: backend)
        for step in steps {
            // Each method's cells still to run, in task order.
            var pending = [[PendingCell]]()
            for method in step {
                var mine = [PendingCell]()
                for task in tasks {
                    let cell = cell(task: task, method: method)
                    if skip(cell) {
                        try report(.skipped(cell))
                        continue
                    }
                    switch loadedSplits(task) {
                    case .success(let s):
                        mine.append(PendingCell(task: task, cell: cell, splits: s, context: MethodContext(
                            model: model, task: task, train: s.train, valid: s.valid, seed: seed, backend: backend)))
                    case .failure(let error): try report(.failed(cell, phase: .loading, error: error))
                    }
                }
                pending.append(mine)
            }
            // Task groups: jointly prepared methods train a group's tasks together, and the memory
            // of one group's preparation is released before the next. Other steps go task by task,
            // so that `claim` shares their cells out one task at a time.
            let couples = step.contains { ($0 as? any JointlyPreparableMethod)?.couplesTasks ?? false }
            let stepTasks = tasks.filter { task in pending.contains { $0.contains { $0.task.name == task.name } } }
            let isJoint = step.contains { $0 is any JointlyPreparableMethod }
            let groupSize = couples ? max(1, stepTasks.count) : isJoint ? max(1, jointGroupSize) : 1
            for groupStart in stride(from: 0, to: stepTasks.count, by: groupSize) {
                let group = Set(stepTasks[groupStart..<min(stepTasks.count, groupStart + groupSize)].map(\.name))
                // Prepared methods by task, in the step's method order.
                // The group's cells are claimed, every method's, before any is prepared.
                let claimed = try pending.map { cells in
                    try cells.filter { entry in
                        guard group.contains(entry.task.name) else { return false }
                        if try claim(entry.cell) { return true }
                        try report(.takenElsewhere(entry.cell))
                        return false
                    }
                }
                var ready = [String: [(entry: PendingCell, method: any PreparedMethod, cpuSeconds: Double)]]()
                for (m, method) in step.enumerated() {
                    let entries = claimed[m]
                    if entries.isEmpty { continue }
                    for (entry, (prepared, cpuSeconds)) in zip(entries, try prepare(method, entries: entries, report: report)) {
                        switch prepared {
                        case .success(let p): ready[entry.task.name, default: []].append((entry, p, cpuSeconds))
                        case .failure(let error): try report(.failed(entry.cell, phase: .preparation, error: error))
                        }
                    }
                }
                for task in stepTasks where group.contains(task.name) {
                    guard let methods = ready[task.name] else { continue }
                    try records += evaluate(methods, evaluator: evaluator, report: report)
                }
            }
        }
        return records
    }

    /// The order the sweep runs the methods in: the given order, except that the methods answering
    /// the 0-shot prompt (all but ICL) form one step at the place of the first of them, since
    /// under exact match they share each test prompt's prefill.
    public var steps: [[any TaskMethod]] {
        guard evaluation.scoring == .exactMatch else { return methods.map { [$0] } }
        var steps = [[any TaskMethod]]()
        var shared: Int?
        for method in methods {
            if method.name.promptShots == 0 {
                if let shared { steps[shared].append(method); continue }
                shared = steps.count
            }
            steps.append([method])
        }
        return steps
    }

    /// A cell to run, with its task's splits and the context its method prepares in.
    struct PendingCell {
        var task: TextTask
        var cell: SweepCell
        var splits: TaskSplits
        var context: MethodContext
    }

    /// Prepares `method` for `entries` (jointly when it can be), reporting the start of each
    /// preparation, with the CPU seconds each took (a joint preparation's split evenly).
    private func prepare(
        _ method: any TaskMethod, entries: [PendingCell], report: (SweepEvent) throws -> Void
    ) throws -> [(Result<any PreparedMethod, Error>, cpuSeconds: Double)] {
        if let joint = method as? any JointlyPreparableMethod {
            try report(.preparing(method: method.name, tasks: entries.map(\.task.name)))
            let clock = CostClock()
            let prepared: [Result<any PreparedMethod, Error>]
            do {
                prepared = try joint.prepareJointly(entries.map(\.context), cache: cache).map { .success($0) }
            } catch {
                prepared = Array(repeating: .failure(error), count: entries.count)
            }
            let share = clock.cpuSeconds / Double(entries.count)
            return prepared.map { ($0, share) }
        }
        return try entries.map { entry in
            try report(.preparing(method: method.name, tasks: [entry.task.name]))
            let clock = CostClock()
            let prepared = Result { try method.prepare(entry.context, cache: cache) }
            return (prepared, clock.cpuSeconds)
        }
    }

    /// Evaluates one task's prepared methods together (`Evaluator.evaluate` of several methods)
    /// and reports a record per method, in order.
    private func evaluate(
        _ methods: [(entry: PendingCell, method: any PreparedMethod, cpuSeconds: Double)], evaluator: Evaluator,
        report: (SweepEvent) throws -> Void
    ) throws -> [RunRecord] {
        guard let first = methods.first else { return [] }
        for (entry, _, _) in methods { try report(.evaluating(entry.cell)) }
        var options = evaluation
        options.seed = seed
        let results: [TaskEvaluation]
        do {
            results = try evaluator.evaluate(
                methods.map(\.method), task: first.entry.task, items: first.entry.splits.test, train: first.entry.splits.train,
                options: options, journals: methods.map { journal($0.entry.cell) })
        } catch {
            for (entry, _, _) in methods { try report(.failed(entry.cell, phase: .evaluation, error: error)) }
            return []
        }
        var records = [RunRecord]()
        for ((entry, prepared, preparationCPU), result) in zip(methods, results) {
            let record = RunRecord(
                model: entry.cell.model, task: entry.cell.task, method: entry.cell.method, seed: seed,
                settingsHash: entry.cell.settingsHash, settings: entry.cell.settings, scoring: options.scoring,
                shots: prepared.shots, maxItems: options.maxItems,
                accuracy: result.accuracy, correct: result.correct, items: result.count,
                preparationSeconds: prepared.preparation.seconds,
                preparationTokens: prepared.preparation.tokensProcessed,
                preparedFromCache: prepared.preparation.fromCache,
                testSeconds: result.seconds, testPromptTokens: result.promptTokens,
                preparationCPUSeconds: preparationCPU, testCPUSeconds: result.cpuSeconds, outcomes: result.outcomes)
            try report(.finished(record))
            records.append(record)
        }
        return records
    }

    /// Runs every cell; the first failure is thrown.
    /// - Parameter progress: told about each finished record.
    public func run(progress: (RunRecord) -> Void = { _ in }) throws -> [RunRecord] {
        try run(skip: { _ in false }) { event in
            switch event {
            case .finished(let record): progress(record)
            case .failed(_, _, let error): throw error
            case .preparing, .evaluating, .skipped, .takenElsewhere: break
            }
        }
    }
}

/// Where a cell failed.
public enum SweepPhase: String, Sendable {
    /// Reading the task's files.
    case loading
    case preparation
    case evaluation
}
