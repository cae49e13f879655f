// The route table in process: matching and specificity, parameters, 404 vs 405 with Allow, HEAD via
// GET, middleware order and context, and how handler errors become responses.
import Foundation
import TestHelpers
import Testing
@testable import HTTP

func body(_ r: Response) -> String {
    if case .bytes(let d) = r.body { return String(decoding: d, as: UTF8.self) }
    return ""
}

func get(_ router: Router, _ path: String, method: HTTPMethod = .get, headers: HTTPHeaders = HTTPHeaders()) async throws -> Response {
    let parts = path.split(separator: "?", maxSplits: 1)
    let request = try Request(method: method, path: String(parts[0]), query: parts.count > 1 ? String(parts[1]) : nil,
                              headers: headers)
    return await router.respond(to: request)
}

func echoRouter() -> Router {
    var r = Router()
    r.get("/api/v1/annotators") { _ in .text("list") }
    r.post("/api/v1/annotators") { _ in .text("create") }
    r.get("/api/v1/annotators/:id") { req in .text("one \(req.parameters["id"]!) \(req.route!)") }
    r.delete("/api/v1/annotators/:id") { _ in .noContent }
    r.get("/api/v1/annotators/me") { _ in .text("me") }
    r.get("/api/v1/tasks/:task/responses/:response") { req in
        .text("\(req.parameters["task"]!)/\(req.parameters["response"]!)")
    }
    r.get("/*path") { req in .text("static \(req.wildcard)") }
    return r
}

@Test func routerPrefersLiteralOverParameterOverCatchAll() async throws {
    let r = echoRouter()
    #expect(body(try await get(r, "/api/v1/annotators/me")) == "me")
    #expect(body(try await get(r, "/api/v1/annotators/42")) == "one 42 /api/v1/annotators/:id")
    #expect(body(try await get(r, "/api/v1/tasks/7/responses/b")) == "7/b")
    #expect(body(try await get(r, "/app.css")) == "static [\"app.css\"]")
    #expect(body(try await get(r, "/")) == "static [\"\"]")
}

@Test func routerDecodesParametersButKeepsEncodedSlashInOneSegment() async throws {
    let r = echoRouter()
    #expect(body(try await get(r, "/api/v1/annotators/a%20b")) == "one a b /api/v1/annotators/:id")
    #expect(body(try await get(r, "/x/a%2Fb")) == "static [\"x\", \"a/b\"]")
}

@Test func typedParameterConvertsOrGives400() async throws {
    var r = Router()
    r.get("/items/:id") { req in .text("item \(try req.parameter("id", as: Int64.self) + 1)") }
    #expect(body(try await get(r, "/items/41")) == "item 42")
    let bad = try await get(r, "/items/4x")
    #expect(bad.status == .badRequest)
    #expect(body(bad) == #"{"error":{"message":"invalid id in path"}}"#)
}

@Test func routerAnswers405WithAllowWhenOnlyTheMethodIsWrong() async throws {
    let r = echoRouter()
    let response = try await get(r, "/api/v1/annotators/5", method: .put)
    #expect(response.status == .methodNotAllowed)
    #expect(response.headers["Allow"] == "GET, DELETE, HEAD")
    #expect(body(response) == #"{"error":{"message":"method not allowed"}}"#)
}

@Test func routerAnswers404WhenNoPatternMatches() async throws {
    var r = Router()
    r.get("/healthz") { _ in .text("ok") }
    let response = try await get(r, "/nope")
    #expect(response.status == .notFound)
    #expect(response.headers["Content-Type"] == "application/json")
    #expect(body(response) == #"{"error":{"message":"not found"}}"#)
    #expect(try await get(r, "/healthz/").status == .notFound)   // a trailing slash is another path
    #expect(try await get(r, "/api/v1/annotators//x").status == .notFound)
}

@Test func routerRunsGetHandlerForHead() async throws {
    let r = echoRouter()
    let response = try await get(r, "/api/v1/annotators", method: .head)
    #expect(body(response) == "list")
}

@Test func routerListsRoutesForTheOpenAPICheck() {
    let routes = echoRouter().routes.map { "\($0.method) \($0.pattern)" }
    #expect(routes.contains("DELETE /api/v1/annotators/:id"))
    #expect(routes.contains("POST /api/v1/annotators"))
    #expect(routes.count == 7)
}

enum UserKey: RequestContextKey { typealias Value = String }

@Test func middlewareRunsInOrderAndCanStopOrDecorate() async throws {
    var r = Router()
    let requireUser: Middleware = { req, next in
        guard let name = req.headers["X-User"] else { throw HTTPError.unauthorized() }
        var req = req
        req.context[UserKey.self] = name
        return try await next(req)
    }
    let adminOnly: Middleware = { req, next in
        guard req.context[UserKey.self] == "admin" else { throw HTTPError.forbidden("admins only") }
        return try await next(req)
    }
    r.use(requireUser)
    r.use { req, next in
        var response = try await next(req)
        response.headers.add("X-Seen", "yes")
        return response
    }
    r.get("/me") { req in .text(req.context[UserKey.self] ?? "?") }
    r.get("/admin", middleware: [adminOnly]) { _ in .text("secret") }

    #expect(try await get(r, "/me").status == .unauthorized)
    let me = try await get(r, "/me", headers: ["X-User": "ann"])
    #expect(body(me) == "ann")
    #expect(me.headers["X-Seen"] == "yes")
    let denied = try await get(r, "/admin", headers: ["X-User": "ann"])
    #expect(denied.status == .forbidden)
    #expect(body(denied) == #"{"error":{"message":"admins only"}}"#)
    #expect(body(try await get(r, "/admin", headers: ["X-User": "admin"])) == "secret")
}

