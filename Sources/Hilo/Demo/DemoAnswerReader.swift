// Reads the answer a free-form response states, for the judge. Model output is messy: it may run on
// into a new turn, repeat the question, explain first, write "12." or "twelve" or "3,000". The rules,
// in order:
//   1. The response ends at the first blank line, a line opening a new turn ("\nHuman:",
//      "\nAssistant:") or "<|endoftext|>".
//   2. It is cut into sentences at ".", "!" or "?" followed by a space or the end (a point between
//      digits is a decimal point), and at line breaks. Sentences ending in "?" are questions, skipped.
//   3. Numbers are digit runs with optional thousands commas ("3,000") and decimals ("2.5"), a sign
//      when "-" is glued to the digits and follows no number ("= -1", but "7 -5" is a subtraction),
//      and the words zero…twenty, thirty…ninety and their hyphenated compounds ("twenty-one").
//   4. The stated answer is, in the first sentence that has one: the first number after the first "=";
//      else the first number that is not one of the question's own numbers ("There are 180 minutes
//      in 3 hours." states 180).
//   5. If no sentence has one (every number repeats the question's: "The answer is 5." for 10 − 5),
//      it is the last number of the first sentence with a number. No number at all: no answer.
import Foundation

public enum DemoAnswerReader {
    /// Rule 1: the response up to where a new turn or document starts, trimmed.
    public static func ownTurn(_ response: String) -> String {
        var end = response.endIndex
        for stop in ["\n\n", "\r\n\r\n", "<|endoftext|>", "\nHuman:", "\nAssistant:"] {
            if let r = response.range(of: stop), r.lowerBound < end { end = r.lowerBound }
        }
        return response[..<end].trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Rule 2: the sentences, each with its final punctuation, questions included.
    public static func sentences(_ text: String) -> [String] {
        let chars = Array(text)
        var out: [String] = [], current = ""
        for (i, ch) in chars.enumerated() {
            if ch == "\n" {
                if !current.trimmingCharacters(in: .whitespaces).isEmpty { out.append(current) }
                current = ""; continue
            }
            current.append(ch)
            if ch == "." || ch == "!" || ch == "?" {
                let next: Character? = i + 1 < chars.count ? chars[i + 1] : nil
                if next == nil || next!.isWhitespace {
                    out.append(current); current = ""
                }
            }
        }
        if !current.trimmingCharacters(in: .whitespaces).isEmpty { out.append(current) }
        return out.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// A number in a sentence and where it starts (in characters), so rule 4 can look after "=".
    public struct Number: Sendable, Equatable {
        public let value: Double
        public let offset: Int
    }

    static let words: [String: Double] = {
        let small = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                     "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
                     "nineteen", "twenty"]
        var w: [String: Double] = [:]
        for (i, s) in small.enumerated() { w[s] = Double(i) }
        for (i, s) in ["thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"].enumerated() { w[s] = Double(30 + 10 * i) }
        return w
    }()

    /// Rule 3: the numbers of a sentence, in order.
    public static func numbers(_ sentence: String) -> [Number] {
        let c = Array(sentence)
        var out: [Number] = []
        var i = 0
        func isDigit(_ k: Int) -> Bool { k >= 0 && k < c.count && c[k].isASCII && c[k].isNumber }
        while i < c.count {
            if isDigit(i) {
                let start = i
                var s = ""
                while isDigit(i) { s.append(c[i]); i += 1 }
                // Thousands groups: ",ddd" not followed by another digit.
                while i + 3 < c.count, c[i] == ",", isDigit(i + 1), isDigit(i + 2), isDigit(i + 3), !isDigit(i + 4) {
                    s += String(c[(i + 1)...(i + 3)]); i += 4
                }
                if i + 1 < c.count, c[i] == ".", isDigit(i + 1) {
                    s.append("."); i += 1
                    while isDigit(i) { s.append(c[i]); i += 1 }
                }
                var value = Double(s)!
                var offset = start
                // A sign glued to the digits, after no number ("= -1"), not a subtraction ("7 -5").
                if start > 0, c[start - 1] == "-" || c[start - 1] == "−" {
                    var k = start - 2
                    while k >= 0, c[k] == " " { k -= 1 }
                    let gluedAfterSpace = start - 2 < 0 || c[start - 2] == " " || c[start - 2] == "=" || c[start - 2] == "("
                    if gluedAfterSpace && !(k >= 0 && (isDigit(k) || c[k] == ")")) { value = -value; offset = start - 1 }
                }
                out.append(Number(value: value, offset: offset))
            } else if c[i].isLetter {
                let start = i
                var w = ""
                while i < c.count, c[i].isLetter { w.append(c[i]); i += 1 }
                guard var v = words[w.lowercased()] else { continue }
                // "twenty-one": a tens word, a hyphen, a units word.
                if v >= 20, i + 1 < c.count, c[i] == "-", c[i + 1].isLetter {
                    var k = i + 1, unit = ""
                    while k < c.count, c[k].isLetter { unit.append(c[k]); k += 1 }
                    if let u = words[unit.lowercased()], (1...9).contains(u) { v += u; i = k }
                }
                out.append(Number(value: v, offset: start))
            } else {
                i += 1
            }
        }
        return out
    }

    /// Rules 1–5: the answer `response` states to a question whose own numbers are `operands`.
    public static func statedAnswer(in response: String, operands: [Int]) -> Double? {
        let given = Set(operands.map(Double.init))
        let candidates = sentences(ownTurn(response)).filter { !$0.hasSuffix("?") }
        var fallback: Double? = nil
        for s in candidates {
            let nums = numbers(s)
            guard !nums.isEmpty else { continue }
            if let eq = s.firstIndex(of: "=") {
                let at = s.distance(from: s.startIndex, to: eq)
                if let n = nums.first(where: { $0.offset > at }) { return n.value }
            }
            if let n = nums.first(where: { !given.contains($0.value) }) { return n.value }
            if fallback == nil { fallback = nums.last!.value }
        }
        return fallback
    }
}
