// What the background candidate worker reports (GET /api/v1/candidates/status) and how the rest of
// the app reaches it: `HiloApp.candidates` is a board the running generator registers with, so a
// submit or a promotion can `wake()` it and the status route can read it whether or not a worker
// runs (tests and `hilo serve` without models have none).
import Foundation

/// The worker's state as the admin sees it.
public struct CandidateStatus: Codable, Sendable, Equatable {
    /// A worker thread is running.
    public var running = false
    /// `candidates.enabled` as the last pass read it.
    public var enabled = true
    /// The serving policy version whose responses are stocked (nil: no policy serves).
    public var version: String?
    public var versionId: Int64?
    /// The buffer the settings ask for, and how many of its prompts hold at least 2 of the serving
    /// version's responses (counted after the last pass).
    public var bufferPrompts = 0
    public var stockedPrompts = 0
    /// Prompts of this version that gave fewer than 2 distinct responses in `maxTries` rounds (left alone).
    public var exhaustedPrompts = 0
    /// Non-held-out prompts with no label yet: what the buffer draws from. 0 while running means the
    /// worker has nothing left to answer until more prompts are imported (the admin page says so).
    public var unlabelledPrompts = 0
    /// Responses written since the worker started, samples dropped as duplicates or blank, and
    /// tokens generated.
    public var generatedTotal = 0
    public var duplicatesSkipped = 0
    public var tokensTotal = 0
    /// Throughput of the last generation batch.
    public var tokensPerSecond: Double?
    public var responsesPerSecond: Double?
    /// The serving reward model that scores responses (RLAIF), scores and AI labels written since start.
    public var rewardVersion: String?
    public var scoredTotal = 0
    public var aiLabelsTotal = 0
    /// When the last pass ended (Unix ms) and the error it stopped on, if any.
    public var lastPassAt: Int64?
    public var error: String?

    public init() {}
}

/// The app's handle on the candidate worker. `@unchecked Sendable`: fields guarded by `lock`.
public final class CandidateBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var value = CandidateStatus()
    private var wakeHook: (@Sendable () -> Void)?

    public init() {}

    public var status: CandidateStatus { lock.lock(); defer { lock.unlock() }; return value }

    func update(_ body: (inout CandidateStatus) -> Void) { lock.lock(); body(&value); lock.unlock() }

    /// Called by a worker when it starts (and with nil when it stops).
    func register(wake: (@Sendable () -> Void)?) { lock.lock(); wakeHook = wake; lock.unlock() }

    /// Asks the running worker (if any) for a pass now: after a promotion or rollback.
    public func wake() {
        lock.lock(); let hook = wakeHook; lock.unlock()
        hook?()
    }

    /// After a submit: a labelled prompt leaves the buffer, so the worker tops it up, but only when
    /// its last pass was stocking a serving policy's responses. Without one a pass has nothing to do
    /// for a label, and waking it on every submit cost the server a sixth of its CPU under load
    /// (a promotion wakes it through `wake()`, and it polls anyway).
    public func labelled() {
        lock.lock()
        let hook = value.enabled && value.versionId != nil ? wakeHook : nil
        lock.unlock()
        hook?()
    }
}
