// A reward function as any program (TRL's reward-function contract, in any language): Hilo runs the
// command with /bin/sh once per generation batch, writes one JSON object per sample on its standard input
//     {"prompt": …, "completion": "…", <every other column of the prompt row>}
// closes it, and reads one line per sample from its standard output: a number, or `null` for "no reward".
// A program that cannot start, exits non-zero, runs past the timeout, or answers a line that is not a
// number or null, or the wrong number of lines, stops the run with an error naming the command, the line
// and the sample, and the program's stderr.
import Foundation

public final class RewardProgram: RewardFunction {
    public let name: String
    /// The shell command line.
    public let command: String
    /// Seconds one batch may take.
    public let timeout: Double

    public init(command: String, name: String? = nil, timeout: Double = 120) throws {
        guard !command.trimmingCharacters(in: .whitespaces).isEmpty else { throw EngineError.invalidInput("the reward program's command is empty") }
        guard timeout > 0 else { throw EngineError.invalidInput("the reward program's timeout must be positive, got \(timeout)") }
        self.command = command; self.timeout = timeout
        self.name = name ?? String(command.split(separator: " ").first.map { ($0 as Substring).split(separator: "/").last ?? $0 } ?? "program")
    }

    /// The standard input for `samples`: one JSON object a line.
    static func input(_ samples: [RewardSample]) throws -> Data {
        var out = Data()
        for s in samples {
            var object = (try? JSONSerialization.jsonObject(with: s.prompt.row)) as? [String: Any] ?? ["prompt": s.prompt.text]
            object["completion"] = s.completion
            out.append(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            out.append(0x0A)
        }
        return out
    }

    /// Parses the program's standard output: exactly `count` lines, each a number or null.
    static func parse(_ output: Data, count: Int, command: String, samples: [RewardSample]) throws -> [Double?] {
        var lines = String(decoding: output, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard lines.count == count else {
            throw EngineError.invalidInput("reward program `\(command)` answered \(lines.count) lines for \(count) samples (one number or null per line expected)")
        }
        return try lines.enumerated().map { i, raw in
            let t = raw.trimmingCharacters(in: .whitespaces)
            if t == "null" { return nil }
            guard let v = Double(t), v.isFinite else {
                let prompt = samples[i].prompt.text.suffix(60), completion = samples[i].completion.prefix(60)
                throw EngineError.invalidInput("reward program `\(command)` line \(i + 1): \"\(t.prefix(80))\" is not a number or null (sample \(i + 1): prompt …\(prompt.debugDescription), completion \(completion.debugDescription))")
            }
            return v
        }
    }

    public func rewards(_ samples: [RewardSample]) throws -> [Double?] {
        guard !samples.isEmpty else { return [] }
        let input = try Self.input(samples)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin; process.standardOutput = stdout; process.standardError = stderr
        signal(SIGPIPE, SIG_IGN)   // a program that stops reading must not kill Hilo
        do { try process.run() } catch {
            throw EngineError.invalidInput("reward program `\(command)` could not start: \(error)")
        }
        // Writing, reading stdout and reading stderr run at once, so no pipe fills up and blocks the others.
        let group = DispatchGroup()
        let out = LockedData(), err = LockedData()
        DispatchQueue.global().async(group: group) {
            // A program that exits without reading everything makes this fail with EPIPE: its exit status
            // and line count then tell what went wrong.
            try? stdin.fileHandleForWriting.write(contentsOf: input)
            try? stdin.fileHandleForWriting.close()
        }
        DispatchQueue.global().async(group: group) { out.set(stdout.fileHandleForReading.readDataToEndOfFile()) }
        DispatchQueue.global().async(group: group) { err.set(stderr.fileHandleForReading.readDataToEndOfFile()) }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2000) }
        if process.isRunning {
            // SIGTERM, then SIGKILL; the readers are not waited for (a child of the program may hold the pipes).
            process.terminate()
            let grace = Date().addingTimeInterval(1)
            while process.isRunning && Date() < grace { usleep(2000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            throw EngineError.invalidInput("reward program `\(command)` took more than \(Int(timeout)) s for \(samples.count) samples and was stopped\(Self.tail(err.get()))")
        }
        process.waitUntilExit()
        group.wait()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw EngineError.invalidInput("reward program `\(command)` failed (exit status \(process.terminationStatus)) on a batch of \(samples.count) samples, first prompt \(samples[0].prompt.text.suffix(60).debugDescription)\(Self.tail(err.get()))")
        }
        return try Self.parse(out.get(), count: samples.count, command: command, samples: samples)
    }

    /// The end of the program's stderr, for an error message.
    private static func tail(_ stderr: Data) -> String {
        let text = String(decoding: stderr.suffix(2000), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "" : "; its stderr: \(text)"
    }
}

/// Bytes one reader thread hands to another.
private final class LockedData: @unchecked Sendable {
    // The lock guards `data`.
    private let lock = NSLock()
    private var data = Data()
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}
