// The threads that run one decoding step together. A step is about fifty small products (a few
// rows against one weight matrix, ~0.2 ms each for GPT-2 small at batch 1); as one fork-join each
// (DispatchQueue.concurrentPerform) every product paid a worker's wake-up and the second thread
// started late: measured 18% of both threads idle and ~90 context switches per step, 52 tok/s
// where the same weight reads without the joins run at 70-87. A team keeps its helper threads for
// the generator's life: a step is one hand-off, the threads run the same step body on their own
// parts, and they meet at barriers that spin (the partner is microseconds away) and yield the core
// when it is late. Between steps a helper spins briefly, then parks on a condition (no CPU spent
// while the generator is idle or training runs).
import Foundation
import Synchronization

/// `@unchecked Sendable`: `body` is written by the caller only while every helper is waiting for
/// the next epoch and read by helpers only after it (the epoch's release/acquire orders it);
/// `stopping` is read and written under `wake`; everything else is atomic.
final class DecodeTeam: @unchecked Sendable {
    /// Threads in a step, the caller included.
    let size: Int
    private let epoch = Atomic<Int>(0), finished = Atomic<Int>(0)
    private let arrived = Atomic<Int>(0), phase = Atomic<Int>(0)
    private let wake = NSCondition()
    private var stopping = false
    private var body: ((Int) -> Void)?

    /// How long an idle helper spins for the next step before it parks (a step's sampling takes
    /// ~0.05 ms greedy at batch 1, a top-p sort longer; parking costs one wake-up per step).
    private static let spinNanoseconds: UInt64 = 500_000

    init(size: Int) {
        precondition(size >= 1)
        self.size = size
        for t in 1..<max(size, 1) {
            let thread = Thread { [self] in helperLoop(t) }
            thread.name = "hilo-decode-\(t)"
            thread.start()
        }
    }

    /// Ends the helpers (they hold the team, so call it when the owner goes away).
    func stop() {
        wake.lock(); stopping = true; epoch.add(1, ordering: .releasing); wake.broadcast(); wake.unlock()
    }

    /// Runs body(0) on the caller and body(t) for t in 1..<size on the helpers; returns when all are done.
    func run(_ body: (Int) -> Void) {
        if size == 1 { body(0); return }
        withoutActuallyEscaping(body) { body in
            self.body = body
            finished.store(0, ordering: .relaxed)
            wake.lock(); epoch.add(1, ordering: .releasing); wake.broadcast(); wake.unlock()
            body(0)
            var spins = 0
            while finished.load(ordering: .acquiring) < size - 1 { relax(&spins) }
            self.body = nil
        }
    }

    /// Waits inside `run` until every thread of the team has called it: writes before it are
    /// visible to all after it.
    func barrier() {
        if size == 1 { return }
        let p = phase.load(ordering: .acquiring)
        if arrived.add(1, ordering: .acquiringAndReleasing).newValue == size {
            arrived.store(0, ordering: .relaxed)
            phase.store(p &+ 1, ordering: .releasing)
            return
        }
        var spins = 0
        while phase.load(ordering: .acquiring) == p { relax(&spins) }
    }

    private func helperLoop(_ t: Int) {
        var seen = 0
        while true {
            var spins = 0
            let start = DispatchTime.now().uptimeNanoseconds
            while epoch.load(ordering: .acquiring) == seen {
                spins += 1
                if spins & 255 == 0 && DispatchTime.now().uptimeNanoseconds - start > Self.spinNanoseconds {
                    wake.lock()
                    while epoch.load(ordering: .acquiring) == seen && !stopping { wake.wait() }
                    wake.unlock()
                }
            }
            seen = epoch.load(ordering: .acquiring)
            wake.lock(); let stop = stopping; wake.unlock()
            if stop { return }
            body!(t)
            finished.add(1, ordering: .releasing)
        }
    }

    /// A spin-wait step: busy for the first thousand checks, then give the core away each time
    /// (the partner may have been descheduled by another process on a shared machine).
    @inline(__always) private func relax(_ spins: inout Int) {
        spins += 1
        if spins > 1000 { sched_yield() }
    }
}
