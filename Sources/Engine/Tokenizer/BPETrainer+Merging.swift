// The trainer's two work structures: a word's symbols with the in-place pair merge that reports
// how pair counts change (tokenizers' Word::merge), and the lazy max-heap of candidate merges.

/// A word during training: its current symbols.
struct BPETrainingWord {
    var symbols: [Int32]

    /// Replaces every non-overlapping (a, b), left to right, with `merged`, reporting each pair
    /// that disappears (-1) or appears (+1) beside it — `tokenizers`' Word::merge.
    mutating func merge(_ a: Int32, _ b: Int32, into merged: Int32, _ change: (UInt64, Int) -> Void) {
        var i = 0
        while i < symbols.count {
            if symbols[i] == a && i + 1 < symbols.count && symbols[i + 1] == b {
                if i > 0 {
                    change(BPEModel.key(symbols[i - 1], a), -1)
                    change(BPEModel.key(symbols[i - 1], merged), 1)
                }
                symbols[i] = merged
                symbols.remove(at: i + 1)
                if i < symbols.count - 1 {
                    change(BPEModel.key(b, symbols[i + 1]), -1)
                    change(BPEModel.key(merged, symbols[i + 1]), 1)
                }
            }
            i += 1
        }
    }
}

/// The trainer's lazy max-heap: highest count first, then the smaller pair.
struct BPEMergeQueue {
    struct Entry: HeapOrdered {
        var count: Int
        var pair: UInt64
        /// Index into `positionLists`: the words to rewrite when this entry wins.
        var positions: Int

        @inline(__always) static func before(_ x: Entry, _ y: Entry) -> Bool {
            x.count != y.count ? x.count > y.count : x.pair < y.pair
        }
    }
    private var heap = BinaryHeap<Entry>()
    private var positionLists: [[Int32]] = []

    func positions(of e: Entry) -> [Int32] { positionLists[e.positions] }

    mutating func push(count: Int, pair: UInt64, positions: [Int32]) {
        positionLists.append(positions)
        push(Entry(count: count, pair: pair, positions: positionLists.count - 1))
    }

    mutating func push(_ e: Entry) { heap.push(e) }

    mutating func pop() -> Entry? { heap.pop() }
}
