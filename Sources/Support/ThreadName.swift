// The kernel's name of a thread (its `comm`, at most 15 bytes): what ps -L, top -H, perf and gdb
// show. Foundation's `Thread.current.name = …` does not always reach the kernel on Linux: an event
// loop thread started from a libdispatch worker kept the worker's name ("oot.default-qos", the
// tail of "com.apple.root.default-qos") in about one start in five. So threads name themselves
// here, first thing, with pthread_setname_np. Glibc's Swift module leaves that GNU extension out,
// so it is looked up once at run time.
import Foundation
import Glibc

public enum ThreadName {
    private typealias SetName = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32

    private static let setName: SetName? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pthread_setname_np") else { return nil }
        return unsafeBitCast(symbol, to: SetName.self)
    }()

    /// Names the calling thread (cut to 15 bytes at a character boundary), for the kernel and for
    /// Foundation's `Thread.current.name`.
    public static func setCurrent(_ name: String) {
        var cut = Substring(name)
        while cut.utf8.count > 15 { cut = cut.dropLast() }
        _ = setName?(pthread_self(), String(cut))
        Thread.current.name = String(cut)
    }

    /// The calling thread's kernel name, or "?" when /proc is not mounted.
    public static var current: String {
        guard let comm = try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8) else { return "?" }
        return comm.trimmingCharacters(in: .newlines)
    }
}
