// API and session tokens: random, shown once, stored only as SHA-256.
public enum Token {
    /// A new random token: 32 bytes from the system CSPRNG as 64 hex digits.
    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        return SHA256.hex((0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    /// The stored form of a token: its SHA-256.
    public static func hash(_ token: String) -> [UInt8] { SHA256.hash(token) }
}
