// Decodes a `Transfer-Encoding: chunked` request body (RFC 9112 §7.1) as a state machine that can be
// fed any split of the bytes. Chunk extensions are skipped, trailer fields are validated and dropped.
// The body limit is enforced as data arrives, so an endless chunked body gets 413, not memory.

public struct ChunkedDecoder: Sendable {
    enum State: Sendable, Equatable {
        case size, ext, sizeLF, data, dataCR, dataLF
        case trailerStart, trailerName, trailerValue, trailerLF, endLF, done
    }

    /// Most bytes the decoded body may have; more gives 413.
    public let maxBodyBytes: Int
    /// Most bytes of chunk extensions plus trailers; more gives 431, a guard against endless metadata.
    public let maxMetadataBytes: Int
    private(set) var state: State = .size
    private var chunkRemaining = 0
    private var sizeDigits = 0
    private var metadataBytes = 0
    public private(set) var bodyBytes = 0

    public init(maxBodyBytes: Int, maxMetadataBytes: Int = 16 * 1024) {
        self.maxBodyBytes = maxBodyBytes
        self.maxMetadataBytes = maxMetadataBytes
    }

    public var isDone: Bool { state == .done }

    /// Consumes bytes from `input`, handing body bytes to `sink` as contiguous slices. Returns how many
    /// input bytes were consumed: all of them, unless the body ended earlier (the rest is the next request).
    public mutating func decode(_ input: UnsafeBufferPointer<UInt8>,
                                sink: (UnsafeBufferPointer<UInt8>) -> Void) throws(HTTPParseError) -> Int {
        var i = 0
        while i < input.count && state != .done {
            if state == .data {
                let n = min(chunkRemaining, input.count - i)
                sink(UnsafeBufferPointer(rebasing: input[i..<(i + n)]))
                chunkRemaining -= n
                i += n
                if chunkRemaining == 0 { state = .dataCR }
                continue
            }
            let b = input[i]
            i += 1
            switch state {
            case .size:
                if let d = HTTPGrammar.hexValue(b) {
                    sizeDigits += 1
                    guard sizeDigits <= 15 else { throw HTTPParseError(.contentTooLarge, "chunk size too large") }
                    chunkRemaining = chunkRemaining << 4 | d
                } else if sizeDigits > 0 && b == UInt8(ascii: ";") {
                    state = .ext
                } else if sizeDigits > 0 && b == 0x0D {
                    state = .sizeLF
                } else {
                    throw .bad("invalid chunk size")
                }
            case .ext:
                if b == 0x0D { state = .sizeLF }
                else if !HTTPGrammar.isFieldValueByte(b) { throw .bad("invalid character in chunk extension") }
                try countMetadata()
            case .sizeLF:
                guard b == 0x0A else { throw .bad("bare CR in chunk size line") }
                if chunkRemaining == 0 {
                    state = .trailerStart
                } else {
                    bodyBytes += chunkRemaining
                    guard bodyBytes <= maxBodyBytes else {
                        throw HTTPParseError(.contentTooLarge, "request body larger than \(maxBodyBytes) bytes")
                    }
                    state = .data
                }
                sizeDigits = 0
            case .dataCR:
                guard b == 0x0D else { throw .bad("chunk data longer than its size") }
                state = .dataLF
            case .dataLF:
                guard b == 0x0A else { throw .bad("bare CR after chunk data") }
                state = .size
            case .trailerStart:
                if b == 0x0D { state = .endLF }
                else if HTTPGrammar.isToken(b) { state = .trailerName }
                else { throw .bad("invalid trailer field") }
                try countMetadata()
            case .trailerName:
                if b == UInt8(ascii: ":") { state = .trailerValue }
                else if !HTTPGrammar.isToken(b) { throw .bad("invalid character in trailer name") }
                try countMetadata()
            case .trailerValue:
                if b == 0x0D { state = .trailerLF }
                else if !HTTPGrammar.isFieldValueByte(b) { throw .bad("invalid character in trailer value") }
                try countMetadata()
            case .trailerLF:
                guard b == 0x0A else { throw .bad("bare CR in trailer") }
                state = .trailerStart
            case .endLF:
                guard b == 0x0A else { throw .bad("bare CR at end of chunked body") }
                state = .done
            case .data, .done:
                preconditionFailure("handled above")
            }
        }
        return i
    }

    private mutating func countMetadata() throws(HTTPParseError) {
        metadataBytes += 1
        if metadataBytes > maxMetadataBytes {
            throw HTTPParseError(.requestHeaderFieldsTooLarge, "chunk extensions or trailers too large")
        }
    }
}
