// Shape legend: T tasks, R rows of a task's block, C columns.
//
// The objective of these tests: task t's block x (R, C) is pulled by training towards a point a_t
// (gradient x − a_t) while its validation loss is the mean squared distance to another point
// b_t. Started at s_t with b_t between s_t and a_t, Adam (≈ lr per step, per element) first
// approaches b_t and then passes it, so the validation loss falls and rises again: the best
// step lies strictly inside the run.
import Testing
import TestSupport
@testable import Tensors

@Suite struct KeepBestTrainingTests {
    /// One task's pull (a), validation point (b) and start (s), each (R, C).
    struct Objective {
        var pull: Tensor
        var validationPoint: Tensor
        var start: Tensor

        /// Along a random direction u: s = b − 0.5 u, a = b + 2 u, so b lies between them.
        static func seeded(_ seed: UInt64, rows: Int = 2, columns: Int = 3) -> Objective {
            var rng = SplitMix64(seed: seed)
            let b = rng.normal([rows, columns]), u = rng.uniform([rows, columns], in: 0.5...1)
            return Objective(pull: zipped(b, u) { $0 + 2 * $1 }, validationPoint: b, start: zipped(b, u) { $0 - 0.5 * $1 })
        }

        func gradient(_ x: Tensor) -> Tensor { zipped(x, pull) { $0 - $1 } }
        func loss(_ x: Tensor) -> Float {
            zip(x.scalars, validationPoint.scalars).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Float(x.count)
        }
    }

    static func zipped(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        Tensor(shape: a.shape, scalars: zip(a.scalars, b.scalars).map(f))
    }

    /// Trains the objectives as tasks with one block each (R rows apiece, in order).
    static func train(_ objectives: [Objective], steps: Int, every: Int, lr: Float = 0.1)
        -> (run: (tasks: [KeepBestTraining.TaskResult], final: Tensor), seen: [Int: Tensor], gradientSteps: [Int]) {
        let r = objectives[0].start.shape[0], c = objectives[0].start.shape[1]
        let rows = objectives.indices.map { ($0 * r)..<(($0 + 1) * r) }
        var seen = [Int: Tensor](), gradientSteps = [Int]()
        let run = KeepBestTraining.train(
            initial: Tensor(shape: [objectives.count * r, c], scalars: objectives.flatMap(\.start.scalars)),
            taskRows: rows, learningRate: lr, schedule: .init(steps: steps, validateEvery: every),
            gradient: { step, x in
                gradientSteps.append(step)
                return Tensor(shape: x.shape, scalars: objectives.indices.flatMap { objectives[$0].gradient(x.rows(rows[$0])).scalars })
            },
            validate: { step, x in
                seen[step] = x
                return objectives.indices.map { objectives[$0].loss(x.rows(rows[$0])) }
            })
        return (run, seen, gradientSteps)
    }

    @Test func improvementIsStrictlyLowerAndNeverNaN() {
        #expect(KeepBestTraining.isImprovement(3, over: .nan))
        #expect(KeepBestTraining.isImprovement(2.5, over: 3))
        #expect(!KeepBestTraining.isImprovement(3, over: 3))
        #expect(!KeepBestTraining.isImprovement(3.5, over: 3))
        #expect(!KeepBestTraining.isImprovement(.nan, over: 3))
        #expect(!KeepBestTraining.isImprovement(.nan, over: .nan))
        #expect(KeepBestTraining.isImprovement(-.infinity, over: 3))
        #expect(KeepBestTraining.isImprovement(.infinity, over: .nan))
    }

    @Test func scheduleValidatesAtZeroEveryNAndTheLastStep() {
        #expect(KeepBestTraining.Schedule(steps: 7, validateEvery: 3).validationSteps == [0, 3, 6, 7])
        #expect(KeepBestTraining.Schedule(steps: 400, validateEvery: 50).validationSteps == [0, 50, 100, 150, 200, 250, 300, 350, 400])
        #expect(KeepBestTraining.Schedule(steps: 0, validateEvery: 5).validationSteps == [0])
        #expect(KeepBestTraining.Schedule(steps: 4, validateEvery: 10).validationSteps == [0, 4])
    }

