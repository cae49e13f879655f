// The lower priority the loop's background threads (the scheduler, the candidate generator, the
// campaign preparer) run at, so training and generation yield the CPU to the HTTP threads.
import Foundation

enum ThreadPriority {
    /// Sets the calling thread's nice value. On Linux nice is per thread and `who = 0` names the
    /// calling thread, so this lowers only the worker (and the BLAS work it runs inline), never the
    /// HTTP threads.
    static func lowerCurrentThread(niceness: Int32 = 10) {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
        #else
        _ = setpriority(PRIO_PROCESS, 0, niceness)
        #endif
    }
}
