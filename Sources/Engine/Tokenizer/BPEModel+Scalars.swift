// The first symbols of a piece in scalar mode (vocabularies converted from SentencePiece: Llama 2,
// Mistral, Phi-3), as `tokenizers`' BPE::merge_word makes them: each Unicode scalar is looked up
// (with the continuing-subword prefix / end-of-word suffix when the model has them); a scalar the
// vocabulary lacks becomes its UTF-8 bytes as `<0x0A>`-style tokens (byte_fallback), or else the
// unknown token, consecutive unknowns fused into one when fuse_unk is set.

extension BPEModel {
    func scalarSymbols(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(bytes.count)
        let affixed = options.continuingSubwordPrefix != nil || options.endOfWordSuffix != nil
        var pendingUnk: Int32? = nil
        var i = 0
        while i < bytes.count {
            let n = AddedTokenMatcher.length(at: i, in: bytes)
            let end = min(i + n, bytes.count)
            var id: Int32? = nil
            var spelled: [UInt8] = []
            if affixed {
                spelled = Array(bytes[i..<end])
                if i > 0, let prefix = options.continuingSubwordPrefix { spelled = Array(prefix.utf8) + spelled }
                if end == bytes.count, let suffix = options.endOfWordSuffix { spelled += Array(suffix.utf8) }
                id = tokenToId[ExactString(String(decoding: spelled, as: UTF8.self))]
            } else {
                id = scalarIds[AddedTokenMatcher.scalar(at: i, in: bytes).value]
            }
            if let id {
                if let u = pendingUnk { symbols.append(u); pendingUnk = nil }
                symbols.append(id)
            } else if options.byteFallback, let fallback = fallbackSymbols(affixed ? spelled[...] : Array(bytes[i..<end])[...]) {
                // `tokenizers` adds the byte tokens without flushing a pending unknown first.
                symbols.append(contentsOf: fallback)
            } else if let unkId {
                if pendingUnk != nil && !options.fuseUnk { symbols.append(pendingUnk!) }
                pendingUnk = unkId
            }
            i = end
        }
        if let u = pendingUnk { symbols.append(u) }
        return symbols
    }

    /// The `<0xNN>` ids of some bytes, or nil if the vocabulary lacks one of them.
    private func fallbackSymbols(_ bytes: ArraySlice<UInt8>) -> [Int32]? {
        var out: [Int32] = []
        for b in bytes {
            let id = fallbackIds[Int(b)]
            if id < 0 { return nil }
            out.append(id)
        }
        return out
    }
}
