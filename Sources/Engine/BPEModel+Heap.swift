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
        var heap = BPEMergeHeap()
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

/// A binary min-heap of UInt64 keys.
struct BPEMergeHeap {
    private var items: [UInt64] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ x: UInt64) {
        items.append(x)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if items[parent] <= items[i] { break }
            items.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if items.isEmpty { return first }
        items[0] = last
        var i = 0
        let n = items.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < n && items[l] < items[m] { m = l }
            if r < n && items[r] < items[m] { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return first
    }
}
