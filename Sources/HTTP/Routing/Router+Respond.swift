// Running a request through the table: match, fill in parameters, run middleware and the handler,
// and turn every outcome into a response: HTTPError renders itself, any other error becomes a generic
// 500 (reported to `onError`, never to the client). The server and in-process tests both call this.

extension Router {
    public func respond(to request: Request, onError: @Sendable (any Error) -> Void = { _ in }) async -> Response {
        switch match(request.method, request.pathSegments) {
        case .notFound:
            return HTTPError.notFound().response
        case .methodNotAllowed(let allow):
            return HTTPError.methodNotAllowed(allow: allow).response
        case .found(let pattern, _, let parameters, let wildcard):
            var request = request
            request.route = pattern
            request.parameters = parameters
            request.wildcard = wildcard
            return await respond(to: request, handler: handler(pattern: pattern, method: request.method)!, onError: onError)
        }
    }

    /// Runs an already matched request (`route`, `parameters` set) through middleware and `handler`.
    func respond(to request: Request, handler: @escaping Handler, onError: @Sendable (any Error) -> Void) async -> Response {
        let chain: Handler = middleware.reversed().reduce(handler) { next, m in { try await m($0, next) } }
        do {
            return try await chain(request)
        } catch let error as HTTPError {
            return error.response
        } catch {
            onError(error)
            return HTTPError(.internalServerError, "internal server error").response
        }
    }
}
