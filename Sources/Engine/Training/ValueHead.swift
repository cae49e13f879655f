// The value head of PPO: the `score.weight` head of a GPT2ForSequenceClassification layout applied at
// every position (the reward head reads one position per row; a value model needs all of them).
//     values[r] = hidden[r, :] · score.weight[0, :]                      r over B·T rows
//     dHidden[r, :] += dValues[r] · score.weight[0, :];  dW += Σ_r dValues[r] · hidden[r, :]
import COpenBLAS
import Foundation

extension GPT2 {
    /// After a forward: the value at every position, [B·T].
    func valuesAllPositions() -> [Float] {
        precondition(layout.hasScoreHead, "a value head needs the score.weight tensor")
        let rows = batch * seq, C = config.nEmbd
        var out = [Float](repeating: 0, count: rows)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(C), 1, hiddenStates, Int32(C),
                    params["score.weight"], 1, 0, &out, 1)
        return out
    }

    /// The backward of `valuesAllPositions` from dL/d(value) per position.
    func valuesBackward(_ dValues: [Float]) {
        let rows = batch * seq, C = config.nEmbd
        precondition(dValues.count == rows)
        cblas_sger(CblasRowMajor, Int32(rows), Int32(C), 1, dValues, 1, params["score.weight"], 1, hiddenGradient, Int32(C))
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(C), 1, hiddenStates, Int32(C), dValues, 1, 1,
                    grads["score.weight"], 1)
    }
}
