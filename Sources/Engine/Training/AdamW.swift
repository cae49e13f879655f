// AdamW as torch.optim.AdamW computes it: decoupled weight decay (only on tensors whose
// `decays` is true: matrices, never biases or LayerNorm), bias-corrected moments that live in
// two buffers of the parameter layout, and global gradient-norm clipping.
import Foundation

public struct AdamWConfig: Codable, Sendable, Equatable {
    /// Peak learning rate; the schedule scales it per step.
    public var learningRate: Float
    /// First-moment decay (momentum).
    public var beta1: Float
    /// Second-moment decay; 0.95 is steadier than 0.999 for small-batch fine-tuning.
    public var beta2: Float
    /// Added to the root of the second moment so tiny gradients do not explode the step.
    public var eps: Float
    /// Decoupled weight decay for matrices (embeddings included); biases and LayerNorm never decay.
    public var weightDecay: Float
    /// Clip the global gradient norm to this value before the step; nil disables clipping.
    public var maxGradNorm: Float?

    public init(learningRate: Float = 3e-4, beta1: Float = 0.9, beta2: Float = 0.95, eps: Float = 1e-8,
                weightDecay: Float = 0.1, maxGradNorm: Float? = 1.0) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        self.weightDecay = weightDecay; self.maxGradNorm = maxGradNorm
    }
}

public final class AdamW {
    public let config: AdamWConfig
    /// First and second moments, in the parameter layout.
    public let m: ParameterBuffer, v: ParameterBuffer
    /// Steps taken so far (the bias correction uses step + 1).
    public internal(set) var step = 0

    public init(layout: ParameterLayout, config: AdamWConfig) {
        self.config = config
        m = ParameterBuffer(layout: layout); v = ParameterBuffer(layout: layout)
    }

    // The formula, per element at step t = 1, 2, … (PyTorch's torch.optim.AdamW, decoupled weight decay:
    // https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html):
    //     g  = grad · gradScale                     the clipping factor (1 when not clipped)
    //     θ  = θ · (1 − lr · λ)                      λ = weightDecay; 0 for tensors that do not decay
    //     m  = β1 · m + (1 − β1) · g
    //     v  = β2 · v + (1 − β2) · g²
    //     θ  = θ − lr · m̂ / (√v̂ + ε),   m̂ = m / (1 − β1ᵗ),  v̂ = v / (1 − β2ᵗ)
    // evaluated as torch's _single_tensor_adamw arranges it: θ − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε).
    // The loop below computes exactly this, 16 lanes at a time, then the same expression for the tail.
    /// One update of `tensors` in `params` from `grads` at learning rate `lr`. Every gradient is
    /// multiplied by `gradScale` first (the clipping factor, `clipScale`): the same product clipping
    /// the gradients in place would store, without a pass that writes them.
    public func update(params: ParameterBuffer, grads: ParameterBuffer, tensors: [ParameterLayout.Tensor], lr: Float,
                       gradScale: Float = 1) {
        step += 1
        let b1 = config.beta1, b2 = config.beta2, eps = config.eps, weightDecay = config.weightDecay
        let bc1 = 1 - Float(pow(Double(b1), Double(step)))
        let bc2sqrt = Float((1 - pow(Double(b2), Double(step))).squareRoot())
        let stepSize = lr / bc1
        let mb = m.base, vb = v.base, pb = params.base, gb = grads.base
        // One parallel region over all the tensors (each thread an equal share of their elements).
        Parallel.slices(of: tensors) { _, t, r in
            let decay: Float = t.decays ? 1 - lr * weightDecay : 1
            // Sixteen lanes at a time, then the tail; both evaluate the same expression in the
            // same order, so every element gets the same bits either way.
            var i = t.offset + r.lowerBound
            let end = t.offset + r.upperBound
            let vb1 = Vec16(repeating: b1), vb1c = Vec16(repeating: 1 - b1)
            let vb2 = Vec16(repeating: b2), vb2c = Vec16(repeating: 1 - b2)
            let vdecay = Vec16(repeating: decay), vstep = Vec16(repeating: stepSize)
            let vbc2 = Vec16(repeating: bc2sqrt), veps = Vec16(repeating: eps), vscale = Vec16(repeating: gradScale)
            while i + 16 <= end {
                let g = load16(gb + i) * vscale
                let mi = vb1 * load16(mb + i) + vb1c * g
                let vi = vb2 * load16(vb + i) + vb2c * g * g
                store16(mi, mb + i); store16(vi, vb + i)
                let p = load16(pb + i) * vdecay
                store16(p - vstep * mi / (vi.squareRoot() / vbc2 + veps), pb + i)
                i += 16
            }
            while i < end {
                let g = gb[i] * gradScale
                let mi = b1 * mb[i] + (1 - b1) * g
                let vi = b2 * vb[i] + (1 - b2) * g * g
                mb[i] = mi; vb[i] = vi
                let p = pb[i] * decay
                pb[i] = p - stepSize * mi / (vi.squareRoot() / bc2sqrt + eps)
                i += 1
            }
        }
    }
}

/// The global L2 norm of the gradients of `tensors` (as torch.nn.utils.clip_grad_norm_ computes it).
/// The tensors are cut into `Parallel.width` shares whatever the thread budget, so the sum (and so
/// the clipping) has the same bits on one thread as on all.
public func gradientNorm(_ grads: ParameterBuffer, tensors: [ParameterLayout.Tensor]) -> Float {
    var total: Double = 0
    let parts = Parallel.width
    withUnsafeTemporaryAllocation(of: Double.self, capacity: parts) { partial in
        partial.initialize(repeating: 0)
        Parallel.slices(of: tensors, parts: parts) { k, t, r in
            let p = grads.base + t.offset + r.lowerBound
            partial[k] += Double(vdot(p, p, r.count))
        }
        for k in 0..<parts { total += partial[k] }
    }
    return Float(total.squareRoot())
}

/// The factor clipping multiplies the gradients by so their global norm `norm` is at most
/// `maxNorm` (torch's rule: maxNorm / (norm + 1e-6), capped at 1). Pass it to `AdamW.update`.
public func clipScale(norm: Float, maxNorm: Float) -> Float {
    min(1, maxNorm / (norm + 1e-6))
}
