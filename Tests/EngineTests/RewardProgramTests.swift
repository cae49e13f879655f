// Reward programs (RewardProgram) and the weighted sum of reward sources: the JSONL a program reads
// (prompt, completion, and the prompt row's other columns), numbers and null back, and a clear error
// naming the line or the sample for a program that answers badly, fails, or is too slow.
import Foundation
import Testing
@testable import Engine

@Suite struct RewardProgramTests {
    private func sample(_ prompt: String, _ completion: String, row: [String: Any]? = nil) throws -> RewardSample {
        let data = try row.map { try JSONSerialization.data(withJSONObject: $0) }
        return RewardSample(prompt: GroupPrompt(text: prompt, row: data), completion: completion, promptIds: [1],
                            completionIds: [2], endedWithEOS: true)
    }

    private func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    @Test func aProgramReadsPromptCompletionAndExtraColumnsAndAnswersNumbersOrNull() throws {
        // 1 when the completion contains the row's "answer", 0 when not, null without an answer column.
        let script = #"while IFS= read -r l; do case "$l" in *'"answer"'*) a=$(printf %s "$l" | sed 's/.*"answer":"\([^"]*\)".*/\1/'); c=$(printf %s "$l" | sed 's/.*"completion":"\([^"]*\)".*/\1/'); case "$c" in *"$a"*) echo 1;; *) echo 0.0;; esac;; *) echo null;; esac; done"#
        let p = try RewardProgram(command: script)
        let samples = [try sample("Q1", " it is 4", row: ["prompt": "Q1", "answer": "4"]),
                       try sample("Q1", " it is 5", row: ["prompt": "Q1", "answer": "4"]),
                       try sample("Q2", " anything")]
        let r = try p.rewards(samples)
        #expect(r == [1, 0, nil])
        let input = String(decoding: try RewardProgram.input([samples[0]]), as: UTF8.self)
        #expect(input == #"{"answer":"4","completion":" it is 4","prompt":"Q1"}"# + "\n")
    }

    @Test func aLineThatIsNotANumberIsNamedWithItsSample() throws {
        let p = try RewardProgram(command: "printf '1\\nabc\\n'")
        let m = message { _ = try p.rewards([try sample("first", "a"), try sample("second prompt", "b")]) }
        #expect(m.contains("line 2") && m.contains("\"abc\"") && m.contains("second prompt") && m.contains("\"b\""), "\(m)")
    }

    @Test func theWrongNumberOfLinesIsRefused() throws {
        let p = try RewardProgram(command: "echo 1")
        let m = message { _ = try p.rewards([try sample("a", "x"), try sample("b", "y")]) }
        #expect(m.contains("answered 1 lines for 2 samples"), "\(m)")
    }

    @Test func aFailingProgramStopsWithItsStderr() throws {
        let p = try RewardProgram(command: "cat > /dev/null; echo 'no model here' >&2; exit 3")
        let m = message { _ = try p.rewards([try sample("a", "x")]) }
        #expect(m.contains("exit status 3") && m.contains("no model here"), "\(m)")
    }

    @Test func aSlowProgramIsStoppedAtTheTimeout() throws {
        let p = try RewardProgram(command: "sleep 30", timeout: 0.5)
        let started = Date()
        let m = message { _ = try p.rewards([try sample("a", "x")]) }
        #expect(m.contains("took more than") && Date().timeIntervalSince(started) < 10, "\(m)")
    }

    @Test func aProgramThatExitsWithoutReadingItsInputStillReportsClearly() throws {
        // 2000 samples fill the pipe; the program answers without reading them.
        let p = try RewardProgram(command: "exit 0")
        let samples = try (0..<2000).map { try sample("prompt \($0) " + String(repeating: "x", count: 100), "c") }
        let m = message { _ = try p.rewards(samples) }
        #expect(m.contains("answered 0 lines for 2000 samples"), "\(m)")
    }

    @Test func weightedSourcesSumWhereTheyScoredAndStayMissingWhereNoneDid() throws {
        let a = ClosureReward(name: "a") { s in s.map { $0.completion == "x" ? 1 : nil } }
        let b = ClosureReward(name: "b") { s in s.map { $0.completion == "z" ? nil : 2 } }
        let w = try WeightedRewards([(a, 0.5), (b, -1)])
        let (r, m) = try w([try sample("p", "x"), try sample("p", "y"), try sample("p", "z")])
        #expect(r == [0.5 - 2, -2, nil])
        #expect(m["rewards/a/mean"] == 1 && m["rewards/b/mean"] == 2)
        let bad = ClosureReward(name: "bad") { s in s.map { _ in .infinity } }
        #expect(throws: EngineError.self) { _ = try WeightedRewards([(bad, 1)])([try sample("p", "x")]) }
        #expect(throws: EngineError.self) { _ = try WeightedRewards([]) }
    }
}
