// What OpenBLAS is running with: the kernel family it picked (or was told to use by
// OPENBLAS_CORETYPE) and its thread count. Hilo logs this at start and never overrides
// the user's environment; the benchmark reports both settings side by side.
import COpenBLAS
import Foundation

public struct BLASInfo: Sendable, Equatable {
    /// The OpenBLAS kernel name, e.g. "Haswell" or "Cooperlake".
    public var coreName: String
    /// The number of threads OpenBLAS will use for one call.
    public var threads: Int
    /// The value of OPENBLAS_CORETYPE in the environment, if the user set one.
    public var coreTypeOverride: String?

    public static func current() -> BLASInfo {
        let name = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
        return BLASInfo(coreName: name,
                        threads: Int(openblas_get_num_threads()),
                        coreTypeOverride: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"])
    }

    /// One line for the start-up log.
    public var logLine: String {
        let source = coreTypeOverride.map { "set by OPENBLAS_CORETYPE=\($0)" } ?? "auto-detected"
        return "OpenBLAS core \(coreName) (\(source)), \(threads) thread\(threads == 1 ? "" : "s")"
    }

    /// Sets the OpenBLAS thread count (a per-process setting; the trainer uses it for its budget).
    /// While a model's forward or backward runs OpenBLAS single-threaded (BLASThreads), it is the
    /// count restored afterwards.
    public static func setThreads(_ n: Int) {
        precondition(n >= 1, "thread count must be positive")
        BLASThreads.setThreads(n)
    }
}
