// The cache of piece → ids that makes encoding whole datasets fast: most pieces ("the", " and",
// ",") repeat, so each is merged once. Keys are pieces of up to 15 bytes packed into two words
// (no allocation per lookup); longer pieces are rare and just get merged. Bounded like
// `tokenizers`' cache: once full it stops taking new entries.

import Foundation

/// A bounded, thread-safe map from short pieces to their ids.
/// @unchecked Sendable: `entries` is only touched while holding `lock`.
final class BPECache: @unchecked Sendable {
    /// A piece of at most 15 bytes, its length in the top byte of `hi`.
    struct Key: Hashable {
        var lo: UInt64
        var hi: UInt64

        @inline(__always)
        init?(_ p: UnsafeBufferPointer<UInt8>) {
            guard p.count <= 15 else { return nil }
            var lo: UInt64 = 0, hi: UInt64 = UInt64(p.count) << 56
            for i in 0..<p.count {
                if i < 8 { lo |= UInt64(p[i]) << (8 * i) } else { hi |= UInt64(p[i]) << (8 * (i - 8)) }
            }
            self.lo = lo
            self.hi = hi
        }
    }

    private let lock = NSLock()
    private var entries: [Key: [Int32]] = [:]
    /// Why bounded: a stream of unique pieces (hashes, numbers) must not grow memory without end.
    let capacity: Int

    init(capacity: Int = 200_000) {
        self.capacity = capacity
    }

    @inline(__always)
    func lookup(_ key: Key, into out: inout [Int32]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let ids = entries[key] else { return false }
        out.append(contentsOf: ids)
        return true
    }

    func insert(_ key: Key, _ ids: [Int32]) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count < capacity { entries[key] = ids }
    }
}
