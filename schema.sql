-- Hilo's data model (placeholder; the store issue replaces it).
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
