// The OpenAPI document: valid JSON, version 3.1, and exactly the routes of the route table with the
// access level each one has (a new route without documentation fails here).
import Foundation
import Testing
@testable import HTTP
@testable import Hilo

@Test func openAPIDocumentListsEveryRouteOfTheTableAndNothingElse() async throws {
    let t = try TestApp()
    let r = try await t.call(.get, "/api/v1/openapi.json")
    #expect(r.status == 200 && r.headers["Content-Type"] == "application/json")
    let doc = try #require(try JSONSerialization.jsonObject(with: r.body) as? [String: Any])
    #expect(doc["openapi"] as? String == "3.1.0")
    let paths = try #require(doc["paths"] as? [String: [String: Any]])
    var documented: [String: String] = [:]
    for (path, ops) in paths {
        for (method, op) in ops { documented["\(method.uppercased()) \(path)"] = (op as? [String: Any])?["x-hilo-access"] as? String }
    }
    var routed: [String: String] = [:]
    for route in t.app.routeInfos() {
        let path = route.pattern.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
        routed["\(route.method) \(path)"] = route.access.rawValue
    }
    let missing = Set(routed.keys).subtracting(documented.keys).sorted()
    let extra = Set(documented.keys).subtracting(routed.keys).sorted()
    #expect(missing.isEmpty, "routes missing from the OpenAPI document: \(missing)")
    #expect(extra.isEmpty, "documented routes that do not exist: \(extra)")
    #expect(documented == routed, "access levels differ between the document and the route table")
}

@Test func openAPIReferencesResolve() throws {
    let text = String(decoding: OpenAPI.documentData, as: UTF8.self)
    let doc = try #require(try JSONSerialization.jsonObject(with: OpenAPI.documentData) as? [String: Any])
    let components = try #require(doc["components"] as? [String: [String: Any]])
    let regex = try NSRegularExpression(pattern: "\"#/components/(schemas|responses)/([A-Za-z0-9]+)\"")
    let matches = regex.matches(in: text, range: NSRange(text.startIndex..., in: text))
    #expect(matches.count > 20)
    for m in matches {
        let kind = String(text[Range(m.range(at: 1), in: text)!]), name = String(text[Range(m.range(at: 2), in: text)!])
        #expect(components[kind]?[name] != nil, "unresolved $ref #/components/\(kind)/\(name)")
    }
}
