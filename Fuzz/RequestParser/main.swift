// libFuzzer harness for the request-head parser and the chunked decoder, compiled by `make fuzz`
// together with the parser's source files only (no SwiftPM, no Foundation). Besides "never crash",
// it checks that parsing is independent of how the bytes are split: the whole input, and the same
// input fed in pieces (sizes from the first byte), must give the same head or the same error.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let piece = Int(data[0] % 7) + 1
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let limits = ParserLimits(maxRequestLineBytes: 256, maxHeaderBytes: 512, maxHeaderCount: 8)

    let whole = parse(bytes, limits: limits, piece: bytes.count)
    let split = parse(bytes, limits: limits, piece: piece)
    precondition(whole == split, "split parsing differs: \(whole) vs \(split)")

    // What follows a complete head is a body: decode it as chunked, whole and in pieces.
    if case .head(_, let consumed) = whole {
        precondition(consumed <= bytes.count, "consumed more than given")
        let rest = Array(bytes[consumed...])
        let a = decodeChunked(rest, piece: max(1, rest.count))
        let b = decodeChunked(rest, piece: piece)
        precondition(a == b, "split chunked decoding differs: \(a) vs \(b)")
        if let target = rest.split(separator: 0x20).first {
            _ = HTTPGrammar.percentDecode(String(decoding: target, as: UTF8.self), plusIsSpace: true)
        }
    }
    return 0
}

enum Outcome: Equatable {
    case head(String, Int)   // a summary of the head, bytes consumed
    case error(Int)
    case incomplete
}

func parse(_ bytes: [UInt8], limits: ParserLimits, piece: Int) -> Outcome {
    var parser = RequestHeadParser(limits: limits)
    var end = 0
    repeat {
        end = min(bytes.count, end + piece)
        do {
            let progress = try bytes.withUnsafeBufferPointer {
                try parser.parse(UnsafeBufferPointer(rebasing: $0[0..<end]))
            }
            if case .complete(let head, let consumed) = progress {
                let summary = "\(head.method) \(head.path) \(head.query ?? "-") \(head.version) \(head.headers.count) "
                    + "\(head.framing) \(head.keepAlive) \(head.expectsContinue)"
                return .head(summary, consumed)
            }
        } catch let e as HTTPParseError {
            precondition([400, 413, 414, 417, 431, 501, 505].contains(e.status.code), "unexpected status \(e.status)")
            return .error(e.status.code)
        } catch {
            preconditionFailure("unexpected error type")
        }
    } while end < bytes.count
    return .incomplete
}

func decodeChunked(_ bytes: [UInt8], piece: Int) -> Outcome {
    var decoder = ChunkedDecoder(maxBodyBytes: 1024, maxMetadataBytes: 256)
    var body: [UInt8] = []
    var offset = 0
    do {
        while offset < bytes.count && !decoder.isDone {
            let end = min(bytes.count, offset + piece)
            let consumed = try bytes.withUnsafeBufferPointer {
                try decoder.decode(UnsafeBufferPointer(rebasing: $0[offset..<end])) { body.append(contentsOf: $0) }
            }
            precondition(consumed <= end - offset, "decoder consumed more than given")
            precondition(consumed == end - offset || decoder.isDone, "decoder stopped early")
            offset += consumed
        }
    } catch let e as HTTPParseError {
        return .error(e.status.code)
    } catch {
        preconditionFailure("unexpected error type")
    }
    precondition(body.count <= 1024, "body larger than the limit")
    precondition(!decoder.isDone || body.count == decoder.bodyBytes, "body size bookkeeping is off")
    return decoder.isDone ? .head("\(body)", offset) : .incomplete
}
