// How many threads the engine's own element-wise loops (Parallel: LayerNorm, GELU, softmax, AdamW)
// may use at once, process-wide like OpenBLAS's thread count. The server's retraining loop lowers it
// for a run (its `retraining.threads` budget) so training leaves cores for annotation, and restores
// it afterwards; nothing else needs to touch it. Buffers sized by `Parallel.width` stay valid: the
// budget only limits how many of the parts run concurrently.
import Foundation

public enum ThreadBudget {
    /// The machine's active processors: the most the engine ever uses.
    public static var cores: Int { Parallel.width }

    /// The current budget, 1...cores.
    public static var limit: Int { state.get() }

    /// Sets the budget (clamped to 1...cores); returns the previous one so a caller can restore it.
    @discardableResult
    public static func setLimit(_ n: Int) -> Int { state.set(min(max(1, n), Parallel.width)) }

    static let state = Budget(Parallel.width)

    /// `@unchecked Sendable`: `value` is read and written only under `lock`.
    final class Budget: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Int
        init(_ v: Int) { value = v }
        func get() -> Int { lock.lock(); defer { lock.unlock() }; return value }
        func set(_ v: Int) -> Int { lock.lock(); defer { lock.unlock() }; let old = value; value = v; return old }
    }
}
