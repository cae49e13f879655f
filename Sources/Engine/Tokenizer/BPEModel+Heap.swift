// The merge loop for long pieces: symbols in a doubly linked list and candidate merges in a
// binary min-heap keyed on (rank, position), so each merge costs O(log n). Stale heap entries
// (a symbol already merged away, or a neighbour that changed) are skipped when popped.

extension BPEModel {
    func mergeByHeap(_ symbols: inout [Int32]) {
        let n = symbols.count
        var prev = [Int](0..<n).map { $0 - 1 }
        var next = [Int](0..<n).map { $0 + 1 < n ? $0 + 1 : -1 }
        var alive = [Bool](repeating: true, count: n)
        // Heap entries: rank << 32 | position (positions fit in 32 bits for any real input).
        var heap = BinaryHeap<UInt64>()
        for i in 0..<(n - 1) {
            if let m = merge(symbols[i], symbols[i + 1]) { heap.push(UInt64(m.rank) << 32 | UInt64(i)) }
        }
        while let top = heap.pop() {
            let pos = Int(top & 0xFFFF_FFFF)
            let rank = UInt32(top >> 32)
            guard alive[pos], next[pos] >= 0 else { continue }
            let right = next[pos]
            guard let m = merge(symbols[pos], symbols[right]), m.rank == rank else { continue }
            symbols[pos] = m.id
            alive[right] = false
            next[pos] = next[right]
            if next[pos] >= 0 { prev[next[pos]] = pos }
            if prev[pos] >= 0, let l = merge(symbols[prev[pos]], symbols[pos]) {
                heap.push(UInt64(l.rank) << 32 | UInt64(prev[pos]))
            }
            if next[pos] >= 0, let r = merge(symbols[pos], symbols[next[pos]]) {
                heap.push(UInt64(r.rank) << 32 | UInt64(pos))
            }
        }
        var out: [Int32] = []
        out.reserveCapacity(n)
        var i = 0
        while i >= 0 && i < n { out.append(symbols[i]); i = next[i] }
        symbols = out
    }
}

/// Heap keys: rank << 32 | position, smallest first.
extension UInt64: HeapOrdered {
    @inline(__always) static func before(_ x: UInt64, _ y: UInt64) -> Bool { x < y }
}
