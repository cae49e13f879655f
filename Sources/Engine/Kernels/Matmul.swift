// The fully connected layer on cblas_sgemm. Weights use GPT-2's Conv1D layout [in, out], so the
// forward is inp · W with no transpose and the backward transposes the other operand.
import COpenBLAS

/// out[rows, outC] = residual[rows, outC] + inp[rows, inC] · weight[inC, outC] + bias[outC]
/// (residual and bias optional; the residual add is fused so GPT-2's projections write the stream directly).
func matmulForward(_ out: UnsafeMutablePointer<Float>,
                   _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                   residual: UnsafePointer<Float>? = nil, rows: Int, inC: Int, outC: Int) {
    let accumulate = bias != nil || residual != nil
    if accumulate {
        // Write residual + bias into the output rows, then let sgemm add the product (beta = 1).
        Parallel.ranges(rows, minChunk: 32) { r in
            for i in r {
                let o = out + i * outC
                switch (residual, bias) {
                case let (res?, b?): let x = res + i * outC; for j in 0..<outC { o[j] = x[j] + b[j] }
                case let (res?, nil): o.update(from: res + i * outC, count: outC)
                case let (nil, b?): o.update(from: b, count: outC)
                case (nil, nil): break
                }
            }
        }
    }
    if rows < 4 {
        // A few rows (decoding one token per sequence): sgemv reads the weights once per row,
        // where sgemm would first pack the whole weight matrix.
        for i in 0..<rows {
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(inC), Int32(outC), 1, weight, Int32(outC),
                        inp + i * inC, 1, accumulate ? 1 : 0, out + i * outC, 1)
        }
        return
    }
    sgemm(M: rows, N: outC, K: inC, inp, lda: inC, weight, ldb: outC, beta: accumulate ? 1 : 0, out, ldc: outC)
}

/// dinp[rows, inC] += dout · weightᵀ;  dweight[inC, outC] += inpᵀ · dout;  dbias[outC] += Σ_rows dout.
/// Pass nil for dinp when nothing below needs it, nil for dweight/dbias when the layer is frozen.
/// `ones` holds at least `rows` ones (the column sum is a gemv).
func matmulBackward(_ dinp: UnsafeMutablePointer<Float>?, _ dweight: UnsafeMutablePointer<Float>?,
                    _ dbias: UnsafeMutablePointer<Float>?,
                    _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                    rows: Int, inC: Int, outC: Int, ones: UnsafePointer<Float>) {
    let parts = BLASThreads.parts
    if parts > 1 && rows * inC * outC >= 1 << 20 {
        // One parallel region: part p takes a block of dinp's rows, a block of dweight (along its
        // longer side) and a block of dbias, each a single-threaded BLAS call.
        let wideW = outC >= inC
        Parallel.parts(parts, parts: parts) { p, _ in
            if let dinp {
                let r = Parallel.block(rows, part: p, of: parts)
                if !r.isEmpty {
                    sgemm(transB: true, M: r.count, N: inC, K: outC, dout + r.lowerBound * outC, lda: outC, weight, ldb: outC,
                          beta: 1, dinp + r.lowerBound * inC, ldc: inC, split: false)
                }
            }
            if let dweight {
                let c = Parallel.block(wideW ? outC : inC, part: p, of: parts)
                if !c.isEmpty && wideW {
                    sgemm(transA: true, M: inC, N: c.count, K: rows, inp, lda: inC, dout + c.lowerBound, ldb: outC,
                          beta: 1, dweight + c.lowerBound, ldc: outC, split: false)
                } else if !c.isEmpty {
                    sgemm(transA: true, M: c.count, N: outC, K: rows, inp + c.lowerBound, lda: inC, dout, ldb: outC,
                          beta: 1, dweight + c.lowerBound * outC, ldc: outC, split: false)
                }
            }
            if let dbias {
                let c = Parallel.block(outC, part: p, of: parts)
                if !c.isEmpty {
                    cblas_sgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(c.count), 1, dout + c.lowerBound,
                                Int32(outC), ones, 1, 1, dbias + c.lowerBound, 1)
                }
            }
        }
        return
    }
    if let dinp {
        sgemm(transB: true, M: rows, N: inC, K: outC, dout, lda: outC, weight, ldb: outC, beta: 1, dinp, ldc: inC, split: false)
    }
    if let dweight {
        sgemm(transA: true, M: inC, N: outC, K: rows, inp, lda: inC, dout, ldb: outC, beta: 1, dweight, ldc: outC, split: false)
    }
    if let dbias {
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(outC), 1, dout, Int32(outC),
                    ones, 1, 1, dbias, 1)
    }
}

/// out[i] = a[i] + b[i]: the residual connection. Its backward is the identity on both inputs.
func residualForward(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) {
    Parallel.ranges(n, minChunk: 1 << 15) { r in
        for i in r { out[i] = a[i] + b[i] }
    }
}
