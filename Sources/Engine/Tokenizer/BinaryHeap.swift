// A binary heap over an array, ordered by the element type's own `before`: the tokenizer's merge
// loop (smallest rank first) and the BPE trainer's queue (highest count first) share it.

/// An ordering for heap elements: `before(x, y)` is true when x must leave the heap before y.
protocol HeapOrdered {
    static func before(_ x: Self, _ y: Self) -> Bool
}

struct BinaryHeap<Element: HeapOrdered> {
    private var items: [Element] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ x: Element) {
        items.append(x)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if !Element.before(items[i], items[parent]) { break }
            items.swapAt(parent, i)
            i = parent
        }
    }

    /// Removes and returns the first element in `before` order.
    mutating func pop() -> Element? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if items.isEmpty { return first }
        items[0] = last
        var i = 0
        let n = items.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < n && Element.before(items[l], items[m]) { m = l }
            if r < n && Element.before(items[r], items[m]) { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return first
    }
}
