// Token embeddings: GPT-2's token plus position embedding, and the Llama family's token embedding alone.

/// out[B, T, C] = wte[tokens[b, t]] + wpe[t]
func encoderForward(_ out: UnsafeMutablePointer<Float>, _ tokens: UnsafePointer<Int32>,
                    _ wte: UnsafePointer<Float>, _ wpe: UnsafePointer<Float>, B: Int, T: Int, C: Int) {
    Parallel.ranges(B * T, minChunk: 32) { r in
        for bt in r {
            let o = out + bt * C, e = wte + Int(tokens[bt]) * C, p = wpe + (bt % T) * C
            for j in 0..<C { o[j] = e[j] + p[j] }
        }
    }
}

/// dwte[tokens[b, t]] += dout[b, t];  dwpe[t] += dout[b, t].  Either may be nil (frozen).
func encoderBackward(_ dwte: UnsafeMutablePointer<Float>?, _ dwpe: UnsafeMutablePointer<Float>?,
                     _ dout: UnsafePointer<Float>, _ tokens: UnsafePointer<Int32>, B: Int, T: Int, C: Int) {
    for bt in 0..<(B * T) {
        let d = dout + bt * C
        if let dwte { let e = dwte + Int(tokens[bt]) * C; for j in 0..<C { e[j] += d[j] } }
        if let dwpe { let p = dwpe + (bt % T) * C; for j in 0..<C { p[j] += d[j] } }
    }
}

/// out[B·T, C] = embed[tokens[b, t]]: the Llama family's input (positions enter through RoPE).
func embeddingForward(_ out: UnsafeMutablePointer<Float>, _ tokens: UnsafePointer<Int32>,
                      _ embed: UnsafePointer<Float>, rows: Int, C: Int) {
    Parallel.ranges(rows, minChunk: 32) { r in
        for bt in r { (out + bt * C).update(from: embed + Int(tokens[bt]) * C, count: C) }
    }
}

/// dembed[tokens[b, t]] += dout[b, t] (serial: two rows may share a token).
func embeddingBackward(_ dembed: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>,
                       _ tokens: UnsafePointer<Int32>, rows: Int, C: Int) {
    for bt in 0..<rows {
        let d = dout + bt * C, e = dembed + Int(tokens[bt]) * C
        for j in 0..<C { e[j] += d[j] }
    }
}

/// Checks a [B, T] batch of input ids before the embedding reads them: the count, and every id in
/// 0..<vocabSize (the embedding has no row for anything else).
func checkInputTokens(_ tokens: UnsafeBufferPointer<Int32>, batch B: Int, seq T: Int, vocabSize: Int) throws {
    guard tokens.count == B * T else { throw EngineError.invalidInput("expected \(B)×\(T) = \(B * T) token ids, got \(tokens.count)") }
    let V = Int32(vocabSize)
    if let bad = tokens.first(where: { $0 < 0 || $0 >= V }) {
        throw EngineError.invalidInput("token id \(bad) is outside the vocabulary (0..<\(V))")
    }
}
