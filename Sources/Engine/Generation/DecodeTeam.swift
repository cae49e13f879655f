// The threads that run one decoding step together. A step is about fifty small products (a few
// rows against one weight matrix, ~0.2 ms each for GPT-2 small at batch 1); as one fork-join each
// (DispatchQueue.concurrentPerform) every product paid a worker's wake-up and the second thread
// started late: measured 1.63 of 2 cores busy and ~90 context switches per step at batch 1, 52
// tok/s where a C model of the same weight reads without the joins ran at 70-87. A team keeps its
// helper threads for the generator's life: a step is one hand-off, every thread runs the same
// step body on its own parts, and they meet at barriers. A barrier spins for 50 µs (the partner
// is usually microseconds away), then sleeps on a condition, so a thread whose partner lost its
// core to another process gives the core back instead of spinning through the time slice.
// Between steps a helper spins 0.5 ms, then parks (no CPU spent while the generator is idle).
import Foundation
import Synchronization

/// `@unchecked Sendable`: `body` is written by the caller only while every helper waits for the
/// next epoch and read by helpers only after it (the epoch's release/acquire orders it);
/// `stopping` is read and written under `wake`; everything else is atomic.
final class DecodeTeam: @unchecked Sendable {
    /// Threads in a step, the caller included.
    let size: Int
    private let epoch = Atomic<Int>(0)
    private let arrived = Atomic<Int>(0), phase = Atomic<Int>(0), sleepers = Atomic<Int>(0)
    private let wake = NSCondition()
    private var stopping = false
    private var body: ((Int) -> Void)?

    /// How long an idle helper spins for the next step before it parks (a step's sampling takes
    /// ~0.05 ms greedy at batch 1, a top-p sort longer; parking costs one wake-up per step).
    private static let idleSpin: UInt64 = 500_000
    /// How long a thread spins at a barrier before it sleeps: products are ~0.1-1 ms and the
    /// threads arrive within microseconds of each other unless another process holds a core, and
    /// then spinning would only take the core from the thread being waited for.
    private static let barrierSpin: UInt64 = 50_000

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
        wake.lock(); stopping = true; epoch.add(1, ordering: .sequentiallyConsistent); wake.broadcast(); wake.unlock()
    }

    /// Runs body(0) on the caller and body(t) for t in 1..<size on the helpers; returns when all are done.
    func run(_ body: (Int) -> Void) {
        if size == 1 { body(0); return }
        withoutActuallyEscaping(body) { body in
            self.body = body
            wake.lock(); epoch.add(1, ordering: .sequentiallyConsistent); wake.broadcast(); wake.unlock()
            body(0)
            barrier()
            self.body = nil
        }
    }

    /// Waits inside `run` until every thread of the team has called it: writes before it are
    /// visible to all after it.
    func barrier() {
        if size == 1 { return }
        let p = phase.load(ordering: .sequentiallyConsistent)
        if arrived.add(1, ordering: .sequentiallyConsistent).newValue == size {
            arrived.store(0, ordering: .sequentiallyConsistent)
            phase.store(p &+ 1, ordering: .sequentiallyConsistent)
            // A sleeper counted itself before its last look at the phase, so it either saw the
            // new phase or is counted here (and waits under `wake`, which the broadcast takes).
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 { wake.lock(); wake.broadcast(); wake.unlock() }
            return
        }
        let start = DispatchTime.now().uptimeNanoseconds
        var spins = 0
        while phase.load(ordering: .acquiring) == p {
            spins += 1
            if spins & 63 == 0 && DispatchTime.now().uptimeNanoseconds - start > Self.barrierSpin {
                wake.lock()
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while phase.load(ordering: .sequentiallyConsistent) == p { wake.wait() }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                wake.unlock()
                return
            }
        }
    }

    private func helperLoop(_ t: Int) {
        var seen = 0
        while true {
            var spins = 0
            let start = DispatchTime.now().uptimeNanoseconds
            while epoch.load(ordering: .acquiring) == seen {
                spins += 1
                if spins & 255 == 0 && DispatchTime.now().uptimeNanoseconds - start > Self.idleSpin {
                    wake.lock()
                    while epoch.load(ordering: .sequentiallyConsistent) == seen && !stopping { wake.wait() }
                    wake.unlock()
                }
            }
            seen = epoch.load(ordering: .acquiring)
            wake.lock(); let stop = stopping; wake.unlock()
            if stop { return }
            body!(t)
            barrier()
        }
    }
}