struct Boom: Error {}

@Test func thrownNonHTTPErrorBecomesGeneric500AndIsReported() async throws {
    var r = Router()
    r.get("/boom") { _ in throw Boom() }
    let reported = LockedBox<[String]>([])
    let request = try Request(method: .get, path: "/boom")
    let response = await r.respond(to: request) { error in reported.mutate { $0.append("\(error)") } }
    #expect(response.status == .internalServerError)
    #expect(body(response) == #"{"error":{"message":"internal server error"}}"#)
    #expect(reported.value == ["Boom()"])
}

@Test func httpErrorCarriesStatusMessageAndHeaders() async throws {
    var r = Router()
    r.get("/limited") { _ in throw HTTPError.tooManyRequests(retryAfter: 7) }
    r.get("/conflict") { _ in throw HTTPError.conflict("already \"judged\"") }
    let limited = try await get(r, "/limited")
    #expect(limited.status.code == 429)
    #expect(limited.headers["Retry-After"] == "7")
    #expect(body(try await get(r, "/conflict")) == #"{"error":{"message":"already \"judged\""}}"#)
}

@Test func requestParsesQueryAndCookies() throws {
    let r = try Request(method: .get, path: "/", query: "a=1&b=x+y&b=%C3%A9&flag",
                        headers: ["Cookie": "sid=abc; theme=\"dark\"", "cookie": "sid=other; bad name=1"])
    #expect(r.query["a"] == "1")
    #expect(r.query.values("b") == ["x y", "é"])
    #expect(r.query["flag"] == "")
    #expect(r.cookies == ["sid": "abc", "theme": "dark"])
    // One cookie looked up alone follows the same rules: first valid pair wins, quotes dropped.
    #expect(r.cookie("sid") == "abc")
    #expect(r.cookie("theme") == "dark")
    #expect(r.cookie("bad name") == nil)
    #expect(r.cookie("missing") == nil)
    let late = try Request(method: .get, path: "/", headers: ["Cookie": "a=1", "COOKIE": " junk; b = x ;sid=\"\"; sid=2"])
    #expect(late.cookie("sid") == late.cookies["sid"])
    #expect(late.cookie("sid") == "")
    #expect(late.cookie("b") == late.cookies["b"])
    #expect(late.cookie("a") == "1")
    // A header with non-ASCII bytes takes the dictionary path, with the same answers.
    let accented = try Request(method: .get, path: "/", headers: ["Cookie": "n=é; m=\"q\"; n=2"])
    #expect(accented.cookie("n") == "é" && accented.cookie("m") == "q" && accented.cookie("z") == nil)
}

@Test func contentTypeIsTheLowercasedMediaTypeWithoutParametersOrBlanks() throws {
    func type(_ value: String) throws -> String? {
        try Request(method: .post, path: "/", headers: ["Content-Type": value]).contentType
    }
    #expect(try type("Application/JSON; charset=utf-8") == "application/json")
    #expect(try type(" \ttext/plain\t ") == "text/plain")
    #expect(try type("application/json") == "application/json")
    // Empty values and a bare parameter give an empty type instead of trapping on an empty split.
    #expect(try type("") == "")
    #expect(try type(";charset=utf-8") == "")
    // Non-ASCII goes through Foundation's Unicode trimming (a no-break space is trimmed too).
    #expect(try type("\u{00A0}Text/Ä") == "text/ä")
    #expect(try Request(method: .post, path: "/").contentType == nil)
}

@Test func requestRejectsInvalidUTF8AndNULInPathOrQuery() {
    #expect(throws: HTTPError.self) { try Request(method: .get, path: "/%FF") }
    #expect(throws: HTTPError.self) { try Request(method: .get, path: "/a%00b") }
    #expect(throws: HTTPError.self) { try Request(method: .get, path: "/", query: "q=%C3") }
}

@Test func setCookieHasSafeDefaults() {
    #expect(SetCookie(name: "sid", value: "t0k3n").headerValue == "sid=t0k3n; Path=/; HttpOnly; SameSite=Strict")
    #expect(SetCookie.expired("sid").headerValue == "sid=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict")
    var response = Response.noContent
    response.setCookie(SetCookie(name: "a", value: "1", maxAge: 60, secure: true))
    #expect(response.headers.values("Set-Cookie") == ["a=1; Path=/; Max-Age=60; Secure; HttpOnly; SameSite=Strict"])
}

struct Judgment: Codable, Equatable { var choice: String; var seconds: Int }

@Test func decodeMapsMediaTypeSyntaxAndShapeErrorsToStatuses() throws {
    func request(_ json: String, type: String = "application/json; charset=utf-8") throws -> Request {
        try Request(method: .post, path: "/", headers: ["Content-Type": type], body: .bytes(Data(json.utf8)))
    }
    #expect(try request(#"{"choice":"a","seconds":3}"#).decode(Judgment.self) == Judgment(choice: "a", seconds: 3))
    func status(_ r: Request) -> Int {
        do { _ = try r.decode(Judgment.self); return 200 } catch let e as HTTPError { return e.status.code } catch { return 0 }
    }
    #expect(status(try request("{}", type: "text/plain")) == 415)
    #expect(status(try request("{not json")) == 400)
    #expect(status(try request("")) == 400)
    #expect(status(try request(#"{"choice":"a"}"#)) == 422)
    #expect(status(try request(#"{"choice":1,"seconds":3}"#)) == 422)
}

@Test func jsonResponseEncodesWithContentType() throws {
    let r = try Response.json(["status": "ok"], status: .created)
    #expect(r.status == .created)
    #expect(r.headers["content-type"] == "application/json")
    #expect(body(r) == #"{"status":"ok"}"#)
}
