// Access control: the authorization matrix generated from the route table, login links (one-time
// for the first admin, durable for annotators), session cookies, logout, disabling, throttling of
// failed logins, and the Origin check on state-changing requests.
import Foundation
import Testing
@testable import HTTP
@testable import Hilo
@testable import Store

/// A concrete path for a route pattern (ids become 1).
func samplePath(_ pattern: String) -> String {
    pattern.split(separator: "/", omittingEmptySubsequences: false).map { $0.hasPrefix(":") ? "1" : String($0) }.joined(separator: "/")
}

@Test func routeTableAndAccessTableListTheSameRoutesSoNoRouteEscapesTheMatrix() throws {
    let t = try TestApp()
    let fromRouter = Set(t.router.routes.map { "\($0.method) \($0.pattern)" })
    let fromInfos = Set(t.app.routeInfos().map { "\($0.method) \($0.pattern)" })
    #expect(fromRouter == fromInfos)
    #expect(fromRouter.count > 20)
}

@Test func everyNonPublicRouteWithoutASessionGives401() async throws {
    let t = try TestApp()
    let guarded = t.app.routeInfos().filter { $0.access != .public }
    #expect(guarded.count >= 20)
    for route in guarded {
        let r = try await t.call(route.method, samplePath(route.pattern), json: route.method == .get ? nil : [String: Any]())
        #expect(r.status == 401, "\(route.method) \(route.pattern) gave \(r.status) without a session")
        let bad = try await t.call(route.method, samplePath(route.pattern), cookie: "not-a-session")
        #expect(bad.status == 401, "\(route.method) \(route.pattern) gave \(bad.status) with a forged cookie")
    }
}

@Test func everyAdminRouteWithAnAnnotatorSessionGives403AndAnnotatorRoutesLetThemIn() async throws {
    let t = try TestApp()
    try t.seedPrompts(2)
    let ann = try await t.user("ann")
    let admins = t.app.routeInfos().filter { $0.access == .admin }
    #expect(admins.count >= 9)
    for route in admins {
        let r = try await t.call(route.method, samplePath(route.pattern), json: route.method == .get ? nil : [String: Any](), cookie: ann.cookie)
        #expect(r.status == 403, "\(route.method) \(route.pattern) gave \(r.status) to an annotator")
    }
    for route in t.app.routeInfos() where route.access == .annotator && route.pattern != "/api/v1/logout" {
        let r = try await t.call(route.method, samplePath(route.pattern), json: route.method == .get ? nil : [String: Any](), cookie: ann.cookie)
        #expect(r.status != 401 && r.status != 403, "\(route.method) \(route.pattern) refused an annotator: \(r.status)")
    }
    // Nothing an annotator tried changed the database: still just the one annotator, no settings.
    #expect(try t.scalar("SELECT count(*) FROM annotators") == 1)
    #expect(try t.scalar("SELECT count(*) FROM settings") == 0)
}

@Test func firstStartCreatesOneAdminWhoseLinkWorksOnceAndIsStoredOnlyAsAHash() async throws {
    let t = try TestApp()
    let link = try #require(try t.app.bootstrap(baseURL: "http://hilo.test:8080"))
    #expect(link.hasPrefix("http://hilo.test:8080/login?token="))
    #expect(try t.app.bootstrap(baseURL: "http://hilo.test:8080") == nil, "a second start must not create another admin")
    let token = String(link.split(separator: "=")[1])
    #expect(token.count == 64)
    let admins = try t.db.read { try AnnotatorRepository($0).all() }
    #expect(admins.count == 1 && admins[0].role == .admin && admins[0].name == "admin")
    let stored = try t.db.read { try $0.prepare("SELECT token_hash FROM annotators").first { $0.blob(0) } }
    #expect(stored == Token.hash(token), "the token is stored as its SHA-256, never in clear")

    #expect(try await t.call(.head, "/login", query: "token=\(token)").headers["Set-Cookie"] == nil, "HEAD does not sign in")
    let first = try await t.call(.get, "/login", query: "token=\(token)")
    #expect(first.status == 303)
    #expect(first.headers["Location"] == "/")
    let cookie = try #require(first.headers["Set-Cookie"])
    #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"))
    let session = String(cookie.split(separator: ";")[0].split(separator: "=")[1])
    #expect(try await t.call(.get, "/api/v1/settings", cookie: session).status == 200, "the session is an admin's")

    let again = try await t.call(.get, "/login", query: "token=\(token)")
    #expect(again.status == 401, "the first admin link is one-time")
    let rotated = try t.db.read { try $0.prepare("SELECT token_hash FROM annotators").first { $0.blob(0) } }
    #expect(rotated != nil && rotated != Token.hash(token))
    #expect(try t.db.read { try LoginLinks.oneTimeHashes($0) }.isEmpty)
}