    /// The loss falls, then rises: the kept block is the one validated at the lowest loss, not the
    /// last one (the reference's bug of never updating the best keeps the last).
    @Test func keepsTheBlockOfLowestValidationLossNotTheLast() {
        let objective = Objective.seeded(11)
        let (run, seen, gradientSteps) = Self.train([objective], steps: 40, every: 2)
        let task = run.tasks[0]
        #expect(gradientSteps == Array(1...40), "one gradient per step, in order")
        #expect(task.validationSteps == Array(stride(from: 0, through: 40, by: 2)))
        #expect(task.validationLosses.count == task.validationSteps.count)
        // Every validation saw the parameter of its step, and reported that parameter's loss.
        for (step, loss) in zip(task.validationSteps, task.validationLosses) { #expect(objective.loss(seen[step]!) == loss) }
        let lowest = task.validationLosses.min()!
        #expect(task.bestLoss == lowest)
        #expect(task.bestStep == task.validationSteps[task.validationLosses.firstIndex(of: lowest)!])
        #expect(task.best == seen[task.bestStep]!)
        // The run overshoots: the best lies strictly inside it and beats both ends.
        #expect(task.bestStep > 0 && task.bestStep < 40, "best step \(task.bestStep)")
        #expect(lowest < task.validationLosses.first! && lowest < task.validationLosses.last!)
        #expect(task.best != task.final && task.final == run.final && task.final == seen[40]!)
    }

    /// The final parameter is plain Adam on the gradients, step after step.
    @Test func updatesAreAdamsWithTheGivenLearningRate() {
        let objective = Objective.seeded(12)
        let (run, _, _) = Self.train([objective], steps: 7, every: 3, lr: 0.05)
        var adam = Adam(learningRate: 0.05)
        var x = [objective.start]
        for _ in 1...7 { adam.update(&x, gradients: [objective.gradient(x[0])]) }
        #expect(run.final == x[0])
    }

    /// When training only makes validation worse, the initial block, validated at step 0, is kept.
    @Test func stepZeroIsValidatedAndKeptWhenBest() {
        var objective = Objective.seeded(13)
        objective.validationPoint = objective.start  // every step moves away from it
        let (run, seen, _) = Self.train([objective], steps: 6, every: 2)
        let task = run.tasks[0]
        #expect(task.validationSteps == [0, 2, 4, 6])
        #expect(seen[0]! == objective.start && task.validationLosses[0] == 0)
        #expect(task.bestStep == 0 && task.bestLoss == 0 && task.best == objective.start)
        #expect(task.final != objective.start)
    }

    /// A nan validation loss is recorded but never kept; with nothing but nan, the initial block
    /// stays (step 0, loss nan).
    @Test func nanLossesAreNeverBest() {
        let objective = Objective.seeded(14)
        func run(nanAt: Set<Int>) -> KeepBestTraining.TaskResult {
            KeepBestTraining.train(
                initial: objective.start, taskRows: [0..<2], learningRate: 0.1, schedule: .init(steps: 40, validateEvery: 2),
                gradient: { _, x in objective.gradient(x) },
                validate: { step, x in [nanAt.contains(step) ? .nan : objective.loss(x)] }
            ).tasks[0]
        }
        let clean = run(nanAt: [])
        // nan exactly where the clean run was best: the next best of the other steps is kept.
        let poisoned = run(nanAt: [clean.bestStep])
        #expect(poisoned.validationLosses.filter(\.isNaN).count == 1)
        let others = zip(clean.validationSteps, clean.validationLosses).filter { $0.0 != clean.bestStep }
        let runnerUp = others.min { $0.1 < $1.1 }!
        #expect(poisoned.bestStep == runnerUp.0 && poisoned.bestLoss == runnerUp.1)
        #expect(!poisoned.bestLoss.isNaN)

        let allNaN = run(nanAt: Set(0...40))
        #expect(allNaN.validationLosses.count == 21 && allNaN.validationLosses.allSatisfy(\.isNaN))
        #expect(allNaN.bestStep == 0 && allNaN.bestLoss.isNaN && allNaN.best == objective.start)
    }

    /// Tasks trained together keep exactly what each keeps alone (Adam acts element-wise and each
    /// block's gradient depends on its rows only), with their own best steps.
    @Test func tasksTrainedTogetherEqualTrainedAlone() {
        var slow = Objective.seeded(15)
        slow.pull = Self.zipped(slow.validationPoint, slow.start) { $0 + 4 * ($0 - $1) }  // overshoots later
        let objectives = [Objective.seeded(16), slow, Objective.seeded(17)]
        let together = Self.train(objectives, steps: 30, every: 1).run
        for (t, objective) in objectives.enumerated() {
            let alone = Self.train([objective], steps: 30, every: 1).run.tasks[0]
            let joint = together.tasks[t]
            #expect(joint.best == alone.best && joint.bestStep == alone.bestStep && joint.bestLoss == alone.bestLoss)
            #expect(joint.validationLosses == alone.validationLosses && joint.final == alone.final)
        }
        #expect(Set(together.tasks.map(\.bestStep)).count > 1, "the tasks peak at different steps")
    }

    /// Tasks sharing one block (SITE's task-agnostic weights) each keep it at their own best step.
    @Test func tasksSharingABlockKeepItAtTheirOwnBestStep() {
        let objective = Objective.seeded(18)
        var near = objective
        near.validationPoint = Self.zipped(objective.start, objective.validationPoint) { $0 + 0.3 * ($1 - $0) }
        var seen = [Int: Tensor]()
        let run = KeepBestTraining.train(
            initial: objective.start, taskRows: [0..<2, 0..<2], learningRate: 0.1, schedule: .init(steps: 30, validateEvery: 1),
            gradient: { _, x in objective.gradient(x) },
            validate: { step, x in
                seen[step] = x
                return [objective.loss(x), near.loss(x)]
            })
        let (far, close) = (run.tasks[0], run.tasks[1])
        #expect(close.bestStep < far.bestStep)
        #expect(far.best == seen[far.bestStep]! && close.best == seen[close.bestStep]!)
        #expect(far.final == close.final)
    }

    /// A task without a validation set keeps its last block; the others are unaffected.
    @Test func aTaskWithoutValidationKeepsTheLastBlock() {
        let objectives = [Objective.seeded(19), Objective.seeded(20)]
        let rows = [0..<2, 2..<4]
        let run = KeepBestTraining.train(
            initial: Tensor(shape: [4, 3], scalars: objectives.flatMap(\.start.scalars)), taskRows: rows, learningRate: 0.1,
            schedule: .init(steps: 12, validateEvery: 4),
            gradient: { _, x in Tensor(shape: x.shape, scalars: (0..<2).flatMap { objectives[$0].gradient(x.rows(rows[$0])).scalars }) },
            validate: { _, x in [objectives[0].loss(x.rows(rows[0])), nil] })
        let unvalidated = run.tasks[1]
        #expect(unvalidated.validationSteps.isEmpty && unvalidated.validationLosses.isEmpty)
        #expect(unvalidated.best == unvalidated.final && unvalidated.bestStep == 12 && unvalidated.bestLoss.isNaN)
        #expect(run.tasks[0].validationSteps == [0, 4, 8, 12])
        #expect(run.tasks[0].bestLoss == run.tasks[0].validationLosses.min())
    }

    /// Early stopping ends training after `patience` validations in a row that improve nothing;
    /// an improvement resets the count, and the best block is the one validated then.
    @Test func earlyStoppingEndsAfterPatienceValidationsWithoutImprovement() {
        let losses: [Float] = [5, 4, 4.5, 4.2, 3.9, 4.0, 4.1, 4.3, 3.0, 2.0]
        for (patience, stop, best) in [(2, 3, 1), (3, 7, 4), (9, 9, 9)] {
            var gradients = 0
            var seen = [Int: Tensor]()
            let run = KeepBestTraining.train(
                initial: Tensor(shape: [1, 2], scalars: [1, -1]), taskRows: [0..<1], learningRate: 0.1,
                schedule: .init(steps: 9, validateEvery: 1, patience: patience),
                gradient: { _, x in
                    gradients += 1
                    return x
                },
                validate: { step, x in
                    seen[step] = x
                    return [losses[step]]
                })
            let task = run.tasks[0]
            #expect(task.stepsRun == stop && gradients == stop, "patience \(patience)")
            #expect(task.validationSteps == Array(0...stop))
            #expect(task.bestStep == best && task.bestLoss == losses[best] && task.best == seen[best]!)
            #expect(task.final == seen[stop]!)
        }
    }
}
