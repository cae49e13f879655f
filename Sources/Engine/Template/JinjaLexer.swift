// Splits a template into text and tag tokens the way transformers' jinja2 environment does:
// newlines normalised and one trailing newline dropped, `{%-`/`-%}` whitespace control,
// trim_blocks (the newline after a block or comment tag goes) and lstrip_blocks (spaces before a
// block or comment tag on its own line go), `{% raw %}`, comments, then the expression tokens inside tags.
import Foundation

enum JinjaToken: Equatable {
    case text(String)
    case variableBegin, variableEnd, blockBegin, blockEnd
    case name(String)
    case string(String)
    case integer(Int)
    case float(Double)
    case op(String)
    case end
}

struct JinjaLexer {
    private let s: [Unicode.Scalar]
    private var pos = 0
    private var line = 1
    private(set) var tokens: [(token: JinjaToken, line: Int)] = []

    /// Tokenizes the whole template; throws on an unclosed tag, comment or string.
    static func tokenize(_ source: String) throws -> [(token: JinjaToken, line: Int)] {
        var lexer = JinjaLexer(source: source)
        try lexer.run()
        return lexer.tokens
    }

    private init(source: String) {
        var text = source.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        if text.hasSuffix("\n") { text.removeLast() }
        s = Array(text.unicodeScalars)
    }

    private func at(_ i: Int, _ literal: String) -> Bool {
        var j = i
        for u in literal.unicodeScalars {
            guard j < s.count, s[j] == u else { return false }
            j += 1
        }
        return true
    }

    private mutating func advance(to end: Int) {
        while pos < end { if s[pos] == "\n" { line += 1 }; pos += 1 }
    }

    private mutating func skipWhitespace() { while pos < s.count, isPythonSpace(s[pos]) { advance(to: pos + 1) } }

    private mutating func emitText(_ start: Int, _ end: Int, stripTrailing: Bool, lstrip: Bool) {
        var stop = end
        if stripTrailing {
            while stop > start, isPythonSpace(s[stop - 1]) { stop -= 1 }
        } else if lstrip {
            // Only spaces between the last newline (or a line start) and the tag: drop them.
            var lineStart = stop
            while lineStart > start, s[lineStart - 1] != "\n" { lineStart -= 1 }
            let atLineStart = lineStart > start || start == 0 || s[start - 1] == "\n"
            if atLineStart, lineStart < stop, s[lineStart..<stop].allSatisfy(isPythonSpace) { stop = lineStart }
        }
        if stop > start {
            var text = ""
            text.unicodeScalars.append(contentsOf: s[start..<stop])
            tokens.append((.text(text), line))
        }
        advance(to: end)
    }

    private mutating func run() throws {
        var textStart = 0
        while pos < s.count {
            guard s[pos] == "{", pos + 1 < s.count, "{%#".unicodeScalars.contains(s[pos + 1]) else { pos += 1; continue }
            let kind = s[pos + 1]
            let sign: Unicode.Scalar? = pos + 2 < s.count && (s[pos + 2] == "-" || s[pos + 2] == "+") ? s[pos + 2] : nil
            let tagStart = pos
            // Rewind the scan position to the text start so line counting stays exact.
            pos = textStart
            emitText(textStart, tagStart, stripTrailing: sign == "-", lstrip: sign != "+" && kind != "{")
            let tagLine = line
            advance(to: tagStart + 2 + (sign == nil ? 0 : 1))
            switch kind {
            case "#": try comment(from: tagLine)
            case "{": try expressionTag(closing: "}}", begin: .variableBegin, end: .variableEnd, line: tagLine)
            default:
                if try !rawBlock(line: tagLine) {
                    try expressionTag(closing: "%}", begin: .blockBegin, end: .blockEnd, line: tagLine)
                }
            }
            textStart = pos
        }
        pos = textStart
        emitText(textStart, s.count, stripTrailing: false, lstrip: false)
        tokens.append((.end, line))
    }

    /// After a closing `-%}`, `+%}` or `%}` (and the comment and variable forms): whitespace control.
    private mutating func afterTag(sign: Unicode.Scalar?, trims: Bool) {
        if sign == "-" { skipWhitespace() } else if sign == nil, trims, pos < s.count, s[pos] == "\n" { advance(to: pos + 1) }
    }

    private mutating func comment(from tagLine: Int) throws {
        while pos < s.count {
            for sign in ["-", "+", ""] where at(pos, sign + "#}") {
                advance(to: pos + sign.unicodeScalars.count + 2)
                afterTag(sign: sign.unicodeScalars.first, trims: true)
                return
            }
            advance(to: pos + 1)
        }
        throw JinjaError("unclosed comment: missing '#}'", line: tagLine)
    }

