// The small shared values: SplitMix64's published sequence, JSONWriter's string quoting, and thread
// names as the kernel reports them.
import Foundation
import Support
import Testing

@Test func splitMix64GivesTheReferenceSequenceForSeedZero() {
    // The first outputs of the reference C implementation (Vigna's splitmix64.c) from state 0.
    var rng = SplitMix64(seed: 0)
    #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
    #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
    #expect(rng.next() == 0x06C4_5D18_8009_454F)
}

@Test func splitMix64IntegersStayInRangeAndASeedRepeatsThem() {
    var a = SplitMix64(seed: 42), b = SplitMix64(seed: 42)
    let xs = (0..<1000).map { _ in a.int(in: -3...3) }
    #expect(xs.allSatisfy { (-3...3).contains($0) } && Set(xs).count == 7)
    #expect(xs == (0..<1000).map { _ in b.int(in: -3...3) })
}

@Test func jsonLiteralEscapesQuotesBackslashesAndControlsOnly() {
    #expect(JSONWriter.literal("a\"b\\c") == #""a\"b\\c""#)
    #expect(JSONWriter.literal("\n\r\t\u{01}\u{1F}") == #""\n\r\t\u0001\u001f""#)
    #expect(JSONWriter.literal("Ġé 🙂 /") == "\"Ġé 🙂 /\"")
    #expect(JSONWriter.literal("") == "\"\"")
}

@Test func aThreadNamesItselfForTheKernelCutTo15Bytes() {
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var seen = ""
    let t = Thread {
        ThreadName.setCurrent("hilo-support-test-thread")
        seen = ThreadName.current
        done.signal()
    }
    t.start()
    done.wait()
    #expect(seen == "hilo-support-te")
}
