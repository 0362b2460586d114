import Foundation

/// RFC 4180 CSV: fields separated by commas, records ended by "\n" (a "\r\n" is read too), a field
/// quoted when it holds a comma, a quote, CR or LF, a quote inside a quoted field doubled.
public enum CSV {
    /// One record as a line ending in "\n".
    public static func line(_ fields: [String]) -> String {
        fields.map(quoted).joined(separator: ",") + "\n"
    }

    public static func quoted(_ field: String) -> String {
        // Bytes, not Characters: "\r\n" is one Character and equals neither "\r" nor "\n".
        guard field.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A parsed record and the 1-based line it starts on.
    public struct Record: Equatable, Sendable {
        public var fields: [String]
        public var line: Int
    }

    /// Every record of `text`. A final record without its "\n" is accepted (files written by
    /// hand); blank lines are not records.
    /// - Throws: `CSVError.malformedRow` naming `file` and the line of the bad record.
    public static func parse(_ text: String, file: String) throws -> [Record] {
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
                        throw CSVError.malformedRow(file: file, line: line, reason: "a quote inside an unquoted field")
                    }
                    inQuotes = true
                    wasQuoted = true
                    fieldStarted = true
                default:
                    if wasQuoted {
                        throw CSVError.malformedRow(file: file, line: line, reason: "text after a closing quote")
                    }
                    field.append(b)
                    fieldStarted = true
                }
            }
            i += 1
        }
        if inQuotes {
            throw CSVError.malformedRow(file: file, line: recordLine, reason: "a quoted field is not closed before the end of the file")
        }
        if fieldStarted || !fields.isEmpty { endRecord() }
        return records
    }
}


/// A value stored as one CSV record: a `Codable` struct of flat fields (see `TextFields`) whose
/// coding keys are the file's column names.
public protocol CSVRow: Codable {
    /// The columns in file order; every key a row encodes is one of them.
    static var header: [String] { get }
    /// Optional columns added to `header` after files were written without them: a file whose
    /// header lacks only some of these (the others in order) reads them as empty, and is written
    /// back with the whole header.
    static var addedColumns: Set<String> { get }
}

extension CSVRow {
    public static var addedColumns: Set<String> { [] }

    /// The row's fields in column order; an absent field (a nil optional) is empty.
    /// - Precondition: the row encodes only keys of `header`.
    public var csvFields: [String] {
        let fields: [String: String]
        do { fields = try TextFields.encode(self) } catch { preconditionFailure("\(Self.self) does not encode as text fields: \(error)") }
        precondition(Set(fields.keys).isSubset(of: Self.header), "\(Self.self) encodes keys outside its header: \(fields.keys.sorted())")
        return Self.header.map { fields[$0] ?? "" }
    }

    /// The row of one record.
    /// - Throws: `CSVError.malformedRow` for a wrong field count, `.badField` naming the file,
    ///   line and column of a field that does not hold its column's type.
    public init(csvFields: [String], file: String, line: Int) throws {
        guard csvFields.count == Self.header.count else {
            throw CSVError.malformedRow(file: file, line: line, reason: "\(csvFields.count) fields, expected \(Self.header.count)")
        }
        do {
            self = try TextFields.decode(Self.self, from: Dictionary(uniqueKeysWithValues: zip(Self.header, csvFields)))
        } catch let TextFieldsError.badValue(key, value, expected) {
            throw CSVError.badField(file: file, line: line, column: key, value: value, expected: expected)
        } catch let TextFieldsError.missingField(key) {
            throw CSVError.malformedRow(file: file, line: line, reason: "no column \(key)")
        }
    }
}

extension CSV {
    /// Rows of a whole file's text, checking its header.
    /// - Throws: `CSVError` naming `file`, the line and (for a bad value) the column.
    public static func rows<Row: CSVRow>(_ type: Row.Type, from text: String, file: String) throws -> [Row] {
        let records = try parse(text, file: file)
        guard let first = records.first else { return [] }
        if first.fields == Row.header {
            return try records.dropFirst().map { try Row(csvFields: $0.fields, file: file, line: $0.line) }
        }
        // An older file: the header without some added columns, which read as empty.
        let missing = Set(Row.header).subtracting(first.fields)
        guard !missing.isEmpty, missing.isSubset(of: Row.addedColumns), Row.header.filter({ !missing.contains($0) }) == first.fields else {
            throw CSVError.unexpectedHeader(file: file, expected: Row.header, found: first.fields)
        }
        return try records.dropFirst().map { record in
            guard record.fields.count == first.fields.count else {
                throw CSVError.malformedRow(file: file, line: record.line, reason: "\(record.fields.count) fields, expected \(first.fields.count)")
            }
            let byColumn = Dictionary(uniqueKeysWithValues: zip(first.fields, record.fields))
            return try Row(csvFields: Row.header.map { byColumn[$0] ?? "" }, file: file, line: record.line)
        }
    }

    /// A whole file's text: the header and the rows.
    public static func text<Row: CSVRow>(_ rows: [Row]) -> String {
        line(Row.header) + rows.map { line($0.csvFields) }.joined()
    }
}
