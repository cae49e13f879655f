// Sampling without sorting the vocabulary: the top-p nucleus by weighted quickselect and top-k by
// heap selection choose exactly the tokens a full sort would, at the right frequencies.
import Foundation
import Testing
@testable import Engine

@Suite struct SamplingTests {
    /// The nucleus a full sort gives: the most likely tokens until their probability reaches p.
    func sortedNucleus(_ probs: [Double], p: Double) -> Set<Int> {
        var cum = 0.0, out = Set<Int>()
        for i in probs.indices.sorted(by: { probs[$0] > probs[$1] }) {
            out.insert(i); cum += probs[i]
            if cum >= p { break }
        }
        return out
    }

    @Test func nucleusSelectionKeepsTheSmallestHeaviestSetForEveryMassOrItIsWrong() {
        var rng = SeededRNG(seed: 5)
        for trial in 0..<200 {
            let n = 1 + trial % 97
            // Weights with ties (rounded) and zeros (underflowed tokens).
            let w: [Float] = (0..<n).map { _ in let u = rng.nextUniform(); return u < 0.1 ? 0 : (u * 8).rounded() / 8 }
            let total = w.reduce(0, +)
            guard total > 0 else { continue }
            let p = Float(0.05 + 0.9 * Double(rng.nextUniform()))
            var order = (0..<n).map(Int32.init)
            let (kept, sum) = order.withUnsafeMutableBufferPointer { o in
                w.withUnsafeBufferPointer { nucleus(o.baseAddress!, count: n, weights: $0.baseAddress!, mass: p * total) }
            }
            let keptWeights = order[0..<kept].map { w[Int($0)] }
            #expect(Set(order) == Set((0..<n).map(Int32.init)), "order must stay a permutation")
            #expect(abs(keptWeights.reduce(0, +) - sum) < 1e-4)
            #expect(sum >= p * total * (1 - 1e-5), "trial \(trial): kept \(sum) of \(total), needed \(p * total)")
            // Smallest: without its lightest member the kept set falls short; nothing left out is heavier.
            let lightest = keptWeights.min()!
            #expect(sum - lightest < p * total * (1 + 1e-5), "trial \(trial): the set is not minimal")
            #expect(order[kept...].allSatisfy { w[Int($0)] <= lightest }, "trial \(trial): a heavier token was left out")
        }
    }

    @Test func topPAndTopKSampleOnlyTheNucleusAtItsRenormalisedFrequencies() {
        let logits: [Float] = [2.0, -1.0, 1.0, 0.5, -3.0, 0.0, -10.0, -1.5]
        let V = logits.count
        for (topK, topP, temperature) in [(nil, 0.8, 1.0), (nil, 0.5, 0.7), (3, 0.95, 1.3), (5, nil, 1.0), (nil, nil, 2.0)] as [(Int?, Float?, Float)] {
            let cfg = SamplingConfig(temperature: temperature, topK: topK, topP: topP)
            // The reference distribution: softmax at the temperature, top-k cut, nucleus by sorting.
            var probs = logits.map { exp(Double($0) / Double(temperature)) }
            if let k = topK {
                let keep = Set(probs.indices.sorted { probs[$0] > probs[$1] }.prefix(k))
                for i in probs.indices where !keep.contains(i) { probs[i] = 0 }
            }
            let z = probs.reduce(0, +); probs = probs.map { $0 / z }
            let allowed = sortedNucleus(probs, p: Double(topP ?? 1))
            let zn = allowed.map { probs[$0] }.reduce(0, +)
            var counts = [Int](repeating: 0, count: V)
            var rng = SeededRNG(seed: 9)
            var row = logits, order = [Int32](repeating: 0, count: V), weights = [Float](repeating: 0, count: V)
            let draws = 40_000
            for _ in 0..<draws {
                let t = chooseToken(&row, V: V, config: cfg, order: &order, weights: &weights, rng: &rng)
                counts[t] += 1
            }
            for i in 0..<V {
                let expected = allowed.contains(i) ? probs[i] / zn : 0
                let seen = Double(counts[i]) / Double(draws)
                #expect(abs(seen - expected) < 0.01, "top-k \(String(describing: topK)) top-p \(String(describing: topP)): token \(i) drawn \(seen), expected \(expected)")
            }
        }
    }
}
