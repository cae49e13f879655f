// The generation settings a Hugging Face model folder suggests, read from and written to its
// `generation_config.json` (transformers' GenerationConfig; keys Hilo does not use are ignored).
import Foundation

public struct GenerationDefaults: Codable, Sendable, Equatable {
    /// Tokens that end a generation; transformers allows one id or a list.
    public var eosTokenIds: [Int]
    /// The token a generation may start from (GPT-2 uses the EOS id).
    public var bosTokenId: Int?
    /// The padding token for batched generation.
    public var padTokenId: Int?
    /// How many tokens to generate when the caller does not say.
    public var maxNewTokens: Int?
    /// Softmax temperature for sampling.
    public var temperature: Float?
    /// Sample only among the K most likely tokens.
    public var topK: Int?
    /// Sample only among the most likely tokens whose probabilities sum to P (nucleus sampling).
    public var topP: Float?
    /// Sample (true) or decode greedily (false); transformers' default is greedy.
    public var doSample: Bool?

    public init(eosTokenIds: [Int] = [], bosTokenId: Int? = nil, padTokenId: Int? = nil,
                maxNewTokens: Int? = nil, temperature: Float? = nil, topK: Int? = nil,
                topP: Float? = nil, doSample: Bool? = nil) {
        self.eosTokenIds = eosTokenIds; self.bosTokenId = bosTokenId; self.padTokenId = padTokenId
        self.maxNewTokens = maxNewTokens; self.temperature = temperature; self.topK = topK
        self.topP = topP; self.doSample = doSample
    }

    /// What transformers derives from config.json when a folder has no generation_config.json.
    public init(modelConfig: GPT2Config) {
        self.init(eosTokenIds: modelConfig.eosTokenId.map { [$0] } ?? [], bosTokenId: modelConfig.bosTokenId,
                  padTokenId: modelConfig.padTokenId)
    }

    /// The first EOS id, if any.
    public var eosTokenId: Int? { eosTokenIds.first }

    enum CodingKeys: String, CodingKey {
        case eosTokenIds = "eos_token_id", bosTokenId = "bos_token_id", padTokenId = "pad_token_id"
        case maxNewTokens = "max_new_tokens", temperature, topK = "top_k", topP = "top_p", doSample = "do_sample"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let one = try? c.decodeIfPresent(Int.self, forKey: .eosTokenIds) {
            eosTokenIds = [one]
        } else {
            eosTokenIds = try c.decodeIfPresent([Int].self, forKey: .eosTokenIds) ?? []
        }
        bosTokenId = try c.decodeIfPresent(Int.self, forKey: .bosTokenId)
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId)
        maxNewTokens = try c.decodeIfPresent(Int.self, forKey: .maxNewTokens)
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature)
        topK = try c.decodeIfPresent(Int.self, forKey: .topK)
        topP = try c.decodeIfPresent(Float.self, forKey: .topP)
        doSample = try c.decodeIfPresent(Bool.self, forKey: .doSample)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch eosTokenIds.count {
        case 0: break
        case 1: try c.encode(eosTokenIds[0], forKey: .eosTokenIds)
        default: try c.encode(eosTokenIds, forKey: .eosTokenIds)
        }
        try c.encodeIfPresent(bosTokenId, forKey: .bosTokenId)
        try c.encodeIfPresent(padTokenId, forKey: .padTokenId)
        try c.encodeIfPresent(maxNewTokens, forKey: .maxNewTokens)
        if let t = temperature { try c.encode(Double("\(t)") ?? Double(t), forKey: .temperature) }
        try c.encodeIfPresent(topK, forKey: .topK)
        if let p = topP { try c.encode(Double("\(p)") ?? Double(p), forKey: .topP) }
        try c.encodeIfPresent(doSample, forKey: .doSample)
    }

    /// Reads `generation_config.json`; a malformed file is an error naming it and the field.
    public static func read(at url: URL) throws -> GenerationDefaults {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw EngineError.badFile(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(GenerationDefaults.self, from: data)
        } catch {
            throw EngineError.badFile(path: url.path, reason: ModelFolder.describeDecodingError(error))
        }
    }

    /// The file's JSON, pretty-printed with sorted keys.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
