// How the next token is chosen: greedy, or sampled with temperature, top-k and top-p (nucleus),
// plus when a generation stops. The chosen token's log-probability is always reported under
// the model's unmodified distribution (temperature 1, no filtering), which is what PPO's ratio uses.
import Foundation

public struct SamplingConfig: Codable, Sendable, Equatable {
    /// New tokens per prompt at most.
    public var maxNewTokens: Int
    /// Always take the most likely token (temperature, topK and topP are then ignored).
    public var greedy: Bool
    /// Divides the logits before sampling; below 1 sharpens, above 1 flattens. Must be > 0.
    public var temperature: Float
    /// Sample only among the k most likely tokens; nil or 0 disables.
    public var topK: Int?
    /// Sample only from the smallest set of tokens whose probability reaches p; nil or 1 disables.
    public var topP: Float?
    /// Tokens that end a sequence (included in the output); usually the model's eos_token_id.
    public var eosTokenIds: [Int32]
    /// Token sequences that end a generation when the output ends with one (included in the output).
    public var stopSequences: [[Int32]]

    public init(maxNewTokens: Int = 64, greedy: Bool = false, temperature: Float = 1, topK: Int? = nil,
                topP: Float? = nil, eosTokenIds: [Int32] = [], stopSequences: [[Int32]] = []) {
        self.maxNewTokens = maxNewTokens; self.greedy = greedy; self.temperature = temperature
        self.topK = topK; self.topP = topP; self.eosTokenIds = eosTokenIds; self.stopSequences = stopSequences
    }

    func validate() throws {
        guard maxNewTokens >= 0 else { throw EngineError.invalidInput("max new tokens must be >= 0, got \(maxNewTokens)") }
        guard greedy || temperature > 0 else {
            throw EngineError.invalidInput("temperature must be > 0 (use greedy decoding for temperature 0), got \(temperature)")
        }
        if let k = topK, k < 0 { throw EngineError.invalidInput("top-k must be >= 0, got \(k)") }
        if let p = topP, !(p > 0 && p <= 1) { throw EngineError.invalidInput("top-p must be in (0, 1], got \(p)") }
    }
}

/// Why a generation ended.
public enum FinishReason: String, Codable, Sendable {
    /// An EOS token was produced.
    case eos
    /// The output ended with one of the stop sequences.
    case stopSequence = "stop_sequence"
    /// The caller's stop hook (e.g. a stop string on decoded text) said so.
    case stopHook = "stop_hook"
    /// maxNewTokens were produced.
    case length
    /// The sequence reached the model's n_positions.
    case contextFull = "context_full"
}

public struct Generation: Sendable, Equatable {
    /// The new tokens only (not the prompt).
    public var tokens: [Int32]
    /// log p(token) of each new token under the unmodified model distribution.
    public var logprobs: [Float]
    public var finishReason: FinishReason
}

/// Picks the next token from one row of logits. `order` and `weights` are scratch of at least V
/// entries each. Never sorts the vocabulary: top-k is a heap selection and the top-p nucleus a
/// weighted quickselect, both O(V); sampling then walks the kept candidates in whatever order
/// they are in, which draws from the same distribution as walking them sorted.
func chooseToken(_ logits: UnsafeMutablePointer<Float>, V: Int, config: SamplingConfig,
                 order: UnsafeMutablePointer<Int32>, weights: UnsafeMutablePointer<Float>, rng: inout SeededRNG) -> Int {
    chooseToken(logits, V: V, config: config, order: order, weights: weights,
                uniform: config.greedy ? 0 : rng.nextUniform()).token
}

