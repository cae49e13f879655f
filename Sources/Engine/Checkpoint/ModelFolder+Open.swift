// A model folder opened for use: its weights in a GPT2 and its tokenizer, checked against each other.
// The server's samplers and scorers (candidates, evaluation, RLAIF) all open folders this way.
import Foundation

extension ModelFolder {
    /// The model of `folder` as `kind` (nil: whatever the folder holds) with its tokenizer. Throws
    /// when the tokenizer does not fit the model's vocabulary.
    public static func open(at folder: URL, as kind: Kind? = nil) throws -> (model: GPT2, tokenizer: Tokenizer, loaded: LoadedModel) {
        let loaded = try load(at: folder, as: kind)
        let tokenizer = try Tokenizer.load(directory: folder)
        try tokenizer.checkFits(modelVocabSize: loaded.config.vocabSize, model: folder.path)
        let model = try GPT2(config: loaded.config, scoreHead: loaded.kind == .reward)
        model.params.copy(from: loaded.parameters)
        return (model, tokenizer, loaded)
    }
}
