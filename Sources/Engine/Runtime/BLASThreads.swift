// Who threads the matrix products. Inside a model's forward, backward or head (`BLASThreads.engine`),
// OpenBLAS runs single-threaded and the engine splits each large product into one part per thread of
// its own (Parallel), so one set of threads runs both the products and the element-wise loops. With
// OpenBLAS's own threads, its idle workers spin (sched_yield) on the same two cores the engine's
// element-wise loops need, and every small product (attention's, one per batch row and head) pays
// OpenBLAS's fork-join; with the engine's threads the heads are shared out whole instead.
//
// OpenBLAS's thread count is process-wide, so the switch is counted: the first caller to enter saves
// the count and sets 1, the last to leave restores it. A count set meanwhile (`BLASInfo.setThreads`)
// is the one restored.
import COpenBLAS
import Foundation

enum BLASThreads {
    /// Parts a large product is split into: the engine's threads inside `engine`, otherwise 1
    /// (one cblas call that OpenBLAS threads itself).
    static var parts: Int { state.currentParts() }

    /// Runs `body` with OpenBLAS single-threaded and the products split over the engine's threads:
    /// as many as OpenBLAS had (the user's OPENBLAS_NUM_THREADS, the retraining budget) and the
    /// ThreadBudget allows. With one thread either way nothing changes.
    static func engine<R>(_ body: () throws -> R) rethrows -> R {
        state.enter()
        defer { state.leave() }
        return try body()
    }

    /// Sets OpenBLAS's thread count, or, while `engine` runs somewhere, the count restored afterwards.
    static func setThreads(_ n: Int) { state.setThreads(n) }

    private static let state = State()

    /// `@unchecked Sendable`: every field is read and written only under `lock`.
    private final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var depth = 0, saved = 1, parts = 1

        func enter() {
            lock.lock(); defer { lock.unlock() }
            if depth == 0 {
                saved = Int(openblas_get_num_threads())
                parts = max(1, min(saved, ThreadBudget.limit))
                if parts > 1 { openblas_set_num_threads(1) }
            }
            depth += 1
        }

        func leave() {
            lock.lock(); defer { lock.unlock() }
            depth -= 1
            if depth == 0 {
                if parts > 1 { openblas_set_num_threads(Int32(saved)) }
                parts = 1
            }
        }

        func currentParts() -> Int {
            lock.lock(); defer { lock.unlock() }
            return parts
        }

        func setThreads(_ n: Int) {
            lock.lock(); defer { lock.unlock() }
            if depth > 0 { saved = n } else { openblas_set_num_threads(Int32(n)) }
        }
    }
}

/// C[M, N] = alpha · op(A) · op(B) + beta · C (row-major; op transposes when asked), split into
/// `BLASThreads.parts` row or column blocks, one single-threaded cblas call each, when the product
/// is large enough. Every element of C is computed by the same kernel over the same K order either
/// way, so the split does not change the result. `split: false` makes it one cblas call: for
/// products inside a loop that is already split over the engine's threads (attention's heads).
func sgemm(transA: Bool = false, transB: Bool = false, M: Int, N: Int, K: Int, alpha: Float = 1,
           _ A: UnsafePointer<Float>, lda: Int, _ B: UnsafePointer<Float>, ldb: Int,
           beta: Float, _ C: UnsafeMutablePointer<Float>, ldc: Int, split: Bool = true) {
    let parts = split ? BLASThreads.parts : 1
    if parts > 1 && M * N * K >= 1 << 20 {
        let splitRows = M >= N
        Parallel.parts(parts, parts: parts) { p, _ in
            let r = Parallel.block(splitRows ? M : N, part: p, of: parts)
            guard !r.isEmpty else { return }
            if splitRows {
                sgemm(transA: transA, transB: transB, M: r.count, N: N, K: K, alpha: alpha,
                      transA ? A + r.lowerBound : A + r.lowerBound * lda, lda: lda,
                      B, ldb: ldb, beta: beta, C + r.lowerBound * ldc, ldc: ldc, split: false)
            } else {
                sgemm(transA: transA, transB: transB, M: M, N: r.count, K: K, alpha: alpha, A, lda: lda,
                      transB ? B + r.lowerBound * ldb : B + r.lowerBound, ldb: ldb,
                      beta: beta, C + r.lowerBound, ldc: ldc, split: false)
            }
        }
        return
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(M), Int32(N), Int32(K), alpha, A, Int32(lda), B, Int32(ldb), beta, C, Int32(ldc))
}