    /// `{% raw %}…{% endraw %}`: the text between is output as it is. Returns false for any other tag.
    private mutating func rawBlock(line tagLine: Int) throws -> Bool {
        var i = pos
        while i < s.count, isPythonSpace(s[i]) { i += 1 }
        guard at(i, "raw") else { return false }
        i += 3
        while i < s.count, isPythonSpace(s[i]) { i += 1 }
        let openSign: Unicode.Scalar? = at(i, "-%}") ? "-" : nil
        guard at(i, "%}") || openSign != nil else { return false }
        advance(to: i + (openSign == nil ? 2 : 3))
        afterTag(sign: openSign, trims: true)
        let contentStart = pos
        var j = pos
        while j < s.count {
            if at(j, "{%") {
                var k = j + 2
                let sign: Unicode.Scalar? = k < s.count && (s[k] == "-" || s[k] == "+") ? s[k] : nil
                if sign != nil { k += 1 }
                while k < s.count, isPythonSpace(s[k]) { k += 1 }
                if at(k, "endraw") {
                    k += 6
                    while k < s.count, isPythonSpace(s[k]) { k += 1 }
                    let closeSign: Unicode.Scalar? = at(k, "-%}") ? "-" : at(k, "+%}") ? "+" : nil
                    if at(k, "%}") || closeSign != nil {
                        emitText(contentStart, j, stripTrailing: sign == "-", lstrip: sign != "+")
                        advance(to: k + (closeSign == nil ? 2 : 3))
                        afterTag(sign: closeSign, trims: true)
                        return true
                    }
                }
            }
            j += 1
        }
        throw JinjaError("unclosed raw block: missing '{% endraw %}'", line: tagLine)
    }

    /// The tokens inside `{{ … }}` or `{% … %}`, up to the closing delimiter outside any brackets.
    private mutating func expressionTag(closing: String, begin: JinjaToken, end: JinjaToken, line tagLine: Int) throws {
        tokens.append((begin, tagLine))
        var brackets: [Unicode.Scalar] = []
        while true {
            skipWhitespace()
            guard pos < s.count else {
                throw JinjaError("unclosed tag: missing '\(closing)'", line: tagLine)
            }
            if brackets.isEmpty {
                for sign in ["-", "+", ""] where at(pos, sign + closing) && !(sign == "+" && closing == "}}") {
                    tokens.append((end, line))
                    advance(to: pos + sign.unicodeScalars.count + 2)
                    afterTag(sign: sign.unicodeScalars.first, trims: closing == "%}")
                    return
                }
            }
            let c = s[pos]
            if c == "'" || c == "\"" {
                tokens.append((.string(try stringLiteral(quote: c)), line))
            } else if c.properties.isASCIIHexDigit && c.value < 0x3A {
                tokens.append((number(), line))
            } else if c == "_" || c.properties.isXIDStart {
                let start = pos
                while pos < s.count, s[pos] == "_" || s[pos].properties.isXIDContinue { pos += 1 }
                var name = ""
                name.unicodeScalars.append(contentsOf: s[start..<pos])
                tokens.append((.name(name), line))
            } else {
                guard let op = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=",
                                "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", ";"].first(where: { at(pos, $0) }) else {
                    throw JinjaError("unexpected character '\(c)'", line: line)
                }
                switch op {
                case "(", "[", "{": brackets.append(op.unicodeScalars.first!)
                case ")", "]", "}":
                    let expected: Unicode.Scalar = op == ")" ? "(" : op == "]" ? "[" : "{"
                    guard brackets.last == expected else { throw JinjaError("unexpected '\(op)'", line: line) }
                    brackets.removeLast()
                default: break
                }
                tokens.append((.op(op), line))
                advance(to: pos + op.unicodeScalars.count)
            }
        }
    }

    /// An integer or float literal (underscores allowed between digits, as Python and jinja2 allow).
    private mutating func number() -> JinjaToken {
        let start = pos
        func digits() { while pos < s.count, (s[pos].value >= 0x30 && s[pos].value <= 0x39) || (s[pos] == "_" && pos + 1 < s.count && s[pos + 1].properties.numericType != nil) { pos += 1 } }
        digits()
        var isFloat = false
        if pos + 1 < s.count, s[pos] == ".", s[pos + 1].value >= 0x30 && s[pos + 1].value <= 0x39 {
            isFloat = true
            pos += 1
            digits()
        }
        if pos < s.count, s[pos] == "e" || s[pos] == "E" {
            var k = pos + 1
            if k < s.count, s[k] == "+" || s[k] == "-" { k += 1 }
            if k < s.count, s[k].value >= 0x30 && s[k].value <= 0x39 { isFloat = true; pos = k; digits() }
        }
        var text = ""
        text.unicodeScalars.append(contentsOf: s[start..<pos].filter { $0 != "_" })
        return isFloat ? .float(Double(text) ?? 0) : .integer(Int(text) ?? Int.max)
    }

    /// A quoted string with Python's backslash escapes; unknown escapes keep their backslash.
    private mutating func stringLiteral(quote: Unicode.Scalar) throws -> String {
        let startLine = line
        advance(to: pos + 1)
        var out = String.UnicodeScalarView()
        while pos < s.count {
            let c = s[pos]
            if c == quote { advance(to: pos + 1); return String(out) }
            if c == "\\", pos + 1 < s.count {
                let e = s[pos + 1]
                advance(to: pos + 2)
                switch e {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "b": out.append("\u{08}")
                case "f": out.append("\u{0C}")
                case "v": out.append("\u{0B}")
                case "a": out.append("\u{07}")
                case "0": out.append("\0")
                case "\\", "'", "\"": out.append(e)
                case "\n": break
                case "x", "u", "U":
                    let width = e == "x" ? 2 : e == "u" ? 4 : 8
                    var hex = ""
                    hex.unicodeScalars.append(contentsOf: s[pos..<min(pos + width, s.count)])
                    guard hex.count == width, let v = UInt32(hex, radix: 16), let u = Unicode.Scalar(v) else {
                        throw JinjaError("bad \\\(e) escape in a string", line: line)
                    }
                    out.append(u)
                    advance(to: pos + width)
                default: out.append("\\"); out.append(e)
                }
                continue
            }
            out.append(c)
            advance(to: pos + 1)
        }
        throw JinjaError("unterminated string", line: startLine)
    }
}
