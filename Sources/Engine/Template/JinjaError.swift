// The one error a template throws: what went wrong and on which line of the template, as jinja2 words it.

/// A template that cannot be parsed or rendered; `line` is the 1-based template line (0 when unknown).
public struct JinjaError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var line: Int
    /// True for `raise_exception(...)`: the template itself refused the input (e.g. "Conversation roles must alternate").
    public let raisedByTemplate: Bool

    init(_ message: String, line: Int = 0, raisedByTemplate: Bool = false) {
        self.message = message
        self.line = line
        self.raisedByTemplate = raisedByTemplate
    }

    public var description: String { line > 0 ? "template line \(line): \(message)" : "template: \(message)" }
}
