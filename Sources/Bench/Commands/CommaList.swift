import ArgumentParser
import Foundation

/// The value of a comma-separated list option, e.g. `--tasks antonym, capitalize`: the pieces
/// between commas with surrounding spaces trimmed, empty pieces dropped. Every list option of
/// `bench` parses this way.
struct CommaList: ExpressibleByArgument, ExpressibleByStringLiteral, Equatable, CustomStringConvertible {
    var items: [String]

    init(_ items: [String]) { self.items = items }

    init(argument: String) {
        items = argument.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    init(stringLiteral value: String) { self.init(argument: value) }

    /// True for the one word "all".
    var isAll: Bool { items == ["all"] }

    /// The items joined by commas, as they would be typed (the help shows defaults this way).
    var description: String { items.joined(separator: ",") }
}
