"""The database: tables, engine, and the functions that read and write them."""
