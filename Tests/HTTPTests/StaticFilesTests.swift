// Static files from a copy of Fixtures/public with symlinks added (one inside, two leading outside):
// content types, index.html, ETag and 304, and every way out of the root answered 404.
import Foundation
import Testing
@testable import HTTP

struct StaticFixture {
    let dir: URL
    let files: StaticFiles
    let router: Router

    init() throws {
        let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("hilo-static-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: fixtures, to: dir)
        let pub = dir.appendingPathComponent("public")
        try FileManager.default.createSymbolicLink(atPath: pub.appendingPathComponent("escape.txt").path,
                                                   withDestinationPath: "../outside.txt")
        try FileManager.default.createSymbolicLink(atPath: pub.appendingPathComponent("etc").path,
                                                   withDestinationPath: "/etc")
        try FileManager.default.createSymbolicLink(atPath: pub.appendingPathComponent("style.css").path,
                                                   withDestinationPath: "app.css")
        files = try StaticFiles(root: pub)
        var r = Router()
        r.get("/*path", files.handler)
        router = r
    }

    func get(_ path: String, headers: HTTPHeaders = HTTPHeaders()) async throws -> Response {
        try await HTTPTests.get(router, path, headers: headers)
    }
}

@Test func staticServesIndexAndContentTypes() async throws {
    let f = try StaticFixture()
    let root = try await f.get("/")
    #expect(root.status == .ok)
    #expect(root.headers["Content-Type"] == "text/html; charset=utf-8")
    #expect(body(root).contains("root index"))
    #expect(try await f.get("/app.css").headers["Content-Type"] == "text/css; charset=utf-8")
    #expect(try await f.get("/app.js").headers["Content-Type"] == "text/javascript; charset=utf-8")
    #expect(body(try await f.get("/sub/")) == "sub index\n")
    #expect(body(try await f.get("/sub")) == "sub index\n")
    #expect(body(try await f.get("/sub/page.txt")) == "plain text\n")
    #expect(body(try await f.get("/style.css")) == "body{color:red}\n")   // a symlink inside the root is fine
}

@Test func staticAnswers304WhenETagMatches() async throws {
    let f = try StaticFixture()
    let first = try await f.get("/app.css")
    let etag = try #require(first.headers["ETag"])
    #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""))
    let again = try await f.get("/app.css", headers: ["If-None-Match": "\"other\", W/\(etag)"])
    #expect(again.status == .notModified)
    #expect(again.headers["ETag"] == etag)
    #expect(body(again).isEmpty)
    #expect(try await f.get("/app.css", headers: ["If-None-Match": "\"stale\""]).status == .ok)
}

@Test("no way out of the root and no listings", arguments: [
    "/../outside.txt", "/%2e%2e/outside.txt", "/%2E%2E/%2e%2e/etc/passwd", "/sub/..%2F..%2Foutside.txt",
    "/sub%2F..%2F..%2Foutside.txt", "/escape.txt", "/etc/passwd", "/etc", "/.hidden", "/sub/./page.txt",
    "/empty-dir/", "/empty-dir", "/missing.css", "/sub//page.txt", "/a%5C..%5Coutside.txt", "/app.css%00.txt",
])
func staticRefusesTraversal(_ path: String) async throws {
    let f = try StaticFixture()
    let parts = path.split(separator: "?")
    let response: Response
    do {
        response = try await f.get(String(parts[0]))
    } catch let e as HTTPError {
        #expect(e.status == .badRequest, "\(path): \(e)")   // a NUL is refused while building the request
        return
    }
    #expect(response.status == .notFound, "\(path) gave \(response.status)")
    #expect(!body(response).contains("secret"))
}

@Test func staticRootMustExist() {
    #expect(throws: HTTPError.self) { try StaticFiles(root: URL(fileURLWithPath: "/no/such/dir")) }
}
