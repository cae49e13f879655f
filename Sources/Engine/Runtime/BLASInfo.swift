// What OpenBLAS is running with: the kernel family it picked (or was told to use by
// OPENBLAS_CORETYPE) and its thread count. Hilo logs this at start and never overrides
// the user's environment; the benchmark reports both settings side by side. When the environment
// forces a core without AVX-512 on a CPU that has it (OPENBLAS_CORETYPE=Haswell on this AMD
// machine: about half the sgemm speed), the log line says so and how to undo it, instead of
// overriding the user's choice.
import COpenBLAS
import Foundation

public struct BLASInfo: Sendable, Equatable {
    /// The OpenBLAS kernel name, e.g. "Haswell" or "Cooperlake".
    public var coreName: String
    /// The number of threads OpenBLAS will use for one call.
    public var threads: Int
    /// The value of OPENBLAS_CORETYPE in the environment, if the user set one.
    public var coreTypeOverride: String?
    /// Whether the CPU has AVX-512 (avx512f in /proc/cpuinfo's flags).
    public var cpuHasAVX512 = false

    /// OpenBLAS's x86 kernel families that use AVX-512.
    static let avx512Cores: Set<String> = ["skylakex", "cooperlake", "sapphirerapids"]

    public static func current() -> BLASInfo {
        let name = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
        return BLASInfo(coreName: name,
                        threads: Int(openblas_get_num_threads()),
                        coreTypeOverride: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"],
                        cpuHasAVX512: cpuFlags().contains("avx512f"))
    }

    /// The flags of the first processor in /proc/cpuinfo (empty where there is none).
    static func cpuFlags() -> Set<Substring> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " "))
    }

    /// Set when OPENBLAS_CORETYPE forces a kernel without AVX-512 on a CPU that has it.
    public var slowerCoreHint: String? {
        guard let forced = coreTypeOverride, cpuHasAVX512, !Self.avx512Cores.contains(coreName.lowercased()) else { return nil }
        return "this CPU has AVX-512, which OPENBLAS_CORETYPE=\(forced) leaves unused (about half the matrix-product speed "
            + "where measured); unset OPENBLAS_CORETYPE to let OpenBLAS pick its AVX-512 kernel"
    }

    /// One line for the start-up log.
    public var logLine: String {
        let source = coreTypeOverride.map { "set by OPENBLAS_CORETYPE=\($0)" } ?? "auto-detected"
        let line = "OpenBLAS core \(coreName) (\(source)), \(threads) thread\(threads == 1 ? "" : "s")"
        return slowerCoreHint.map { line + "; " + $0 } ?? line
    }

    /// Sets the OpenBLAS thread count (a per-process setting; the trainer uses it for its budget).
    /// While a model's forward or backward runs OpenBLAS single-threaded (BLASThreads), it is the
    /// count restored afterwards.
    public static func setThreads(_ n: Int) {
        precondition(n >= 1, "thread count must be positive")
        BLASThreads.setThreads(n)
    }
}
