// Typed per-request storage that middleware fills in for later handlers (the signed-in session, say).

/// A key for a value that middleware stores on a request: `enum SessionKey: RequestContextKey { typealias Value = Session }`.
public protocol RequestContextKey {
    associatedtype Value: Sendable
}

/// Typed per-request storage: `request.context[SessionKey.self] = session`.
public struct RequestContext: Sendable {
    private var values: [ObjectIdentifier: any Sendable] = [:]
    public init() {}
    public subscript<K: RequestContextKey>(_ key: K.Type) -> K.Value? {
        get { values[ObjectIdentifier(key)] as? K.Value }
        set { values[ObjectIdentifier(key)] = newValue }
    }
}
