// Thread priorities: the lower priority the loop's background threads (the scheduler, the candidate
// generator, the campaign preparer) run at, so training and generation yield the CPU to the HTTP
// threads; and the higher one the database writer asks for (WriteQueue), since every label waits
// for it.
import Foundation

enum ThreadPriority {
    /// Sets the calling thread's nice value. On Linux nice is per thread and `who = 0` names the
    /// calling thread, so this lowers only the worker (and the BLAS work it runs inline), never the
    /// HTTP threads.
    static func lowerCurrentThread(niceness: Int32 = 10) {
        setCurrentThread(niceness: niceness)
    }

    /// Sets the calling thread's nice value; false when the system refuses (a value below the current
    /// one needs CAP_SYS_NICE or an RLIMIT_NICE allowance), and then the thread keeps its niceness.
    @discardableResult
    static func setCurrentThread(niceness: Int32) -> Bool {
        #if os(Linux)
        return setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) == 0
        #else
        return setpriority(PRIO_PROCESS, 0, niceness) == 0
        #endif
    }

    /// The calling thread's nice value.
    static var currentNiceness: Int32 {
        #if os(Linux)
        return getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        #else
        return getpriority(PRIO_PROCESS, 0)
        #endif
    }
}
