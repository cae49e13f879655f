// The errors the engine throws for bad input: files, configs, tokenizers and data.
// Programmer errors (mismatched buffer sizes inside the engine) are preconditions instead.
import Foundation
import Support

public enum EngineError: Error, CustomStringConvertible, Equatable {
    /// A config.json value that cannot describe a model.
    case invalidConfig(String)
    /// A model type or architecture the engine does not run (yet), e.g. "llama".
    case unsupportedArchitecture(String)
    /// A file that is missing, truncated or malformed; the path and what is wrong.
    case badFile(path: String, reason: String)
    /// Anything else the caller passed in that cannot be used.
    case invalidInput(String)

    public var description: String {
        switch self {
        case .invalidConfig(let why): return "invalid model config: \(why)"
        case .unsupportedArchitecture(let name):
            return "unsupported architecture '\(name)': Hilo runs GPT-2-family models (model_type \"gpt2\") only"
        case .badFile(let path, let reason): return "\(path): \(reason)"
        case .invalidInput(let why): return why
        }
    }
}

extension EngineError {
    /// Runs `body`, which writes through Support's AtomicFile, and reports a failed write as the
    /// engine's `badFile` (the same "path: reason" text).
    static func writingFiles<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as AtomicFileError { throw EngineError.badFile(path: e.path, reason: e.reason) }
    }
}
