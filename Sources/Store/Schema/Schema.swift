// The schema that migrations apply: schema.sql at the repository root, embedded in the binary.
public enum Schema {
    /// The full text of schema.sql.
    public static var sql: String { String(decoding: PackageResources.schema_sql, as: UTF8.self) }
}
