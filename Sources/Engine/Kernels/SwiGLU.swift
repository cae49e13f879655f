// The Llama family's gated MLP activation: down_proj(silu(gate_proj(x)) · up_proj(x)). With
// σ the logistic function:
//
//     silu(g) = g · σ(g)                    silu'(g) = σ(g) · (1 + g · (1 − σ(g)))
//     h       = silu(g) · u
//     dg     += dh · u · silu'(g)           du += dh · silu(g)
import Foundation

/// out[n] = silu(gate[n]) · up[n]
func swigluForward(_ out: UnsafeMutablePointer<Float>, _ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>, count n: Int) {
    Parallel.ranges(n, minChunk: 1 << 14) { r in
        for i in r {
            let g = gate[i]
            out[i] = g / (1 + Foundation.exp(-g)) * up[i]
        }
    }
}

/// dgate[n] += dout · up · silu'(gate);  dup[n] += dout · silu(gate)
func swigluBackward(_ dgate: UnsafeMutablePointer<Float>, _ dup: UnsafeMutablePointer<Float>,
                    _ dout: UnsafePointer<Float>, _ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>, count n: Int) {
    Parallel.ranges(n, minChunk: 1 << 14) { r in
        for i in r {
            let g = gate[i], sig = 1 / (1 + Foundation.exp(-g))
            dgate[i] += dout[i] * up[i] * sig * (1 + g * (1 - sig))
            dup[i] += dout[i] * g * sig
        }
    }
}
