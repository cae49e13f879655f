// The embedded default policy: a 4-layer, 128-wide GPT-2 pretrained and SFT-ed by `hilo train` on the
// demo corpus (`make starter` rebuilds it), shipped as a resource of the Hilo target in the Hugging Face
// layout (config.json, model.safetensors, generation_config.json, tokenizer files). `hilo serve` with no
// --policy serves it as policy-v1 and the reference.
//
//     let folder = try StarterModel.folder          // …/Hilo_Hilo.resources/Starter/policy
//     let sampler = try PolicySampler(folder: folder)
import Foundation

public enum StarterModel {
    /// SwiftPM's resource bundle of the Hilo target (package "Hilo", target "Hilo").
    static let bundleName = "Hilo_Hilo.resources"

    /// The folder of the starter policy. Found beside the running binary (where `swift build` and an
    /// install that copies the bundle along put it), else through SwiftPM's `Bundle.module`, which also
    /// knows the build folder. Throws a message saying what to do when the files are not there.
    public static var folder: URL {
        get throws {
            let fm = FileManager.default
            var places = [Bundle.main.bundleURL]
            if let exe = Bundle.main.executableURL { places.append(exe.deletingLastPathComponent()) }
            let beside = places.map { $0.appendingPathComponent(bundleName) }
            let bundle: URL
            if let found = beside.first(where: { fm.fileExists(atPath: $0.path) }) {
                bundle = found
            } else {
                // Bundle.module stops the process itself when its bundle is in neither place it knows.
                bundle = Bundle.module.bundleURL
            }
            let policy = bundle.appendingPathComponent("Starter/policy")
            for file in ["config.json", "model.safetensors", "tokenizer.json"] where !fm.fileExists(atPath: policy.appendingPathComponent(file).path) {
                throw StarterModelError.missing(
                    "the starter model is incomplete: \(policy.path)/\(file) is missing. Copy \(bundleName) along with the hilo binary, "
                    + "rebuild the starter with `make starter`, or serve another model with --policy DIR")
            }
            return policy
        }
    }
}

/// The embedded starter model's files are not where the binary expects them.
public enum StarterModelError: Error, CustomStringConvertible, Equatable {
    case missing(String)
    public var description: String { switch self { case let .missing(m): return m } }
}
