// Loops over the elements of many parameter tensors (AdamW, gradient norm and clipping, zeroing
// gradients) as one parallel region: each part takes an equal share of the tensors' elements laid
// end to end, instead of one fork-join per tensor (GPT-2 small has 148 of them, most too small to
// split, so a region per tensor leaves one thread idle for the biases and LayerNorms).

extension Parallel {
    /// Runs `body(part, tensor, range)` over the elements of `tensors` (`range` within the tensor,
    /// 0..<count), in `parts` equal shares of their total count (default: one per active thread
    /// when every share gets at least `minChunk` elements). A tensor that straddles two shares is
    /// handed to both, each with its own range. Ranges of one part come in the tensors' order.
    static func slices(of tensors: [ParameterLayout.Tensor], parts requested: Int? = nil, minChunk: Int = 1 << 15,
                       _ body: (Int, ParameterLayout.Tensor, Range<Int>) -> Void) {
        var total = 0
        for t in tensors { total += t.count }
        let parts = requested ?? max(1, min(active, total / max(minChunk, 1)))
        Parallel.parts(total, parts: parts) { p, share in
            var start = 0
            for t in tensors {
                let lo = max(share.lowerBound, start), hi = min(share.upperBound, start + t.count)
                if lo < hi { body(p, t, (lo - start)..<(hi - start)) }
                start += t.count
                if start >= share.upperBound { break }
            }
        }
    }
}
