// The fully connected layer in nn.Linear's layout: weight [out, in], so the forward multiplies by
// the transposed weight (the Llama family's projections; GPT-2's Conv1D layout is Matmul.swift).
// Output rows may be strided (ldOut), so q_proj, k_proj and v_proj write one packed q|k|v row.
//
//     out[r, o]   = residual[r, o] + bias[o] + Σ_i inp[r, i] · W[o, i]
//     dinp[r, i] += Σ_o dout[r, o] · W[o, i]
//     dW[o, i]   += Σ_r dout[r, o] · inp[r, i]
//     dbias[o]   += Σ_r dout[r, o]
import COpenBLAS

/// out[rows, outC] (row stride ldOut) = residual + inp[rows, inC] · weightᵀ + bias; residual and bias optional.
func linearForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                   _ bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>? = nil,
                   rows: Int, inC: Int, outC: Int, ldOut: Int? = nil) {
    let ld = ldOut ?? outC
    let accumulate = bias != nil || residual != nil
    if accumulate {
        Parallel.ranges(rows, minChunk: 32) { r in
            for i in r {
                let o = out + i * ld
                if let residual { o.update(from: residual + i * outC, count: outC) } else { o.update(repeating: 0, count: outC) }
                if let bias { for j in 0..<outC { o[j] += bias[j] } }
            }
        }
    }
    sgemm(transB: true, M: rows, N: outC, K: inC, inp, lda: inC, weight, ldb: inC, beta: accumulate ? 1 : 0, out, ldc: ld)
}

/// dinp[rows, inC] += dout · weight;  dweight[outC, inC] += doutᵀ · inp;  dbias[outC] += Σ_rows dout.
/// dout has row stride ldOut. Any output may be nil (nothing below trains, or the layer is frozen).
/// `ones` holds at least `rows` ones (the bias gradient is a gemv).
func linearBackward(_ dinp: UnsafeMutablePointer<Float>?, _ dweight: UnsafeMutablePointer<Float>?,
                    _ dbias: UnsafeMutablePointer<Float>?, _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>,
                    _ weight: UnsafePointer<Float>, rows: Int, inC: Int, outC: Int, ldOut: Int? = nil,
                    ones: UnsafePointer<Float>) {
    let ld = ldOut ?? outC
    if let dinp { sgemm(M: rows, N: inC, K: outC, dout, lda: ld, weight, ldb: inC, beta: 1, dinp, ldc: inC) }
    if let dweight { sgemm(transA: true, M: outC, N: inC, K: rows, dout, lda: ld, inp, ldb: inC, beta: 1, dweight, ldc: inC) }
    if let dbias {
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(outC), 1, dout, Int32(ld), ones, 1, 1, dbias, 1)
    }
}
