// Decoding a JSON request body with Codable, mapping each failure to its status:
// wrong media type 415, syntax error 400, right syntax but wrong shape or values 422.
import Foundation

extension Request {
    public func decode<T: Decodable>(_ type: T.Type = T.self, decoder: JSONDecoder = JSONDecoder()) throws -> T {
        guard contentType == "application/json" else {
            throw HTTPError(.unsupportedMediaType, "expected Content-Type: application/json")
        }
        let data: Data
        do { data = try body.data() } catch { throw HTTPError(.internalServerError, "could not read the request body") }
        guard !data.isEmpty else { throw HTTPError(.badRequest, "empty request body; expected JSON") }
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            switch error {
            case .dataCorrupted(let context) where context.codingPath.isEmpty:
                throw HTTPError(.badRequest, "malformed JSON")
            case .dataCorrupted(let c), .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c):
                let path = c.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
                let detail: String
                switch error {
                case .keyNotFound(let key, _): detail = "missing field \(path.isEmpty ? "" : path + ".")\(key.stringValue)"
                case .typeMismatch: detail = "wrong type at \(path)"
                case .valueNotFound: detail = "missing value at \(path)"
                default: detail = "invalid value at \(path)"
                }
                throw HTTPError(.unprocessableContent, detail)
            @unknown default:
                throw HTTPError(.unprocessableContent, "invalid JSON body")
            }
        }
    }
}
