// Placeholder until the application layer lands.
public enum HiloApp { public static let version = "0.1.0" }
