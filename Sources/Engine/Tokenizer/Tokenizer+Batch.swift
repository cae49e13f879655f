// Encoding many texts at once (dataset import, pretraining corpora) on several threads. The
// tokenizer is immutable apart from its locked piece cache, so threads share it as it is.

import Foundation

extension Tokenizer {
    /// The ids of each text, in order, encoded on up to `threads` threads.
    public func encode(batch texts: [String], allowSpecialTokens: Bool = true,
                       threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> [[Int]] {
        let workers = max(1, min(threads, texts.count))
        if workers == 1 { return texts.map { encode($0, allowSpecialTokens: allowSpecialTokens) } }
        let results = BatchResults(count: texts.count)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            // Interleaved so that long and short texts spread evenly over the workers.
            for i in stride(from: w, to: texts.count, by: workers) {
                results.set(i, encode(texts[i], allowSpecialTokens: allowSpecialTokens))
            }
        }
        return results.values
    }
}

/// One slot per text, each written by exactly one worker.
/// @unchecked Sendable: `slots` is only touched while holding `lock`.
private final class BatchResults: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [[Int]]

    init(count: Int) { slots = Array(repeating: [], count: count) }

    func set(_ i: Int, _ ids: [Int]) {
        lock.lock()
        slots[i] = ids
        lock.unlock()
    }

    var values: [[Int]] {
        lock.lock()
        defer { lock.unlock() }
        return slots
    }
}
