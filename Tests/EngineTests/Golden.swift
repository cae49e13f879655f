// Loads the golden files make_golden.py and make_llama_golden.py write (format "hilo-golden-1": a
// JSON index into a little-endian .bin) and builds the tiny GPT-2 they describe.
import Foundation
import Testing
@testable import Engine

struct Golden {
    struct Entry: Decodable { var dtype: String; var shape: [Int]; var offset: Int }
    struct Hyper: Decodable {
        var lr: Float, beta1: Float, beta2: Float, eps: Float, weight_decay: Float, clip: Float
        var warmup: Int, steps: Int, min_lr_ratio: Float
    }
    struct Meta: Decodable {
        var format: String
        var config: [String: Double]
        var batch: [Int]
        /// Training hyper-parameters (GPT-2's golden only).
        var hyper: Hyper?
        var tensors: [String: Entry]
    }

    let meta: Meta
    let blob: Data

    static let shared = Golden.load("gpt2_tiny")

    /// The golden `name`.json/.bin under Fixtures (name may hold a subfolder: "llama/qwen3").
    static func load(_ name: String) -> Golden {
        let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        let meta = try! JSONDecoder().decode(Meta.self, from: Data(contentsOf: dir.appendingPathComponent(name + ".json")))
        precondition(meta.format == "hilo-golden-1", "unknown golden format \(meta.format)")
        return Golden(meta: meta, blob: try! Data(contentsOf: dir.appendingPathComponent(name + ".bin")))
    }

    func floats(_ name: String) -> [Float] {
        guard let e = meta.tensors[name], e.dtype == "f32" else { preconditionFailure("no f32 tensor \(name)") }
        let n = e.shape.reduce(1, *)
        return blob.withUnsafeBytes { raw in
            (0..<n).map { raw.loadUnaligned(fromByteOffset: e.offset + 4 * $0, as: Float.self) }
        }
    }

    func ints(_ name: String) -> [Int32] {
        guard let e = meta.tensors[name], e.dtype == "i32" else { preconditionFailure("no i32 tensor \(name)") }
        let n = e.shape.reduce(1, *)
        return blob.withUnsafeBytes { raw in
            (0..<n).map { raw.loadUnaligned(fromByteOffset: e.offset + 4 * $0, as: Int32.self) }
        }
    }

    var config: GPT2Config {
        let c = meta.config
        return GPT2Config(vocabSize: Int(c["vocab_size"]!), nPositions: Int(c["n_positions"]!), nEmbd: Int(c["n_embd"]!),
                          nLayer: Int(c["n_layer"]!), nHead: Int(c["n_head"]!),
                          layerNormEpsilon: Float(c["layer_norm_epsilon"]!), eosTokenId: Int(c["eos_token_id"]!))
    }

    /// A model holding the golden initial weights (or the weights under another prefix).
    func model(prefix: String = "param.") throws -> GPT2 {
        let m = try GPT2(config: config)
        for t in m.layout.tensors {
            let v = floats(prefix + t.name)
            precondition(v.count == t.count, "\(t.name): golden has \(v.count) values, layout \(t.count)")
            m.params[t.name].update(from: v, count: v.count)
        }
        return m
    }
}

/// max |a - b| and max |a - b| / (|b| + floor), reported by the tests.
func maxDifference(_ a: UnsafeBufferPointer<Float>, _ b: [Float], floor: Float = 1e-3) -> (abs: Float, rel: Float) {
    precondition(a.count == b.count)
    var absMax: Float = 0, relMax: Float = 0
    for i in 0..<b.count {
        let d = abs(a[i] - b[i])
        absMax = max(absMax, d); relMax = max(relMax, d / (abs(b[i]) + floor))
    }
    return (absMax, relMax)
}
