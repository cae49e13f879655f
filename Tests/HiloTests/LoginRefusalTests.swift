// A refused login link answers a browser with a Hilo page saying what happened and what to do (a
// wrong link, a one-time link already used, a replaced link, a disabled account), a script with the
// same words as JSON; an open session of a disabled annotator hears "disabled", not "sign in";
// login links start with `server.public_url`, which follows the address the server listened on.
import Foundation
import Testing
@testable import HTTP
@testable import Hilo
@testable import Store

private func refusalPage(_ t: TestApp, token: String) async throws -> (status: Int, reason: String?, text: String) {
    let r = try await t.call(.get, "/login", query: "token=\(token)")
    #expect(r.headers["Content-Type"] == "text/html; charset=utf-8", "a page, not JSON")
    let reason = r.text.range(of: #"data-reason="[a-z]+""#, options: .regularExpression).map { String(r.text[$0].dropFirst(13).dropLast()) }
    return (r.status, reason, r.text)
}

@Test func aWrongLinkShowsAPageNamingTheAdminCommandForANewLink() async throws {
    let t = try TestApp()
    let page = try await refusalPage(t, token: "not-a-token")
    #expect(page.status == 401 && page.reason == "unknown")
    #expect(page.text.contains("This login link does not work") && page.text.contains("hilo annotators link NAME"))
    #expect(page.text.contains("<link rel=\"stylesheet\" href=\"/app.css\">"))
}

@Test func aUsedOneTimeLinkAndAReplacedLinkSayWhatHappened() async throws {
    let t = try TestApp()
    let now = t.clock.now
    let (_, once) = try t.db.write { try LoginLinks.create($0, name: "root", role: .admin, oneTime: true, now: now) }
    #expect(try await t.call(.get, "/login", query: "token=\(once)").status == 303)
    let used = try await refusalPage(t, token: once)
    #expect(used.status == 401 && used.reason == "used" && used.text.contains("This login link was already used"))

    let (ann, old) = try t.db.write { try LoginLinks.create($0, name: "ann", role: .annotator, now: now) }
    let fresh = try t.db.write { try LoginLinks.renew($0, annotatorID: ann.id, now: now) }
    let replaced = try await refusalPage(t, token: old)
    #expect(replaced.status == 401 && replaced.reason == "replaced" && replaced.text.contains("replaced"))
    #expect(try await t.call(.get, "/login", query: "token=\(fresh)").status == 303, "the new link works")
}

@Test func aDisabledAnnotatorsLinkAndOpenTabAreToldTheyWereDisabled() async throws {
    let t = try TestApp()
    let now = t.clock.now
    let admin = try await t.user("boss", role: .admin)
    let (ann, token) = try t.db.write { try LoginLinks.create($0, name: "ann <b>", role: .annotator, now: now) }
    let login = try await t.call(.get, "/login", query: "token=\(token)")
    let cookie = String(try #require(login.headers.values("Set-Cookie").first).split(separator: ";")[0].split(separator: "=", maxSplits: 1)[1])
    #expect(try await t.call(.get, "/api/v1/me", cookie: cookie).status == 200)

    #expect(try await t.call(.post, "/api/v1/annotators/\(ann.id)/disable", json: [String: Any](), cookie: admin.cookie).status == 200)
    let tab = try await t.call(.get, "/api/v1/me", cookie: cookie)
    #expect(tab.status == 401 && (tab.json.dict("error")["message"] as? String ?? "").contains("disabled by an admin"), "\(tab.text)")
    let page = try await refusalPage(t, token: token)
    #expect(page.status == 401 && page.reason == "disabled")
    #expect(page.text.contains("Your account is disabled") && page.text.contains("ann &lt;b&gt;"), "the name, escaped")
    let json = try await t.call(.post, "/login", json: ["token": token])
    #expect(json.status == 401 && (json.json.dict("error")["message"] as? String ?? "").hasPrefix("Your account is disabled"))

    // Enabling lets the link sign in again; the session the disabling ended stays ended.
    #expect(try await t.call(.post, "/api/v1/annotators/\(ann.id)/enable", json: [String: Any](), cookie: admin.cookie).status == 200)
    let after = try await t.call(.get, "/api/v1/me", cookie: cookie)
    #expect(after.status == 401 && (after.json.dict("error")["message"] as? String) == "sign in required")
    #expect(try t.scalar("SELECT count(*) FROM sessions WHERE annotator_id = ?", [.int(ann.id)]) == 0)
    #expect(try await t.call(.get, "/login", query: "token=\(token)").status == 303)
}

@Test func thePublicURLFollowsTheListeningAddressUntilAnAdminSetsIt() async throws {
    let t = try TestApp()
    let admin = try await t.user("boss", role: .admin)
    let base = { try t.db.read { try LoginLinks.publicBase($0) } }
    #expect(try base() == "http://127.0.0.1:8080", "nothing recorded yet")
    try t.app.recordListening(url: "http://127.0.0.1:9123")
    #expect(try base() == "http://127.0.0.1:9123")
    try t.app.recordListening(url: "http://0.0.0.0:9200")
    #expect(try base() == "http://0.0.0.0:9200", "a new port moves the default along")
    let made = try await t.call(.post, "/api/v1/annotators", json: ["name": "ann"], cookie: admin.cookie)
    #expect((made.json["login_url"] as? String ?? "").hasPrefix("http://hilo.test:8080/login?token="), "not chosen: the Host the admin used")

    let set = try await t.call(.put, "/api/v1/settings", json: ["server": ["public_url": "https://label.example.org"]], cookie: admin.cookie)
    #expect(set.status == 200 && set.json.dict("server")["public_url"] as? String == "https://label.example.org")
    try t.app.recordListening(url: "http://127.0.0.1:9300")
    #expect(try base() == "https://label.example.org", "a chosen address survives restarts")
    let made2 = try await t.call(.post, "/api/v1/annotators", json: ["name": "bob"], cookie: admin.cookie)
    #expect((made2.json["login_url"] as? String ?? "").hasPrefix("https://label.example.org/login?token="))
    let bad = try await t.call(.put, "/api/v1/settings", json: ["server": ["public_url": "label.example.org"]], cookie: admin.cookie)
    #expect(bad.status == 422 && bad.text.contains("server.public_url"))
}
