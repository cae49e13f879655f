// The system SQLite (Debian's libsqlite3-dev), imported into Swift as CSQLite.
#include <sqlite3.h>

// sqlite3_config is variadic, which Swift cannot call: one wrapper per setting Hilo makes.
// Turns off SQLite's memory statistics (SQLITE_CONFIG_MEMSTATUS), which take a process-wide mutex
// around every allocation. Only valid before the library initialises (the first sqlite3_open):
// returns SQLITE_MISUSE after that, and nothing changes.
static inline int hilo_sqlite3_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
