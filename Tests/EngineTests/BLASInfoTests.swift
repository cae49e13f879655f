// The OpenBLAS start-up line: which kernel runs, who chose it, and the hint when the environment
// forces a kernel without AVX-512 on a CPU that has it.
import Testing
@testable import Engine

@Suite struct BLASInfoTests {
    @Test func forcedHaswellOnAnAVX512CPUNamesTheSettingAndHowToUndoIt() {
        let info = BLASInfo(coreName: "Haswell", threads: 2, coreTypeOverride: "Haswell", cpuHasAVX512: true)
        #expect(info.logLine.hasPrefix("OpenBLAS core Haswell (set by OPENBLAS_CORETYPE=Haswell), 2 threads; "))
        #expect(info.logLine.contains("unset OPENBLAS_CORETYPE"))
    }

    @Test func noHintWhenTheKernelWasAutoDetectedOrTheCPUHasNoAVX512OrTheForcedKernelUsesIt() {
        let auto = BLASInfo(coreName: "Cooperlake", threads: 2, coreTypeOverride: nil, cpuHasAVX512: true)
        #expect(auto.logLine == "OpenBLAS core Cooperlake (auto-detected), 2 threads")
        let noAVX512 = BLASInfo(coreName: "Haswell", threads: 1, coreTypeOverride: "Haswell", cpuHasAVX512: false)
        #expect(noAVX512.logLine == "OpenBLAS core Haswell (set by OPENBLAS_CORETYPE=Haswell), 1 thread")
        let forcedAVX512 = BLASInfo(coreName: "SkylakeX", threads: 2, coreTypeOverride: "SKYLAKEX", cpuHasAVX512: true)
        #expect(forcedAVX512.slowerCoreHint == nil)
    }

    @Test func theCurrentInfoReadsTheCPUFlagsAndTheEnvironment() {
        let info = BLASInfo.current()
        #expect(info.threads >= 1)
        #expect(info.cpuHasAVX512 == BLASInfo.cpuFlags().contains("avx512f"))
        #if arch(x86_64)
        #expect(BLASInfo.cpuFlags().contains("sse2"))  // every x86-64 CPU lists it
        #endif
    }
}