@Test func annotatorLinksAreDurableAndAdminCreatesThemOnceThroughTheAPI() async throws {
    let t = try TestApp()
    let admin = try await t.user("boss", role: .admin)
    let created = try await t.call(.post, "/api/v1/annotators", json: ["name": "ann"], cookie: admin.cookie)
    #expect(created.status == 201)
    let url = try #require(created.json["login_url"] as? String)
    #expect(url.hasPrefix("http://hilo.test:8080/login?token="))
    let token = String(url.split(separator: "=")[1])
    for _ in 0..<2 { #expect(try await t.call(.get, "/login", query: "token=\(token)").status == 303) }
    // JSON login (the UI's form) answers with who signed in.
    let json = try await t.call(.post, "/login", json: ["token": token])
    #expect(json.status == 200 && json.json["name"] as? String == "ann" && json.json["role"] as? String == "annotator")
    let list = try await t.call(.get, "/api/v1/annotators", cookie: admin.cookie)
    #expect(list.text.contains("\"ann\"") && !list.text.contains(token), "the token is never listed")
    #expect(try await t.call(.post, "/api/v1/annotators", json: ["name": "ann"], cookie: admin.cookie).status == 409)
    #expect(try await t.call(.post, "/api/v1/annotators", json: ["name": "  "], cookie: admin.cookie).status == 422)

    // A new link replaces the old one.
    let annID = created.json.dict("annotator").int("id")!
    let renewed = try await t.call(.post, "/api/v1/annotators/\(annID)/login-link", cookie: admin.cookie)
    #expect(renewed.status == 200)
    #expect(try await t.call(.get, "/login", query: "token=\(token)").status == 401)
    let newToken = String((renewed.json["login_url"] as! String).split(separator: "=")[1])
    #expect(try await t.call(.get, "/login", query: "token=\(newToken)").status == 303)
}

@Test func disablingAnAnnotatorEndsTheirSessionsAndLinkButKeepsTheirLabels() async throws {
    let t = try TestApp()
    try t.seedPrompts(1)
    let admin = try await t.user("boss", role: .admin)
    let ann = try await t.user("ann")
    let task = try #require(try await t.next(ann))
    #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: ann.cookie).status == 201)
    let r = try await t.call(.post, "/api/v1/annotators/\(ann.id)/disable", cookie: admin.cookie)
    #expect(r.status == 200 && r.json.dict("annotator")["disabled"] as? Bool == true)
    #expect(try t.scalar("SELECT count(*) FROM sessions WHERE annotator_id = ?", [.int(ann.id)]) == 0)
    #expect(try await t.call(.get, "/api/v1/me", cookie: ann.cookie).status == 401)
    #expect(try t.scalar("SELECT count(*) FROM judgments WHERE annotator_id = ?", [.int(ann.id)]) == 1)
    // The last admin cannot lock everyone out.
    let selfDisable = try await t.call(.post, "/api/v1/annotators/\(admin.id)/disable", cookie: admin.cookie)
    #expect(selfDisable.status == 409)
    #expect(try await t.call(.post, "/api/v1/annotators/\(ann.id)/enable", cookie: admin.cookie).status == 200)
    #expect(try await t.call(.post, "/api/v1/annotators/999/disable", cookie: admin.cookie).status == 404)
}

@Test func logoutDeletesTheSessionAndExpiresTheCookie() async throws {
    let t = try TestApp()
    let ann = try await t.user("ann")
    let out = try await t.call(.post, "/api/v1/logout", cookie: ann.cookie)
    #expect(out.status == 200)
    #expect(out.headers["Set-Cookie"]?.contains("Max-Age=0") == true)
    #expect(try t.scalar("SELECT count(*) FROM sessions") == 0)
    #expect(try await t.call(.get, "/api/v1/me", cookie: ann.cookie).status == 401)
}

@Test func sessionsExpireAfterTheConfiguredLifetime() async throws {
    let t = try TestApp { $0.sessionSeconds = 60 }
    let ann = try await t.user("ann")
    #expect(try await t.call(.get, "/api/v1/me", cookie: ann.cookie).status == 200)
    t.clock.advance(seconds: 61)
    #expect(try await t.call(.get, "/api/v1/me", cookie: ann.cookie).status == 401)
}

@Test func failedLoginsFromOneAddressAreThrottledWith429AndRetryAfter() async throws {
    let t = try TestApp { $0.loginFailuresPerWindow = 3; $0.loginWindowSeconds = 60 }
    for _ in 0..<3 { #expect(try await t.call(.get, "/login", query: "token=wrong", remote: "10.0.0.9").status == 401) }
    let blocked = try await t.call(.get, "/login", query: "token=wrong", remote: "10.0.0.9")
    #expect(blocked.status == 429)
    #expect(blocked.headers["Retry-After"] == "60")
    #expect(try await t.call(.get, "/login", query: "token=wrong", remote: "10.0.0.10").status == 401, "other addresses are not affected")
    t.clock.advance(seconds: 61)
    #expect(try await t.call(.get, "/login", query: "token=wrong", remote: "10.0.0.9").status == 401)
}

@Test func anEmptyOrParameterOnlyContentTypeOnLoginIs415InsteadOfATrap() async throws {
    // Before, `Content-Type:` (empty) split into no parts and indexing the first one trapped: one
    // unauthenticated POST /login stopped the whole server.
    let t = try TestApp()
    for type in ["", ";charset=utf-8", "  "] {
        let r = try await t.call(.post, "/login", raw: Data("{}".utf8), contentType: type)
        #expect(r.status == 415, "Content-Type \"\(type)\": \(r.text)")
    }
}

@Test func stateChangingRequestsFromAnotherOriginOrWithoutOriginAreRefused() async throws {
    let t = try TestApp()
    try t.seedPrompts(1)
    let ann = try await t.user("ann")
    let task = try #require(try await t.next(ann))
    let evil = try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: ann.cookie, origin: "http://evil.example")
    #expect(evil.status == 403 && evil.message.contains("cross-origin"))
    let none = try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: ann.cookie, origin: .some(nil))
    #expect(none.status == 403)
    let nullOrigin = try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: ann.cookie, origin: "null")
    #expect(nullOrigin.status == 403)
    let otherPort = try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: ann.cookie, origin: "http://hilo.test:9999")
    #expect(otherPort.status == 403)
    // The origin is compared as serialized, not by host and port: another scheme, an upper-case scheme,
    // a trailing slash or a path is not this server's origin (each passed the host-and-port check before).
    for origin in ["https://hilo.test:8080", "HTTP://hilo.test:8080", "http://hilo.test:8080/", "http://hilo.test:8080/evil"] {
        let r = try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: ann.cookie, origin: origin)
        #expect(r.status == 403 && r.message.contains("cross-origin"), "Origin \(origin)")
    }
    for referer in ["http://hilo.test:8080.evil.example/x", "https://hilo.test:8080/index.html", "http://hilo.test:8080"] {
        let r = try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: ann.cookie, origin: .some(nil),
                                 headers: [("Referer", referer)])
        #expect(r.status == 403, "Referer \(referer)")
    }
    let evilLogin = try await t.call(.post, "/login", json: ["token": "x"], origin: "http://evil.example")
    #expect(evilLogin.status == 403, "login CSRF is refused too")
    #expect(try t.scalar("SELECT count(*) FROM judgments") == 0, "no refused request wrote anything")
    // A same-origin Referer (a browser that omits Origin) is accepted.
    let referer = try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: ann.cookie, origin: .some(nil),
                                   headers: [("Referer", "http://hilo.test:8080/index.html")])
    #expect(referer.status == 201)
    #expect(try t.scalar("SELECT count(*) FROM judgments") == 1)
}

