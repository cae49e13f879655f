// GELU in the tanh form GPT-2 uses ("gelu_new"): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
import Foundation

private let geluScale: Float = 0.797_884_56  // √(2/π)

// The formula (PyTorch's torch.nn.GELU(approximate="tanh"), transformers' NewGELUActivation:
// https://pytorch.org/docs/stable/generated/torch.nn.GELU.html):
//     u        = √(2/π) · (x + 0.044715 · x³)
//     gelu(x)  = 0.5 · x · (1 + tanh u)
//     gelu'(x) = 0.5 · (1 + tanh u) + 0.5 · x · (1 − tanh² u) · √(2/π) · (1 + 3 · 0.044715 · x²)
// Below, the 16-lane loop takes tanh u = 1 − 2 / (e^{2u} + 1) with vexp; the scalar tail uses tanhf.

/// out[n] = gelu(inp[n])
func geluForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, count n: Int) {
    Parallel.ranges(n, minChunk: 1 << 14) { r in
        var i = r.lowerBound
        let one = Vec16(repeating: 1), two = Vec16(repeating: 2), half = Vec16(repeating: 0.5)
        while i + 16 <= r.upperBound {
            let x = load16(inp + i)
            let u = Vec16(repeating: geluScale) * (x + Vec16(repeating: 0.044_715) * x * x * x)
            // tanh(u) = 1 - 2 / (e^{2u} + 1)
            let t = one - two / (vexp(two * u) + one)
            store16(half * x * (one + t), out + i)
            i += 16
        }
        while i < r.upperBound {
            let x = inp[i]
            let t = tanhf(geluScale * (x + 0.044_715 * x * x * x))
            out[i] = 0.5 * x * (1 + t); i += 1
        }
    }
}

/// out[n] = gelu(inp[n]) and slope[n] = gelu'(inp[n]) in one pass. The backward recomputes the
/// MLP's activation (it is not kept per layer) and needs both, so the tanh is evaluated once.
/// Same expressions as geluForward, so the same bits.
func geluForward(_ out: UnsafeMutablePointer<Float>, slope: UnsafeMutablePointer<Float>,
                 _ inp: UnsafePointer<Float>, count n: Int) {
    Parallel.ranges(n, minChunk: 1 << 14) { r in
        var i = r.lowerBound
        let one = Vec16(repeating: 1), two = Vec16(repeating: 2), half = Vec16(repeating: 0.5)
        let c = Vec16(repeating: geluScale), k = Vec16(repeating: 0.044_715), k3 = Vec16(repeating: 3 * 0.044_715)
        while i + 16 <= r.upperBound {
            let x = load16(inp + i)
            let u = c * (x + k * x * x * x)
            let t = one - two / (vexp(two * u) + one)
            store16(half * x * (one + t), out + i)
            let sech2 = one - t * t
            store16(half * (one + t) + half * x * sech2 * c * (one + k3 * x * x), slope + i)
            i += 16
        }
        while i < r.upperBound {
            let x = inp[i]
            let t = tanhf(geluScale * (x + 0.044_715 * x * x * x))
            out[i] = 0.5 * x * (1 + t)
            slope[i] = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * geluScale * (1 + 3 * 0.044_715 * x * x)
            i += 1
        }
    }
}

/// dinout[n] *= slope[n], with the slope geluForward(_:slope:_:count:) saved.
func geluBackward(_ dinout: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>, count n: Int) {
    Parallel.ranges(n, minChunk: 1 << 15) { r in
        var i = r.lowerBound
        while i + 16 <= r.upperBound { store16(load16(dinout + i) * load16(slope + i), dinout + i); i += 16 }
        while i < r.upperBound { dinout[i] *= slope[i]; i += 1 }
    }
}
