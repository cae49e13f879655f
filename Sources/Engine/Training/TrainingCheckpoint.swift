// The resumable checkpoint of a run: every optimised model's weights and AdamW moments and step, the
// run's step and seed (the data order and the per-step random numbers derive from them, so they are the
// data position and the RNG state), and the stage's own state (PPO's KL coefficient and reward
// statistics). Written as one folder that appears atomically:
//     state.json                      format, stage, step, seed, slots, data position
//     extra.json                      the stage's state (may be "{}")
//     <slot>.weights.bin, <slot>.adam_m.bin, <slot>.adam_v.bin   little-endian float32, the layout's floats
//                                                                 (a LoRA run: the adapter's buffer only; the base is its folder)
import Foundation
import Support

public struct TrainingCheckpoint: Codable, Sendable, Equatable {
    public static let format = "hilo-train-checkpoint-1"

    public struct Slot: Codable, Sendable, Equatable {
        /// "policy", "value", "reward", "model".
        public var name: String
        /// Floats in the buffer (the layout's total): a checkpoint of another model is refused.
        public var floats: Int
        /// AdamW steps taken (its bias correction continues from here).
        public var adamStep: Int
    }

    public var format: String
    public var stage: TrainingStage
    /// Optimizer steps done (PPO: rollouts done); the run continues at this step.
    public var step: Int
    public var totalSteps: Int
    public var seed: UInt64
    /// The data position this step corresponds to (informational: it follows from step and seed).
    public var epoch: Int
    public var batchInEpoch: Int
    public var slots: [Slot]

    /// Reads state.json of a checkpoint folder.
    public static func read(at folder: URL) throws -> TrainingCheckpoint {
        let url = folder.appendingPathComponent("state.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw EngineError.badFile(path: url.path, reason: "no checkpoint here (state.json is missing)")
        }
        let c: TrainingCheckpoint
        do { c = try JSONDecoder().decode(TrainingCheckpoint.self, from: data) } catch {
            throw EngineError.badFile(path: url.path, reason: "not a training checkpoint: \(ModelFolder.describeDecodingError(error))")
        }
        guard c.format == format else { throw EngineError.badFile(path: url.path, reason: "unknown checkpoint format \(c.format)") }
        return c
    }

    static func write(_ state: TrainingCheckpoint, extra: Data, models: [(String, OptimizedModel)], to folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let stateData = try encoder.encode(state)
        try EngineError.writingFiles { try AtomicFile.writeFolder(at: folder, replace: true) { tmp in
            for (name, m) in models {
                for (suffix, buffer) in [("weights", m.trainedParams), ("adam_m", m.adam.m), ("adam_v", m.adam.v)] {
                    try AtomicFile.write(to: tmp.appendingPathComponent("\(name).\(suffix).bin")) { out in
                        try out.write(UnsafeRawBufferPointer(start: buffer.base, count: buffer.layout.totalCount * 4))
                    }
                }
            }
            try AtomicFile.write(extra, to: tmp.appendingPathComponent("extra.json"))
            try AtomicFile.write(stateData, to: tmp.appendingPathComponent("state.json"))
        } }
    }

    /// Loads the weights and optimizer state into `models` (matched by slot name) and returns extra.json.
    func restore(into models: [(String, OptimizedModel)], from folder: URL) throws -> Data {
        for (name, m) in models {
            guard let slot = slots.first(where: { $0.name == name }) else {
                throw EngineError.badFile(path: folder.path, reason: "the checkpoint has no '\(name)' model (it holds \(slots.map(\.name)))")
            }
            guard slot.floats == m.trainedParams.layout.totalCount else {
                throw EngineError.badFile(path: folder.path, reason: "the checkpoint's '\(name)' model has \(slot.floats) floats, this model \(m.trainedParams.layout.totalCount): another architecture or adapter")
            }
            for (suffix, buffer) in [("weights", m.trainedParams), ("adam_m", m.adam.m), ("adam_v", m.adam.v)] {
                let url = folder.appendingPathComponent("\(name).\(suffix).bin")
                guard let data = FileManager.default.contents(atPath: url.path), data.count == slot.floats * 4 else {
                    throw EngineError.badFile(path: url.path, reason: "missing or truncated (expected \(slot.floats * 4) bytes)")
                }
                data.withUnsafeBytes { raw in
                    UnsafeMutableRawPointer(buffer.base).copyMemory(from: raw.baseAddress!, byteCount: data.count)
                }
            }
            m.adam.step = slot.adamStep
        }
        return FileManager.default.contents(atPath: folder.appendingPathComponent("extra.json").path) ?? Data("{}".utf8)
    }
}
