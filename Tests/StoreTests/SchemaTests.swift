// The embedded schema is the file at the repository root.
import Testing
@testable import Store

@Test func embeddedSchemaIsNotEmpty() {
    #expect(Schema.sql.contains("CREATE TABLE"))
}
