import Foundation
import RepriseDomain

/// Reads the YAML that `schemas/openapi.yaml` is written in, into a `JSONValue`, so the
/// contract tests can read the document without a YAML library.
///
/// Supported, and nothing else: block mappings and block sequences by indentation, flow
/// mappings and sequences (`{a: b}`, `[a, b]`), single- and double-quoted scalars, plain
/// scalars (integers, `true`, `false`, `null`, else strings), literal block scalars (`|`),
/// and whole-line comments. Anything it does not understand is an error with a line
/// number, never a silent misreading: tabs, anchors, tags, multi-document streams.
public enum YAMLSubsetReader {
    public struct SyntaxError: Error, CustomStringConvertible {
        public let line: Int
        public let reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    public static func parse(_ text: String) throws -> JSONValue {
        var lines: [Line] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = raw.drop { $0 == " " }
            if content.hasPrefix("\t") { throw SyntaxError(line: index + 1, reason: "tabs are not supported") }
            lines.append(Line(number: index + 1, indent: raw.count - content.count, text: String(content)))
        }
        var reader = BlockReader(lines: lines)
        reader.skipBlank()
        guard reader.index < lines.count else { return .null }
        let value = try reader.block(indent: lines[reader.index].indent)
        reader.skipBlank()
        if reader.index < lines.count {
            throw SyntaxError(line: lines[reader.index].number, reason: "unexpected content at this indentation")
        }
        return value
    }

    fileprivate struct Line {
        let number: Int
        var indent: Int
        var text: String
        var isBlank: Bool { text.isEmpty || text.hasPrefix("#") }
        var isSequenceItem: Bool { text == "-" || text.hasPrefix("- ") }
    }

    fileprivate struct BlockReader {
        var lines: [Line]
        var index = 0

        mutating func skipBlank() {
            while index < lines.count, lines[index].isBlank { index += 1 }
        }

        /// The mapping or sequence whose lines start at `indent`.
        mutating func block(indent: Int) throws -> JSONValue {
            lines[index].isSequenceItem ? try sequence(indent: indent) : try mapping(indent: indent)
        }

        mutating func sequence(indent: Int) throws -> JSONValue {
            var items: [JSONValue] = []
            while true {
                skipBlank()
                guard index < lines.count, lines[index].indent == indent, lines[index].isSequenceItem else { break }
                let rest = String(lines[index].text.dropFirst(1).drop { $0 == " " })
                if rest.isEmpty {
                    index += 1
                    items.append(try nested(under: indent))
                } else if FlowReader.startsInline(rest) {
                    items.append(try FlowReader.value(rest, line: lines[index].number))
                    index += 1
                } else {
                    // "- key: value" opens a mapping whose further keys sit under "key".
                    lines[index].indent = indent + (lines[index].text.count - rest.count)
                    lines[index].text = rest
                    items.append(try mapping(indent: lines[index].indent))
                }
            }
            return .array(items)
        }

        mutating func mapping(indent: Int) throws -> JSONValue {
            var members: [String: JSONValue] = [:]
            while true {
                skipBlank()
                guard index < lines.count, lines[index].indent == indent, !lines[index].isSequenceItem else { break }
                let line = lines[index]
                let (key, rest) = try FlowReader.key(line.text, line: line.number)
                if members[key] != nil { throw SyntaxError(line: line.number, reason: "duplicate key \"\(key)\"") }
                index += 1
                if rest.isEmpty {
                    members[key] = try nested(under: indent, allowingSequenceAtSameIndent: true)
                } else if rest == "|" || rest == "|-" {
                    members[key] = .string(literal(under: indent, keepFinalNewline: rest == "|"))
                } else {
                    members[key] = try FlowReader.value(rest, line: line.number)
                }
            }
            if index < lines.count, lines[index].indent > indent, !lines[index].isBlank {
                throw SyntaxError(line: lines[index].number, reason: "unexpected indentation")
            }
            return .object(members)
        }

        /// The block under a key or dash with nothing after it: null when nothing is indented deeper.
        mutating func nested(under indent: Int, allowingSequenceAtSameIndent: Bool = false) throws -> JSONValue {
            skipBlank()
            guard index < lines.count else { return .null }
            let next = lines[index]
            if next.indent > indent { return try block(indent: next.indent) }
            if allowingSequenceAtSameIndent, next.indent == indent, next.isSequenceItem { return try sequence(indent: indent) }
            return .null
        }

        /// A `|` block: the following lines indented deeper than `indent`, less their common indentation.
        mutating func literal(under indent: Int, keepFinalNewline: Bool) -> String {
            var collected: [Line] = []
            while index < lines.count, lines[index].text.isEmpty || lines[index].indent > indent {
                collected.append(lines[index])
                index += 1
            }
            while let last = collected.last, last.text.isEmpty { collected.removeLast() }
            let margin = collected.filter { !$0.text.isEmpty }.map(\.indent).min() ?? 0
            let text = collected.map { $0.text.isEmpty ? "" : String(repeating: " ", count: $0.indent - margin) + $0.text }
                .joined(separator: "\n")
            return keepFinalNewline && !text.isEmpty ? text + "\n" : text
        }
    }

