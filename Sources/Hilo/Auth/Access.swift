// Who may call a route and how a request proves who it is. Three levels: public (login, health,
// metrics, the OpenAPI document), annotator (any signed-in person, admins included) and admin.
// A request signs in with the session cookie that /login sets, or, for scripts, with
// `Authorization: Bearer <login token>`. State-changing requests that carry a cookie must also
// pass the Origin check (see `checkOrigin`): SameSite=Strict already keeps cross-site requests
// from carrying the cookie, and the Origin check is the second, independent defence.
import Foundation
import HTTP
import Store

/// What a route requires.
public enum Access: String, Sendable, CaseIterable {
    case `public`, annotator, admin
}

/// The signed-in annotator of a request.
public struct Principal: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var role: Role
    /// The session token when the request came with the cookie (logout deletes that session).
    public var sessionToken: String?
}

enum PrincipalKey: RequestContextKey { typealias Value = Principal }

extension Request {
    /// The signed-in annotator; only called by handlers of annotator or admin routes.
    var principal: Principal {
        guard let p = context[PrincipalKey.self] else { preconditionFailure("principal read on a public route: \(route ?? path)") }
        return p
    }
}

extension HiloApp {
    /// Finds the annotator behind the session cookie or bearer token, or nil; a session that ended
    /// because its annotator was disabled throws `disabledError` instead, so the tab can say so.
    func authenticate(_ request: Request) throws -> Principal? {
        let now = config.clock()
        if let auth = request.headers["Authorization"], auth.lowercased().hasPrefix("bearer ") {
            let token = String(auth.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            guard let a = try db.read({ try LoginLinks.durableAnnotator(token: token, $0) }) else { return nil }
            return Principal(id: a.id, name: a.name, role: a.role, sessionToken: nil)
        }
        guard let token = request.cookie(config.cookieName), !token.isEmpty, token.utf8.count <= 256 else { return nil }
        if let p = sessions.get(token, now: now) { return p }
        guard let (p, expiresAt) = try db.read({ try SessionCache.lookup($0, token: token, now: now) }) else {
            if try db.read({ try SessionRepository($0).endedByDisabling(token: token) }) { throw Self.disabledError }
            return nil
        }
        sessions.put(token, p, sessionExpiresAt: expiresAt, now: now)
        return p
    }

    /// What an open tab of a disabled annotator hears (the page shows these words instead of "not logged in").
    static let disabledError = HTTPError.unauthorized("Your account was disabled by an admin, so you are signed out. Your labels are kept. Ask an admin to enable you again.")

    /// The head check of a route of `access` (it runs before the body is read): the Origin check on
    /// state-changing methods, then sign-in (401 without) and role (403 for an annotator on an admin
    /// route). The principal goes into the request's context for the handler.
    func headCheck(_ access: Access, method: HTTPMethod) -> HeadCheck {
        let changesState = ![HTTPMethod.get, .head, .options].contains(method)
        return { [self] request in
            if changesState { try Self.checkOrigin(request) }
            guard access != .public else { return }
            let principal: Principal?
            do { principal = try authenticate(request) } catch let e as StoreError { throw HiloApp.httpError(e) }
            guard let principal else { throw HTTPError.unauthorized() }
            if access == .admin && principal.role != .admin { throw HTTPError.forbidden("admins only") }
            request.context[PrincipalKey.self] = principal
        }
    }

    /// A state-changing request must come from this server's own origin: Origin, serialized as
    /// browsers serialize it (RFC 6454 §6.1: lowercase `http://host[:port]`, no default port, no path),
    /// must equal `http://` + Host exactly; a browser that omits Origin must send a Referer whose
    /// origin part is that same string, followed by a path. Requests with a bearer token and no cookie
    /// are exempt: browsers never attach those by themselves, so they cannot be forged cross-site.
    static func checkOrigin(_ request: Request) throws(HTTPError) {
        if request.headers["Authorization"]?.lowercased().hasPrefix("bearer ") == true, request.headers["Cookie"] == nil { return }
        guard let host = request.headers["Host"]?.lowercased(), !host.isEmpty else {
            throw HTTPError.forbidden("cross-origin check failed: no Host header")
        }
        let expected = "http://" + Self.withoutDefaultPort(host)
        if let origin = request.headers["Origin"] {
            guard origin == expected else {
                throw HTTPError.forbidden("cross-origin check failed: Origin \"\(origin)\" is not this server's origin \"\(expected)\"")
            }
        } else if let referer = request.headers["Referer"] {
            guard referer.hasPrefix(expected), referer.utf8.dropFirst(expected.utf8.count).first == UInt8(ascii: "/") else {
                throw HTTPError.forbidden("cross-origin check failed: Referer does not start with this server's origin \"\(expected)/\"")
            }
        } else {
            throw HTTPError.forbidden("cross-origin check failed: a state-changing request needs an Origin or Referer header naming this server")
        }
    }

    /// "hilo.test:80" -> "hilo.test": how a browser serializes an http origin on the default port.
    static func withoutDefaultPort(_ host: String) -> String {
        host.hasSuffix(":80") ? String(host.dropLast(3)) : host
    }
}
