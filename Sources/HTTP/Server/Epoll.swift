// epoll and eventfd for the event loop. Swift's Glibc module map does not include <sys/epoll.h> or
// <sys/eventfd.h>, and the package has no C target for them, so the four functions are looked up once
// with dlsym and called through C function pointers; the event struct is laid out by hand (packed,
// 12 bytes, on x86_64; 16 bytes elsewhere), exactly as the kernel headers declare it.
import Glibc

struct Epoll {
    typealias CreateFn = @convention(c) (Int32) -> Int32
    typealias CtlFn = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias WaitFn = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    typealias EventfdFn = @convention(c) (UInt32, Int32) -> Int32

    static let readable: UInt32 = 0x001      // EPOLLIN
    static let writable: UInt32 = 0x004      // EPOLLOUT
    static let error: UInt32 = 0x008         // EPOLLERR
    static let hangup: UInt32 = 0x010        // EPOLLHUP
    static let readHangup: UInt32 = 0x2000   // EPOLLRDHUP
    static let exclusive: UInt32 = 1 << 28   // EPOLLEXCLUSIVE
    private static let cloexec: Int32 = 0x80000  // EPOLL_CLOEXEC == EFD_CLOEXEC == O_CLOEXEC
    private static let nonblock: Int32 = 0x800   // EFD_NONBLOCK == O_NONBLOCK

    #if arch(x86_64)
    static let eventSize = 12
    static let dataOffset = 4
    #else
    static let eventSize = 16
    static let dataOffset = 8
    #endif

    private let ctl: CtlFn
    private let waitFn: WaitFn
    let fd: Int32

    /// A new epoll instance, or nil when the C library lacks epoll (not Linux).
    init?() {
        let lib = dlopen(nil, RTLD_NOW)
        guard let c = dlsym(lib, "epoll_create1"), let t = dlsym(lib, "epoll_ctl"),
              let w = dlsym(lib, "epoll_wait") else { return nil }
        ctl = unsafeBitCast(t, to: CtlFn.self)
        waitFn = unsafeBitCast(w, to: WaitFn.self)
        fd = unsafeBitCast(c, to: CreateFn.self)(Self.cloexec)
        guard fd >= 0 else { return nil }
    }

    /// A non-blocking eventfd for waking the loop from other threads.
    static func makeEventFD() -> Int32? {
        guard let f = dlsym(dlopen(nil, RTLD_NOW), "eventfd") else { return nil }
        let fd = unsafeBitCast(f, to: EventfdFn.self)(0, nonblock | cloexec)
        return fd >= 0 ? fd : nil
    }

    private func control(_ op: Int32, _ target: Int32, _ events: UInt32) -> Bool {
        var event = (UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &event) { p in
            p.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            p.storeBytes(of: UInt64(UInt32(bitPattern: target)), toByteOffset: Self.dataOffset, as: UInt64.self)
            return ctl(fd, op, target, p.baseAddress) == 0
        }
    }

    @discardableResult func add(_ target: Int32, _ events: UInt32) -> Bool { control(1, target, events) }
    @discardableResult func modify(_ target: Int32, _ events: UInt32) -> Bool { control(3, target, events) }
    @discardableResult func remove(_ target: Int32) -> Bool { control(2, target, 0) }

    /// Waits up to `timeoutMs` and returns (fd, events) pairs written into `buffer`.
    func wait(_ buffer: inout [UInt8], timeoutMs: Int32) -> [(fd: Int32, events: UInt32)] {
        let capacity = Int32(buffer.count / Self.eventSize)
        return buffer.withUnsafeMutableBytes { p in
            let n = waitFn(fd, p.baseAddress, capacity, timeoutMs)
            guard n > 0 else { return [] }
            return (0..<Int(n)).map { i in
                let base = i * Self.eventSize
                let events = p.loadUnaligned(fromByteOffset: base, as: UInt32.self)
                let data = p.loadUnaligned(fromByteOffset: base + Self.dataOffset, as: UInt64.self)
                return (Int32(truncatingIfNeeded: data), events)
            }
        }
    }

    func close() { _ = Glibc.close(fd) }
}
