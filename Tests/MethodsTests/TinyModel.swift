// The method-logic tests' model and tasks: the tiny random llama of ../shared/reference/tiny
// (3 layers, 4 heads of 16, D 64, V 384) with a byte-level tokenizer built here, and seeded
// synthetic tasks, so that they need neither a real model nor the datasets.
import Foundation
import Models
import Tasks
import TestSupport
import Tokenizers
@testable import Methods

enum TinyLlama {
    static let folder = SharedPaths.reference.appendingPathComponent("tiny/llama")
    /// The checkpoint's next-token distribution is nearly uniform (at most p = 0.0044 over 384
    /// ids), so effects and gradients would be tiny; its final norm gain is multiplied by this
    /// so that its logits spread like a trained model's (a range of about ±10).
    static let logitScale: Float = 20
    static let loaded = Result {
        let checkpoint = try DecoderLoader.load(huggingFaceFolder: folder)
        var weights = checkpoint.weights
        weights.finalNorm = weights.finalNorm.map { $0 * logitScale }
        return LanguageModel(name: "tiny-llama", decoder: try Decoder(configuration: checkpoint.configuration, weights: weights),
                             tokenizer: try tokenizer())
    }
    /// Loaded once per process.
    static var model: LanguageModel { get throws { try loaded.get() } }

    /// The tiny checkpoint's byte-level tokenizer (`TinyTokenizer`).
    static func tokenizer() throws -> Tokenizer { try TinyTokenizer.make() }
}

/// Seeded synthetic tasks over short lower-case words.
enum SyntheticTasks {
    /// The word reversed ("abc" → "cba").
    static let reverse = TextTask(name: "reverse", preservesCase: false)
    /// The word in capitals ("abc" → "ABC"); answers are compared with their case.
    static let upper = TextTask(name: "upper", preservesCase: true)
    /// Its first letter ("abc" → "a").
    static let first = TextTask(name: "first-letter", preservesCase: false)
    /// Its last letter ("abc" → "c").
    static let last = TextTask(name: "last-letter", preservesCase: false)
    /// The word itself.
    static let copy = TextTask(name: "copy", preservesCase: false)
    static let all = [reverse, upper, first, last, copy]

    /// 60 train, 20 valid and 20 test items of `task`: distinct 3-letter words drawn with a seed
    /// of the task's name.
    static func splits(_ task: TextTask) -> TaskSplits {
        var generator = Xoshiro256StarStar(seed: SplitMix64.stableHash("synthetic/\(task.name)"))
        let letters = Array("abcdefghijklmnop")
        var words = [String](), seen = Set<String>()
        while words.count < 100 {
            let word = String((0..<3).map { _ in letters[Int(generator.next() % UInt64(letters.count))] })
            if seen.insert(word).inserted { words.append(word) }
        }
        let items = words.map { word -> TaskItem in
            switch task.name {
            case reverse.name: return TaskItem(input: word, output: .text(String(word.reversed())))
            case upper.name: return TaskItem(input: word, output: .text(word.uppercased()))
            case first.name: return TaskItem(input: word, output: .text(String(word.prefix(1))))
            case last.name: return TaskItem(input: word, output: .text(String(word.suffix(1))))
            default: return TaskItem(input: word, output: .text(word))
            }
        }
        return TaskSplits(train: Array(items[0..<60]), valid: Array(items[60..<80]), test: Array(items[80..<100]))
    }

    /// A data folder holding the synthetic tasks' files (written once per process).
    static let data = Result { () throws -> DataDirectory in
        let directory = DataDirectory(root: FileManager.default.temporaryDirectory.appendingPathComponent("tvb-synthetic-\(UUID().uuidString)"))
        for task in all {
            let splits = splits(task)
            for split in TaskSplit.allCases {
                let url = directory.fileURL(task: task.name, split: split)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try JSONEncoder().encode(splits[split]).write(to: url)
            }
        }
        return directory
    }

    /// `task` on the tiny model with its first `trainCount` train and `validCount` valid items.
    static func context(_ task: TextTask = reverse, trainCount: Int = 60, validCount: Int = 20, seed: UInt64 = 7) throws -> MethodContext {
        let s = splits(task)
        return MethodContext(model: try TinyLlama.model, task: task, train: Array(s.train.prefix(trainCount)),
                             valid: Array(s.valid.prefix(validCount)), seed: seed)
    }
}
