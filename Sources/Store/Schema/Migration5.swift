// Schema version 5: one name for one concept. What next-task hands an annotator is a *lease* in the
// routes, the types and the queue; the table was `assignments` and the judgment's reference to it
// `assignment_id`. Shipped: never edit this text; fix mistakes with a version 6.
//
// SQLite (3.26+, legacy_alter_table off) rewrites the foreign key in judgments when the table is
// renamed; the two indexes keep their columns and take the table's new name.
extension Migrations {
    static let version5 = """
        ALTER TABLE assignments RENAME TO leases;
        ALTER TABLE judgments RENAME COLUMN assignment_id TO lease_id;
        DROP INDEX assignments_open;
        CREATE INDEX leases_open ON leases(prompt_id, expires_at) WHERE completed_at IS NULL;
        DROP INDEX assignments_by_annotator;
        CREATE INDEX leases_by_annotator ON leases(annotator_id, completed_at);
        """
}
