// Shape legend: T tasks, R rows of one task's block, C columns, P rows of the parameter.

/// The one training loop of the methods that learn a few numbers per task with the model frozen
/// (SITE's mixing logits, LTV's head weights, and both on the regression transformer).
///
/// One parameter (P, C) holds every task's block of rows; Adam updates it as a whole from one
/// gradient per step. Validation runs before the first step (step 0), after every
/// `validateEvery` steps and after the last. For each task the loop keeps the block of lowest
/// validation loss (`isImprovement`): the reference SITE code meant to do this and never
/// updated its best loss, so it kept the last step.
///
/// Tasks stay independent when the caller's gradient of a task's block depends on that task's
/// rows only: Adam acts element-wise, so each block then moves as it would if trained alone.
/// Tasks may also share a block (SITE's task-agnostic variant): each still keeps the shared
/// block at its own best step.
public enum KeepBestTraining {
    /// When validation runs.
    public struct Schedule: Sendable, Equatable {
        /// Adam steps (≥ 0).
        public let steps: Int
        /// Steps between validations (≥ 1).
        public let validateEvery: Int
        /// Early stopping: training ends after this many validations in a row improved no task's
        /// best; nil runs every step.
        public let patience: Int?

        /// - Precondition: `steps` ≥ 0, `validateEvery` ≥ 1 and `patience` ≥ 1 when given
        ///   (methods validate their settings first).
        public init(steps: Int, validateEvery: Int, patience: Int? = nil) {
            precondition(steps >= 0 && validateEvery >= 1 && (patience ?? 1) >= 1,
                         "Schedule: steps \(steps), validate every \(validateEvery), patience \(String(describing: patience))")
            self.steps = steps
            self.validateEvery = validateEvery
            self.patience = patience
        }

        /// Whether validation runs after `step` steps: 0, every multiple of `validateEvery`, and the last.
        public func validates(after step: Int) -> Bool { step % validateEvery == 0 || step == steps }

        /// The steps after which validation runs, in order.
        public var validationSteps: [Int] { (0...steps).filter(validates(after:)) }
    }

    /// What training kept for one task.
    public struct TaskResult: Sendable {
        /// The task's block (R, C) at `bestStep`.
        public var best: Tensor
        /// The step of the lowest validation loss (the earliest of equal ones); 0 when no validation
        /// gave a number (the initial block is kept); `steps` for a task never validated (its
        /// final block is kept).
        public var bestStep: Int
        /// The validation loss at `bestStep`; nan when there is none.
        public var bestLoss: Float
        /// The task's block (R, C) after the last step.
        public var final: Tensor
        /// The steps at which the task was validated, and its loss there (nan allowed).
        public var validationSteps: [Int]
        public var validationLosses: [Float]
        /// The Adam steps taken: `steps`, or fewer when early stopping ended training.
        public var stepsRun = 0
    }

    /// Whether a validation loss replaces the best so far: strictly lower (the earliest of equal
    /// losses is kept), a nan (diverged) loss never, and any number replaces the initial nan.
    public static func isImprovement(_ loss: Float, over best: Float) -> Bool {
        !loss.isNaN && (best.isNaN || loss < best)
    }

    /// Trains `initial` with Adam and keeps every task's best block.
    ///
    /// - Parameters:
    ///   - initial: the parameter (P, C) before the first step.
    ///   - taskRows: per task, the rows of the parameter that are its block (R of them; blocks
    ///     may coincide).
    ///   - learningRate: Adam's (default betas and epsilon, as torch.optim.Adam).
    ///   - gradient: called once per step s = 1 ... steps with the parameter before the step;
    ///     returns the gradient of the step's loss, shaped like the parameter.
    ///   - validate: called at every validation step with the parameter then; returns one loss
    ///     per task, nil for a task without a validation set (the same tasks at every call).
    ///     What either closure throws ends training and is rethrown (a backend that failed).
    /// - Returns: one result per task, in order, and the parameter after the last step.
    /// - Precondition: every block lies within the parameter's rows; shapes as stated.
    public static func train(
        initial: Tensor, taskRows: [Range<Int>], learningRate: Float, schedule: Schedule,
        gradient: (_ step: Int, _ parameter: Tensor) throws -> Tensor,
        validate: (_ step: Int, _ parameter: Tensor) throws -> [Float?]
    ) rethrows -> (tasks: [TaskResult], final: Tensor) {
        precondition(initial.rank == 2, "KeepBestTraining: parameter \(initial.shape) is not (P, C)")
        precondition(taskRows.allSatisfy { $0.lowerBound >= 0 && $0.upperBound <= initial.shape[0] },
                     "KeepBestTraining: task rows \(taskRows) outside \(initial.shape[0]) rows")
        func block(_ parameter: Tensor, _ task: Int) -> Tensor { parameter.rows(taskRows[task]) }

        var parameters = [initial]
        var adam = Adam(learningRate: learningRate)
        var results = taskRows.indices.map { t in
            TaskResult(best: block(initial, t), bestStep: 0, bestLoss: .nan, final: block(initial, t),
                       validationSteps: [], validationLosses: [])
        }
        var validated: [Bool]? = nil
        var validationsWithoutImprovement = 0

        // Takes `validate` as its argument so that it can rethrow what `validate` throws.
        func runValidation(after step: Int, _ validate: (Int, Tensor) throws -> [Float?]) rethrows {
            let losses = try validate(step, parameters[0])
            precondition(losses.count == taskRows.count, "KeepBestTraining: \(losses.count) validation losses for \(taskRows.count) tasks")
            let present = losses.map { $0 != nil }
            precondition(validated == nil || validated == present, "KeepBestTraining: the validated tasks changed at step \(step)")
            validated = present
            var improved = false
            defer { validationsWithoutImprovement = improved ? 0 : validationsWithoutImprovement + 1 }
            for (t, loss) in losses.enumerated() {
                guard let loss else { continue }
                results[t].validationSteps.append(step)
                results[t].validationLosses.append(loss)
                if isImprovement(loss, over: results[t].bestLoss) {
                    results[t].best = block(parameters[0], t)
                    results[t].bestStep = step
                    results[t].bestLoss = loss
                    improved = true
                }
            }
        }

        try runValidation(after: 0, validate)
        var stepsRun = 0
        for step in stride(from: 1, through: schedule.steps, by: 1) {
            let g = try gradient(step, parameters[0])
            precondition(g.shape == initial.shape, "KeepBestTraining: gradient \(g.shape) for parameter \(initial.shape)")
            adam.update(&parameters, gradients: [g])
            stepsRun = step
            if schedule.validates(after: step) {
                try runValidation(after: step, validate)
                if let patience = schedule.patience, validationsWithoutImprovement >= patience { break }
            }
        }
        for t in results.indices {
            results[t].stepsRun = stepsRun
            results[t].final = block(parameters[0], t)
            if validated?[t] == false {
                results[t].best = results[t].final
                results[t].bestStep = stepsRun
            }
        }
        return (results, parameters[0])
    }
}

