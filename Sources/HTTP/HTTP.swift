// Placeholder until the HTTP issue lands the server.
public enum HTTPVersion { public static let name = "HTTP/1.1" }
