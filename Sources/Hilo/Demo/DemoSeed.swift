// Seeds a fresh database with the demo prompt set the embedded default serves: questions from the demo
// queue split for annotators to rank, and held-out questions (`prompts.heldout = 1`, never handed out
// by the task queue) for evaluating version 2 against version 1. Prompts only: the candidate generator
// writes responses with the serving policy.
//
//     let result = try DemoSeed(config: .init()).seed(db, now: now)   // 1500 queue + 100 held-out prompts
//
// A seed fixes the prompt set; inserts are idempotent by content hash (seeding again adds nothing), and
// the whole set goes in one transaction, so a crash leaves all of it or none.
import Foundation
import Store
import Support

public struct DemoSeed: Sendable {
    public struct Config: Codable, Sendable, Equatable {
        /// Prompts annotators rank (DemoSplit.queue). The queue split holds about 1,990 distinct question
        /// texts; 1500 of them are drawn quickly and keep a small team busy for many retraining rounds.
        public var queue: Int = 1500
        /// Held-out prompts (DemoSplit.heldout) for blind evaluation; 100 gives ±10-point Wilson intervals.
        public var heldout: Int = 100
        /// Fixes which question texts are drawn, and their order.
        public var seed: UInt64 = 7
        /// The tag every seeded prompt carries, so an admin can filter or export them.
        public var tag: String = "demo"

        public init(queue: Int = 1500, heldout: Int = 100, seed: UInt64 = 7, tag: String = "demo") {
            self.queue = queue; self.heldout = heldout; self.seed = seed; self.tag = tag
        }

        public func validate() throws {
            guard queue >= 0, heldout >= 0 else { throw DemoError.invalid("demo seed: prompt counts must not be negative (queue \(queue), heldout \(heldout))") }
            guard !tag.isEmpty else { throw DemoError.invalid("demo seed: the tag must not be empty") }
        }
    }

    /// What a seeding did.
    public struct Result: Sendable, Equatable {
        /// New queue prompts inserted (0 when the set was already there).
        public var queueInserted = 0
        /// New held-out prompts inserted.
        public var heldoutInserted = 0
        /// Prompts of the set that were already in the database.
        public var existing = 0
        public init() {}
    }

    /// The `source` column of seeded prompts.
    public static let queueSource = "demo:queue"
    public static let heldoutSource = "demo:heldout"

    public let config: Config

    public init(config: Config = Config()) { self.config = config }

    /// The prompts of one split: HH strings ("\n\nHuman: …\n\nAssistant:"), as `hilo demo corpus --kind
    /// prompts` writes them and as the policy was trained on. Distinct question texts, in draw order.
    public func prompts(_ split: DemoSplit, count: Int) throws -> [String] {
        precondition(split == .queue || split == .heldout, "the seed draws from the queue and held-out splits")
        var corpusConfig = DemoCorpusConfig()
        corpusConfig.split = split
        // One stream per split, so changing one count never changes the other set.
        var rng = SplitMix64(seed: config.seed &+ (split == .queue ? 0 : 0x5EED))
        return try DemoCorpus(config: corpusConfig).questions(count: count, rng: &rng).map { DemoCorpus.prompt($0.text) }
    }

    /// Removes the demo set (`hilo demo remove`, POST /api/v1/demo/remove): its prompts go, except
    /// those a label or an evaluation uses (kept, counted in `kept`).
    public static func remove(_ c: Connection) throws -> PromptRemoval {
        try PromptRepository(c).remove(sources: [queueSource, heldoutSource])
    }

    /// Inserts the demo set into `db` in one transaction. Prompts whose text is already stored are left
    /// as they are (counted in `existing`).
    @discardableResult
    public func seed(_ db: Database, now: Int64) throws -> Result {
        try config.validate()
        let queue = try prompts(.queue, count: config.queue)
        let heldout = try prompts(.heldout, count: config.heldout)
        return try db.write { c in
            let repo = PromptRepository(c)
            var result = Result()
            for (texts, isHeldout) in [(queue, false), (heldout, true)] {
                for text in texts {
                    let p = NewPrompt(text: text, source: isHeldout ? Self.heldoutSource : Self.queueSource, tags: [config.tag],
                                      metadata: #"{"demo":true}"#)
                    let (id, inserted) = try repo.insert(p, now: now)
                    guard inserted else { result.existing += 1; continue }
                    if isHeldout {
                        try repo.setHeldout(id: id, true)
                        result.heldoutInserted += 1
                    } else {
                        result.queueInserted += 1
                    }
                }
            }
            return result
        }
    }
}
