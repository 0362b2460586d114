import Foundation
import Methods

/// A table ready to print: a header, rows of cells and notes under it. Rendered the same way as
/// Markdown, LaTeX and CSV so that the three files of one table always agree.
struct ResultTable: Equatable {
    var title: String
    var header: [String]
    var rows: [[String]]
    /// Sentences printed under the table (what was cut, where numbers come from).
    var notes: [String] = []

    init(title: String, header: [String], rows: [[String]], notes: [String] = []) {
        precondition(rows.allSatisfy { $0.count == header.count }, "ResultTable '\(title)': a row's width differs from the header's")
        self.title = title
        self.header = header
        self.rows = rows
        self.notes = notes
    }

    /// First column left-aligned, the others right-aligned (they hold numbers).
    func markdown() -> String {
        var lines = ["### \(title)", ""]
        lines.append("| " + header.map(Self.escapeMarkdown).joined(separator: " | ") + " |")
        lines.append("|" + header.indices.map { $0 == 0 ? "---|" : "---:|" }.joined())
        for row in rows { lines.append("| " + row.map(Self.escapeMarkdown).joined(separator: " | ") + " |") }
        if !notes.isEmpty {
            lines.append("")
            lines += notes
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func latex() -> String {
        let columns = "l" + String(repeating: "r", count: max(0, header.count - 1))
        var lines = ["% \(title)", "\\begin{tabular}{\(columns)}", "\\toprule"]
        lines.append(header.map(Self.escapeLatex).joined(separator: " & ") + " \\\\")
        lines.append("\\midrule")
        for row in rows { lines.append(row.map(Self.escapeLatex).joined(separator: " & ") + " \\\\") }
        lines.append("\\bottomrule")
        lines.append("\\end{tabular}")
        for note in notes { lines.append("% " + note) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// RFC 4180 (`CSV.line`): the header line, then one line per row; notes are not data and stay out.
    func csv() -> String {
        ([header] + rows).map(CSV.line).joined()
    }

    static func escapeMarkdown(_ cell: String) -> String {
        cell.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    static func escapeLatex(_ cell: String) -> String {
        var out = ""
        for ch in cell {
            switch ch {
            case "\\": out += "\\textbackslash{}"
            case "&", "%", "$", "#", "_", "{", "}": out += "\\" + String(ch)
            case "~": out += "\\textasciitilde{}"
            case "^": out += "\\textasciicircum{}"
            case "\n": out += " "
            default: out.append(ch)
            }
        }
        return out
    }
}
