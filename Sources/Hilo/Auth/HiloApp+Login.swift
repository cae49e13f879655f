// Signing in and out. GET /login?token=… (the link) and POST /login (a form or JSON with the token)
// check the login token, create a session (random token in an HttpOnly, SameSite=Strict cookie,
// its hash in `sessions`) and send the browser to the UI. Failures are throttled per address; a
// browser gets a page saying why the link was refused (LoginRefusalPage), a script the same words as JSON.
import Foundation
import HTTP
import Store

extension HiloApp {
    func login(_ request: Request, token: String?, redirect: Bool) async throws -> HTTP.Response {
        let now = config.clock()
        try limiter.check(request.remoteAddress, now: now)
        guard let token, !token.isEmpty else { throw HTTPError.badRequest("missing token") }
        let sessionToken = Token.generate()
        let ttlMs = Int64(config.sessionSeconds) * 1000
        let annotator: Annotator? = try await writer.write { c in
            guard let a = try LoginLinks.consume(c, token: token, now: now) else { return nil }
            try SessionRepository(c).create(token: sessionToken, annotatorID: a.id, now: now, ttlMs: ttlMs)
            if Int.random(in: 0..<64) == 0 { try SessionRepository(c).deleteExpired(now: now) }
            return a
        }
        guard let annotator else {
            limiter.recordFailure(request.remoteAddress, now: now)
            let refusal = try db.read { c in try LoginLinks.refusal(c, token: token) }
            if redirect { return LoginRefusalPage.response(refusal) }
            let (title, text) = LoginRefusalPage.words(refusal)
            throw HTTPError.unauthorized(title + ". " + text)
        }
        var response = redirect
            ? HTTP.Response.redirect(to: config.afterLoginPath)
            : try API.json(MeDTO(id: annotator.id, name: annotator.name, role: annotator.role.rawValue))
        response.setCookie(SetCookie(name: config.cookieName, value: sessionToken, path: "/", maxAge: config.sessionSeconds,
                                     secure: config.secureCookie, httpOnly: true, sameSite: .strict))
        return response
    }

    /// POST /login: JSON {"token": …} answers with the annotator; a form post redirects like the link.
    func loginPost(_ request: Request) async throws -> HTTP.Response {
        switch request.contentType {
        case "application/json":
            struct Body: Decodable { var token: String }
            let body = try request.decode(Body.self)
            return try await login(request, token: body.token, redirect: false)
        case "application/x-www-form-urlencoded":
            let text = String(decoding: try request.body.data(), as: UTF8.self)
            guard let form = QueryParameters(encoded: text) else { throw HTTPError.badRequest("malformed form body") }
            return try await login(request, token: form["token"], redirect: true)
        default:
            throw HTTPError(.unsupportedMediaType, "expected Content-Type: application/json or application/x-www-form-urlencoded")
        }
    }

    func logout(_ request: Request) async throws -> HTTP.Response {
        if let token = request.principal.sessionToken {
            sessions.remove(token)
            try await writer.write { c in try SessionRepository(c).delete(token: token) }
        }
        var response = try API.json(["ok": true])
        response.setCookie(SetCookie(name: config.cookieName, value: "", path: "/", maxAge: 0,
                                     secure: config.secureCookie, httpOnly: true, sameSite: .strict))
        return response
    }
}
