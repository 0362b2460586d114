import Foundation

/// RFC 4180 CSV: fields separated by commas, records ended by "\n" (a "\r\n" is read too), a field
/// quoted when it holds a comma, a quote, CR or LF, a quote inside a quoted field doubled.
enum CSV {
    /// One record as a line ending in "\n".
    static func line(_ fields: [String]) -> String {
        fields.map(quoted).joined(separator: ",") + "\n"
    }

    static func quoted(_ field: String) -> String {
        // Bytes, not Characters: "\r\n" is one Character and equals neither "\r" nor "\n".
        guard field.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A parsed record and the 1-based line it starts on.
    struct Record: Equatable {
        var fields: [String]
        var line: Int
    }

    /// Every record of `text`. A final record without its "\n" is accepted (files written by
    /// hand); blank lines are not records.
    /// - Throws: `ResultStoreError.malformedRow` naming `file` and the line of the bad record.
    static func parse(_ text: String, file: String) throws -> [Record] {
        var records = [Record]()
        var fields = [String]()
        var field = [UInt8]()
        var line = 1, recordLine = 1
        var inQuotes = false, wasQuoted = false, fieldStarted = false
        let bytes = Array(text.utf8)
        var i = 0
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
            fieldStarted = false
        }
        func endRecord() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) { records.append(Record(fields: fields, line: recordLine)) }
            fields.removeAll()
        }
        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(b)
                        i += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if b == UInt8(ascii: "\n") { line += 1 }
                    field.append(b)
                }
            } else {
                switch b {
                case UInt8(ascii: ","):
                    endField()
                case UInt8(ascii: "\n"):
                    endRecord()
                    line += 1
                    recordLine = line
                case UInt8(ascii: "\r") where i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n"):
                    break
                case UInt8(ascii: "\""):
                    guard !fieldStarted else {
                        throw ResultStoreError.malformedRow(file: file, line: line, reason: "a quote inside an unquoted field")
                    }
                    inQuotes = true
                    wasQuoted = true
                    fieldStarted = true
                default:
                    if wasQuoted {
                        throw ResultStoreError.malformedRow(file: file, line: line, reason: "text after a closing quote")
                    }
                    field.append(b)
                    fieldStarted = true
                }
            }
            i += 1
        }
        if inQuotes {
            throw ResultStoreError.malformedRow(file: file, line: recordLine, reason: "a quoted field is not closed before the end of the file")
        }
        if fieldStarted || !fields.isEmpty { endRecord() }
        return records
    }
}

/// A value type stored as one CSV record under a fixed header.
protocol CSVRow {
    static var header: [String] { get }
    var csvFields: [String] { get }
    /// - Throws: `ResultStoreError.badField` naming the file, line and column.
    init(csvFields: [String], file: String, line: Int) throws
}

/// Reads typed fields of one record, naming the file, line and column in errors.
struct CSVFieldReader {
    let fields: [String]
    let header: [String]
    let file: String
    let line: Int

    init(fields: [String], header: [String], file: String, line: Int) throws {
        guard fields.count == header.count else {
            throw ResultStoreError.malformedRow(file: file, line: line, reason: "\(fields.count) fields, expected \(header.count)")
        }
        self.fields = fields
        self.header = header
        self.file = file
        self.line = line
    }

    func string(_ i: Int) -> String { fields[i] }

    func int(_ i: Int) throws -> Int {
        guard let v = Int(fields[i]) else { throw bad(i, "an integer") }
        return v
    }

    func uint64(_ i: Int) throws -> UInt64 {
        guard let v = UInt64(fields[i]) else { throw bad(i, "an unsigned integer") }
        return v
    }

    func optionalInt(_ i: Int) throws -> Int? {
        if fields[i].isEmpty { return nil }
        return try int(i)
    }

    func double(_ i: Int) throws -> Double {
        guard let v = Double(fields[i]) else { throw bad(i, "a number") }
        return v
    }

    func bool(_ i: Int) throws -> Bool {
        switch fields[i] {
        case "true": return true
        case "false": return false
        default: throw bad(i, "true or false")
        }
    }

    private func bad(_ i: Int, _ expected: String) -> ResultStoreError {
        .badField(file: file, line: line, column: header[i], value: fields[i], expected: expected)
    }
}

extension CSV {
    /// Rows of a whole file's text, checking its header.
    static func rows<Row: CSVRow>(_ type: Row.Type, from text: String, file: String) throws -> [Row] {
        let records = try parse(text, file: file)
        guard let first = records.first else { return [] }
        guard first.fields == Row.header else {
            throw ResultStoreError.unexpectedHeader(file: file, expected: Row.header, found: first.fields)
        }
        return try records.dropFirst().map { try Row(csvFields: $0.fields, file: file, line: $0.line) }
    }

    /// A whole file's text: the header and the rows.
    static func text<Row: CSVRow>(_ rows: [Row]) -> String {
        line(Row.header) + rows.map { line($0.csvFields) }.joined()
    }

    /// A number that reads back to the same Double (Swift's shortest round-trip form).
    static func number(_ value: Double) -> String { "\(value)" }
}
