// A Hugging Face config.json read as a dictionary: typed look-ups whose errors name the file and
// the field, with transformers' defaults for absent or null keys. GPT-2's and the Llama family's
// config readers both use it.
import Foundation

struct ConfigJSON {
    let url: URL
    let dict: [String: Any]
    /// "rope_scaling." for a nested object, so errors name the full field; "" at the top.
    var prefix = ""

    /// Reads and parses `url`; a missing, unreadable or non-object file is an error naming it.
    init(at url: URL) throws {
        self.url = url
        func bad(_ reason: String) -> EngineError { .badFile(path: url.path, reason: reason) }
        guard FileManager.default.fileExists(atPath: url.path) else { throw bad("no such file (a model folder needs config.json)") }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw bad("cannot read: \(error.localizedDescription)") }
        guard let json = try? JSONSerialization.jsonObject(with: data), let dict = json as? [String: Any] else {
            throw bad("not a JSON object")
        }
        self.dict = dict
    }

    init(url: URL, dict: [String: Any], prefix: String = "") { self.url = url; self.dict = dict; self.prefix = prefix }

    /// An error naming this file.
    func bad(_ reason: String) -> EngineError { .badFile(path: url.path, reason: reason) }

    /// Whether `key` is present and not null.
    func has(_ key: String) -> Bool { dict[key].map { !($0 is NSNull) } ?? false }

    /// An integer; token ids may be lists (several EOS tokens), whose first entry is taken.
    func int(_ key: String, default value: Int?) throws -> Int? {
        guard var v = dict[key], !(v is NSNull) else { return value }
        if key.hasSuffix("_token_id"), let list = v as? [Any] { guard let first = list.first else { return value }; v = first }
        guard let n = v as? NSNumber, !Self.isBool(n), n.doubleValue == n.doubleValue.rounded(), abs(n.doubleValue) < 1e15 else {
            throw bad("\(prefix)\(key) must be an integer, got \(v)")
        }
        return n.intValue
    }

    /// An integer that must be there.
    func requiredInt(_ key: String) throws -> Int {
        guard let n = try int(key, default: nil) else { throw bad("missing field \(prefix)\(key)") }
        return n
    }

    func number(_ key: String, default value: Double) throws -> Double {
        guard let v = dict[key], !(v is NSNull) else { return value }
        guard let n = v as? NSNumber, !Self.isBool(n) else { throw bad("\(prefix)\(key) must be a number, got \(v)") }
        return n.doubleValue
    }

    func flag(_ key: String, default value: Bool) throws -> Bool {
        guard let v = dict[key], !(v is NSNull) else { return value }
        guard let n = v as? NSNumber, Self.isBool(n) else { throw bad("\(prefix)\(key) must be true or false, got \(v)") }
        return n.boolValue
    }

    func string(_ key: String, default value: String?) throws -> String? {
        guard let v = dict[key], !(v is NSNull) else { return value }
        guard let s = v as? String else { throw bad("\(prefix)\(key) must be a string, got \(v)") }
        return s
    }

    /// A nested object (rope_parameters, rope_scaling), as a reader whose errors name `key.field`.
    func object(_ key: String) throws -> ConfigJSON? {
        guard let v = dict[key], !(v is NSNull) else { return nil }
        guard let d = v as? [String: Any] else { throw bad("\(prefix)\(key) must be an object, got \(v)") }
        return ConfigJSON(url: url, dict: d, prefix: prefix + key + ".")
    }

    /// `architectures`: a list of strings, or nil when absent.
    func architectures() throws -> [String]? {
        guard has("architectures") else { return nil }
        guard let a = dict["architectures"] as? [String] else { throw bad("architectures must be a list of strings") }
        return a
    }

    private static func isBool(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }
}
