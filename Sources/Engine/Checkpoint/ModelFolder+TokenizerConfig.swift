// tokenizer_config.json for the model folders Hilo writes. A folder whose tokenizer came without one
// (a tokenizer Hilo trained, or a folder holding only tokenizer.json) gets the file transformers'
// `save_pretrained` writes, so `AutoTokenizer.from_pretrained(folder)` sees:
// - the special tokens the model's config names (`bos_token`, `eos_token`, `unk_token` as GPT-2 sets
//   them, `pad_token` when the config has one, as a reward model's does), by their spelling;
// - `model_max_length` = the model's context (n_positions / max_position_embeddings), so tools that
//   truncate to it (TRL, pipelines) never feed positions the model does not have;
// - `chat_template`: the HH transcript form of `ChatTemplate.jinja`, the form Hilo prompts every
//   model in, so `apply_chat_template` and TRL's conversational datasets give the text Hilo scores.
// A tokenizer_config.json the source has is copied as it is (its owner's settings win).
//
//     try writeTokenizerConfigIfMissing(in: tmp, TokenizerSettings(tokenizerClass: "GPT2Tokenizer", modelMaxLength: 128, …))
import Foundation
import Support

extension ModelFolder {
    /// What goes into a generated tokenizer_config.json.
    struct TokenizerSettings {
        /// transformers' class for the tokenizer files: GPT2Tokenizer for GPT-2 folders, the generic
        /// PreTrainedTokenizerFast (tokenizer.json as it is) for the Llama family.
        var tokenizerClass: String
        /// The model's context: tokens past it have no position embedding (GPT-2) or were never trained (RoPE).
        var modelMaxLength: Int
        /// Ids from the model's config; each one the tokenizer spells becomes that special token.
        var bosTokenId: Int?, eosTokenId: Int?, padTokenId: Int?
        /// GPT-2 names its end-of-text token as the unknown token too; Llama tokenizers have their own.
        var unknownIsEndOfText: Bool
    }

    /// Writes tokenizer_config.json into `folder` when the folder has a tokenizer but no such file.
    static func writeTokenizerConfigIfMissing(in folder: URL, _ settings: TokenizerSettings) throws {
        let fm = FileManager.default
        let target = folder.appendingPathComponent("tokenizer_config.json")
        guard !fm.fileExists(atPath: target.path),
              fm.fileExists(atPath: folder.appendingPathComponent("tokenizer.json").path)
                || fm.fileExists(atPath: folder.appendingPathComponent("vocab.json").path) else { return }
        // A tokenizer Hilo cannot read gets no file: the folder is refused when it is loaded anyway
        // (Tokenizer.load names the problem), and a format conversion keeps working on its weights.
        guard let tokenizer = try? Tokenizer.load(directory: folder) else { return }
        try AtomicFile.write(try tokenizerConfigJSON(settings, tokenizer: tokenizer), to: target)
    }

    /// The tokenizer_config.json text for `tokenizer` under `settings`.
    static func tokenizerConfigJSON(_ settings: TokenizerSettings, tokenizer: Tokenizer) throws -> Data {
        func spelling(_ id: Int?) -> Any { id.flatMap { tokenizer.token(for: $0) } ?? NSNull() }
        var object: [String: Any] = [
            "tokenizer_class": settings.tokenizerClass,
            "model_max_length": settings.modelMaxLength,
            "add_prefix_space": tokenizer.addPrefixSpace,
            "clean_up_tokenization_spaces": false,
            "bos_token": spelling(settings.bosTokenId),
            "eos_token": spelling(settings.eosTokenId),
            "pad_token": spelling(settings.padTokenId),
            "chat_template": ChatTemplate.jinja,
        ]
        if settings.unknownIsEndOfText { object["unk_token"] = spelling(settings.eosTokenId) }
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}