/// `chooseToken` with the uniform draw in [0, 1) made by the caller (so rows can be chosen in
/// parallel from draws taken in row order). Also returns the row's log-sum-exp when the choice
/// computed it on the way (greedy, or the whole vocabulary at temperature 1), else nil.
func chooseToken(_ logits: UnsafeMutablePointer<Float>, V: Int, config: SamplingConfig,
                 order: UnsafeMutablePointer<Int32>, weights: UnsafeMutablePointer<Float>,
                 uniform: Float) -> (token: Int, logSumExp: Float?) {
    if config.greedy {
        let (best, lse) = argmaxLogSumExp(logits, V)
        return (best, lse)
    }
    let invT = 1 / config.temperature
    // Candidates in order[0..<n]: the top k (by partial selection), or the whole vocabulary.
    let k = (config.topK ?? 0) > 0 ? min(config.topK!, V) : V
    var n = 0
    if k < V {
        // A min-heap of the k largest logits, kept in order[0..<k].
        func less(_ a: Int32, _ b: Int32) -> Bool { logits[Int(a)] < logits[Int(b)] }
        func siftDown(_ start: Int, _ count: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < count && less(order[l], order[m]) { m = l }
                if r < count && less(order[r], order[m]) { m = r }
                if m == i { return }
                let tmp = order[i]; order[i] = order[m]; order[m] = tmp; i = m
            }
        }
        for i in 0..<k { order[i] = Int32(i) }
        for i in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(i, k) }
        for i in k..<V where logits[i] > logits[Int(order[0])] { order[0] = Int32(i); siftDown(0, k) }
        n = k
    } else {
        for i in 0..<V { order[i] = Int32(i) }
        n = V
    }
    // Unnormalised probabilities at the temperature: weights[token] = exp((logit − max) / T).
    var total: Float = 0, lse: Float?
    if n == V {
        // The whole vocabulary (order is the identity): vectorised. At temperature 1 the weights'
        // sum is exactly the one logSumExp computes (same operations in the same order).
        let m = vmax(logits, V)
        for i in 0..<V { weights[i] = logits[i] * invT }
        total = vexpShiftSum(weights, V, shift: m * invT)
        if invT == 1 { lse = m + Foundation.log(total) }
    } else {
        var m = -Float.infinity
        for i in 0..<n { m = max(m, logits[Int(order[i])]) }
        for i in 0..<n {
            let t = Int(order[i]), w = Foundation.exp((logits[t] - m) * invT)
            weights[t] = w; total += w
        }
    }
    if let p = config.topP, p < 1 {
        (n, total) = nucleus(order, count: n, weights: weights, mass: p * total)
    }
    var u = uniform * total
    for i in 0..<n {
        u -= weights[Int(order[i])]
        if u < 0 { return (Int(order[i]), lse) }
    }
    return (Int(order[n - 1]), lse)
}

/// The first index of the largest of n > 0 floats (what a scalar `>` scan picks) and the
/// log-sum-exp of all n, computed exactly as `logSumExp` does.
func argmaxLogSumExp(_ x: UnsafePointer<Float>, _ n: Int) -> (index: Int, lse: Float) {
    let m = vmax(x, n)
    var best = 0, i = 0
    // Find the first 16-wide chunk holding the maximum, then the lane.
    while i + 16 <= n, !any(load16(x + i) .== m) { i += 16 }
    while i < n, x[i] != m { i += 1 }
    if i < n { best = i } else {
        for j in 1..<n where x[j] > x[best] { best = j }   // no element equals the max (NaNs): scalar scan
    }
    return (best, logSumExp(x, n, max: m))
}

/// Reorders order[0..<count] so its first `kept` entries are the smallest set of the heaviest
/// tokens whose weights sum to at least `mass`, and returns (kept, their weight sum). A quickselect
/// that follows the mass instead of a rank: expected O(count), no sort.
func nucleus(_ order: UnsafeMutablePointer<Int32>, count: Int, weights: UnsafePointer<Float>,
             mass: Float) -> (kept: Int, sum: Float) {
    let order = UnsafeMutableBufferPointer(start: order, count: count)
    var lo = 0, hi = count   // order[0..<lo] is kept; the cut lies in order[lo..<hi]
    var need = mass, sum: Float = 0
    while lo < hi {
        // Three-way partition of order[lo..<hi] around a pivot weight: heavier | equal | lighter.
        let a = weights[Int(order[lo])], b = weights[Int(order[(lo + hi) / 2])], c = weights[Int(order[hi - 1])]
        let pivot = max(min(a, b), min(max(a, b), c))   // median of three
        var gt = lo, i = lo, lt = hi
        while i < lt {
            let w = weights[Int(order[i])]
            if w > pivot { order.swapAt(gt, i); gt += 1; i += 1 }
            else if w < pivot { lt -= 1; order.swapAt(i, lt) }
            else { i += 1 }
        }
        var heavy: Float = 0
        for j in lo..<gt { heavy += weights[Int(order[j])] }
        if heavy >= need { hi = gt; continue }   // the cut is among the heavier ones
        // All heavier ones are in; then the equal ones one by one; then go on among the lighter.
        sum += heavy; need -= heavy; lo = gt
        if pivot == 0 { break }                  // only zero weights left: nothing more to take
        while lo < lt {
            sum += pivot; need -= pivot; lo += 1
            if need <= 0 { return (lo, sum) }
        }
    }
    return (lo, sum)
}
