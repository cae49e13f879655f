// The query string of a request, decoded as application/x-www-form-urlencoded pairs ("+" is a space).

/// Decoded `application/x-www-form-urlencoded` pairs of a query string, in order.
public struct QueryParameters: Sendable, Sequence {
    public private(set) var items: [(name: String, value: String)] = []

    public init() {}

    /// Nil when an escape is malformed or decodes to invalid UTF-8.
    public init?(encoded: String?) {
        guard let encoded, !encoded.isEmpty else { return }
        for pair in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = HTTPGrammar.percentDecode(parts[0], plusIsSpace: true),
                  let value = HTTPGrammar.percentDecode(parts.count > 1 ? parts[1] : "", plusIsSpace: true) else {
                return nil
            }
            items.append((name: name, value: value))
        }
    }

    public subscript(name: String) -> String? { items.first { $0.name == name }?.value }
    public func values(_ name: String) -> [String] { items.filter { $0.name == name }.map(\.value) }
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { items.makeIterator() }
}