@Test func scriptsCanUseTheLoginTokenAsABearerTokenWithoutTheOriginCheck() async throws {
    let t = try TestApp()
    let now = t.clock.now
    let (_, token) = try t.db.write { try LoginLinks.create($0, name: "bot", role: .admin, now: now) }
    let r = try await t.call(.put, "/api/v1/settings", json: ["overlap": 3], origin: .some(nil), headers: [("Authorization", "Bearer \(token)")])
    #expect(r.status == 200)
    #expect(try t.db.read { try AppSettings.load($0) }.overlap == 3)
    #expect(try await t.call(.get, "/api/v1/me", headers: [("Authorization", "Bearer nope")]).status == 401)
    // The first admin's one-time link is not a bearer token (it would never be used up).
    let fresh = try TestApp()
    let link = try #require(try fresh.app.bootstrap(baseURL: "http://x"))
    let oneTime = String(link.split(separator: "=")[1])
    #expect(try await fresh.call(.get, "/api/v1/me", headers: [("Authorization", "Bearer \(oneTime)")]).status == 401)
}

@Test func anAnnotatorJudgesOnlyTheTaskTheyWereGivenAndThumbsOnlyWhatTheyWereShown() async throws {
    // Before, an annotator could judge any prompt by prompt_id (past the queue and its overlap limit)
    // and thumb any response by id. The page needs neither: it judges its lease and sends thumbs in it.
    let t = try TestApp()
    let ids = try t.seedPrompts(2)
    let ann = try await t.user("ann"), admin = try await t.user("boss", role: .admin)
    let task = try #require(try await t.next(ann))
    let other = ids.first { $0 != task.promptID }!
    let otherResponses = try t.db.read { try PromptRepository($0).responses(promptID: other) }.map(\.id)
    let byPrompt: [String: Any] = ["prompt_id": other, "kind": "pairwise", "idempotency_key": "direct",
                                   "ranks": [["response_id": otherResponses[0], "rank": 1], ["response_id": otherResponses[1], "rank": 2]]]
    let refused = try await t.call(.post, "/api/v1/judgments", json: byPrompt, cookie: ann.cookie)
    #expect(refused.status == 403 && refused.message.contains("lease_id"))
    let unseen = try await t.call(.post, "/api/v1/responses/\(otherResponses[0])/thumb", json: ["up": true], cookie: ann.cookie,
                                  headers: [("Idempotency-Key", "t-unseen")])
    #expect(unseen.status == 403 && unseen.message.contains("never shown to you"))
    #expect(try t.scalar("SELECT count(*) FROM judgments") == 0, "nothing refused was stored")
    // What the page does is allowed: a thumb on a response of the task, and the judgment of the lease.
    let seen = try await t.call(.post, "/api/v1/responses/\(task.responseIDs[0])/thumb", json: ["up": true], cookie: ann.cookie,
                                headers: [("Idempotency-Key", "t-seen")])
    #expect(seen.status == 201)
    #expect(try await t.call(.post, "/api/v1/judgments", json: pairwise(task), cookie: ann.cookie).status == 201)
    // An admin's script may still judge a prompt by id.
    #expect(try await t.call(.post, "/api/v1/judgments", json: byPrompt, cookie: admin.cookie).status == 201)
}
