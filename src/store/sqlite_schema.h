/* sqlite_schema.h - migrations of the SQLite backend (sqlite_schema.c). */
#ifndef GH_SQLITE_SCHEMA_H
#define GH_SQLITE_SCHEMA_H

extern const char *const sqlite_migrations[];
extern const int sqlite_migration_count;

#endif
