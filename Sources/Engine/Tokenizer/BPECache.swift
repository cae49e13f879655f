// The cache of piece → ids that makes encoding whole datasets fast: most pieces ("the", " and",
// ",") repeat, so each is merged once. Keys are pieces of up to 15 bytes packed into two words;
// longer pieces are rare and just get merged. The table is open addressing over flat arrays with
// the ids in one arena, so a lookup allocates nothing and touches no reference counts. Bounded
// like `tokenizers`' cache: once full it stops taking new entries.

import Foundation

/// A bounded, thread-safe map from short pieces to their ids.
/// @unchecked Sendable: every stored var is only touched while holding `lock`.
final class BPECache: @unchecked Sendable {
    /// A piece of at most 15 bytes, its length in the top byte of `hi` (so `hi` is never 0).
    struct Key {
        var lo: UInt64
        var hi: UInt64

        @inline(__always)
        init?(_ p: UnsafeBufferPointer<UInt8>) {
            guard p.count <= 15, p.count > 0 else { return nil }
            var lo: UInt64 = 0, hi: UInt64 = UInt64(p.count) << 56
            for i in 0..<p.count {
                if i < 8 { lo |= UInt64(p[i]) << (8 * i) } else { hi |= UInt64(p[i]) << (8 * (i - 8)) }
            }
            self.lo = lo
            self.hi = hi
        }

        @inline(__always) var hash: Int {
            var h = (lo ^ (hi &* 0x9E37_79B9_7F4A_7C15)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 29
            return Int(truncatingIfNeeded: h)
        }
    }

    private let lock = NSLock()
    private var keyLo: [UInt64]
    private var keyHi: [UInt64]  // 0: empty slot
    private var spans: [UInt64]  // arena start << 32 | id count
    private var arena: [Int32] = []
    private var count = 0
    /// Why bounded: a stream of unique pieces (hashes, numbers) must not grow memory without end.
    let capacity: Int

    init(capacity: Int = 200_000) {
        self.capacity = capacity
        keyLo = Array(repeating: 0, count: 4096)
        keyHi = Array(repeating: 0, count: 4096)
        spans = Array(repeating: 0, count: 4096)
    }

    /// Appends the cached ids of `key` to `out`; false if the piece is not cached.
    @inline(__always)
    func lookup(_ key: Key, into out: inout [Int32]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let mask = keyHi.count - 1
        var i = key.hash & mask
        while true {
            let hi = keyHi[i]
            if hi == 0 { return false }
            if hi == key.hi && keyLo[i] == key.lo {
                let span = spans[i]
                let start = Int(span >> 32), n = Int(span & 0xFFFF_FFFF)
                for j in start..<(start + n) { out.append(arena[j]) }
                return true
            }
            i = (i + 1) & mask
        }
    }

    func insert(_ key: Key, _ ids: ArraySlice<Int32>) {
        lock.lock()
        defer { lock.unlock() }
        guard count < capacity, arena.count + ids.count < Int(UInt32.max) else { return }
        if 2 * (count + 1) > keyHi.count { grow() }
        let mask = keyHi.count - 1
        var i = key.hash & mask
        while keyHi[i] != 0 {
            if keyHi[i] == key.hi && keyLo[i] == key.lo { return }  // another thread got here first
            i = (i + 1) & mask
        }
        keyLo[i] = key.lo
        keyHi[i] = key.hi
        spans[i] = UInt64(arena.count) << 32 | UInt64(ids.count)
        arena.append(contentsOf: ids)
        count += 1
    }

    /// Doubles the table and re-inserts every entry (the arena stays as it is).
    private func grow() {
        let oldLo = keyLo, oldHi = keyHi, oldSpans = spans
        let size = keyHi.count * 2
        keyLo = Array(repeating: 0, count: size)
        keyHi = Array(repeating: 0, count: size)
        spans = Array(repeating: 0, count: size)
        let mask = size - 1
        for k in 0..<oldHi.count where oldHi[k] != 0 {
            var key = Key(empty: ())
            key.lo = oldLo[k]
            key.hi = oldHi[k]
            var i = key.hash & mask
            while keyHi[i] != 0 { i = (i + 1) & mask }
            keyLo[i] = oldLo[k]
            keyHi[i] = oldHi[k]
            spans[i] = oldSpans[k]
        }
    }
}

extension BPECache.Key {
    /// A blank key, filled in by `grow`.
    init(empty: Void) {
        lo = 0
        hi = 0
    }
}