    /// Scalars, keys and flow collections within one line.
    fileprivate struct FlowReader {
        let characters: [Character]
        let line: Int
        var position = 0

        static func startsInline(_ text: String) -> Bool {
            if text.hasPrefix("{") || text.hasPrefix("[") || text.hasPrefix("'") || text.hasPrefix("\"") { return true }
            var reader = FlowReader(characters: Array(text), line: 0)
            _ = reader.plain(inFlow: false, asKey: true)
            return reader.position >= reader.characters.count
        }

        /// `key: rest` of a block mapping line.
        static func key(_ text: String, line: Int) throws -> (String, String) {
            var reader = FlowReader(characters: Array(text), line: line)
            let key = try reader.keyText(inFlow: false)
            guard reader.position < reader.characters.count, reader.characters[reader.position] == ":" else {
                throw SyntaxError(line: line, reason: "expected \"key:\" in \"\(text)\"")
            }
            reader.position += 1
            return (key, String(reader.characters[reader.position...]).trimmingCharacters(in: .whitespaces))
        }

        /// A whole value: a flow collection or a scalar, and nothing after it.
        static func value(_ text: String, line: Int) throws -> JSONValue {
            var reader = FlowReader(characters: Array(text), line: line)
            let value = try reader.value(inFlow: false)
            reader.skipSpaces()
            guard reader.position == reader.characters.count else {
                throw SyntaxError(line: line, reason: "unexpected text after the value: \"\(String(reader.characters[reader.position...]))\"")
            }
            return value
        }

        mutating func value(inFlow: Bool) throws -> JSONValue {
            skipSpaces()
            guard position < characters.count else { return .null }
            switch characters[position] {
            case "{": return try flowMapping()
            case "[": return try flowSequence()
            case "'", "\"": return .string(try quoted())
            case "&", "*", "!", "%", "@", "`":
                throw SyntaxError(line: line, reason: "\"\(characters[position])\" (anchors, aliases, tags, directives) is not supported")
            default: return Self.resolve(plain(inFlow: inFlow, asKey: false))
            }
        }

        mutating func flowMapping() throws -> JSONValue {
            position += 1
            var members: [String: JSONValue] = [:]
            while true {
                skipSpaces()
                guard position < characters.count else { throw SyntaxError(line: line, reason: "unclosed {") }
                if characters[position] == "}" { position += 1; return .object(members) }
                let key = try keyText(inFlow: true)
                skipSpaces()
                var value = JSONValue.null
                if position < characters.count, characters[position] == ":" {
                    position += 1
                    value = try self.value(inFlow: true)
                }
                if members[key] != nil { throw SyntaxError(line: line, reason: "duplicate key \"\(key)\"") }
                members[key] = value
                try separator(closing: "}")
            }
        }

        mutating func flowSequence() throws -> JSONValue {
            position += 1
            var items: [JSONValue] = []
            while true {
                skipSpaces()
                guard position < characters.count else { throw SyntaxError(line: line, reason: "unclosed [") }
                if characters[position] == "]" { position += 1; return .array(items) }
                items.append(try value(inFlow: true))
                try separator(closing: "]")
            }
        }

        /// After a flow item: a comma, or the closing bracket left for the caller.
        mutating func separator(closing: Character) throws {
            skipSpaces()
            guard position < characters.count else { throw SyntaxError(line: line, reason: "unclosed \(closing == "}" ? "{" : "[")") }
            if characters[position] == "," { position += 1; return }
            guard characters[position] == closing else {
                throw SyntaxError(line: line, reason: "expected \",\" or \"\(closing)\", found \"\(characters[position])\"")
            }
        }

        mutating func keyText(inFlow: Bool) throws -> String {
            skipSpaces()
            if position < characters.count, characters[position] == "'" || characters[position] == "\"" { return try quoted() }
            let key = plain(inFlow: inFlow, asKey: true)
            guard !key.isEmpty else { throw SyntaxError(line: line, reason: "empty key") }
            return key
        }

        /// A plain scalar: up to ": " (or a final ":") as a key, up to ",", "}" or "]" in a
        /// flow collection, else to the end of the line.
        mutating func plain(inFlow: Bool, asKey: Bool) -> String {
            let start = position
            while position < characters.count {
                let character = characters[position]
                if character == ":", asKey || inFlow {
                    let next = position + 1 < characters.count ? characters[position + 1] : " "
                    if next == " " || (inFlow && (next == "," || next == "}" || next == "]")) { break }
                }
                if inFlow, character == "," || character == "}" || character == "]" { break }
                if character == "#", position > start, characters[position - 1] == " " { break }
                position += 1
            }
            let text = String(characters[start..<position]).trimmingCharacters(in: .whitespaces)
            if position < characters.count, characters[position] == "#" { position = characters.count }
            return text
        }

        mutating func quoted() throws -> String {
            let quote = characters[position]
            position += 1
            var text = ""
            while position < characters.count {
                let character = characters[position]
                position += 1
                if character == quote {
                    // '' inside single quotes is one quote.
                    if quote == "'", position < characters.count, characters[position] == "'" {
                        text.append("'")
                        position += 1
                        continue
                    }
                    return text
                }
                if quote == "\"", character == "\\" {
                    guard position < characters.count else { break }
                    let escaped = characters[position]
                    position += 1
                    switch escaped {
                    case "n": text.append("\n")
                    case "t": text.append("\t")
                    case "\\", "\"", "/": text.append(escaped)
                    default: throw SyntaxError(line: line, reason: "escape \\\(escaped) is not supported")
                    }
                    continue
                }
                text.append(character)
            }
            throw SyntaxError(line: line, reason: "unclosed \(quote)")
        }

        mutating func skipSpaces() {
            while position < characters.count, characters[position] == " " { position += 1 }
        }

        static func resolve(_ plain: String) -> JSONValue {
            switch plain {
            case "", "null", "~": return .null
            case "true": return .bool(true)
            case "false": return .bool(false)
            default:
                if plain.first.map({ $0 == "-" || $0.isASCII && $0.isNumber }) == true, let integer = Int64(plain) { return .integer(integer) }
                return .string(plain)
            }
        }
    }
}
