# pigeon_embed_sql(<target-var> <prefix> <dir>)
# Turns <dir>/*.sql (ordered by file name) into a C source defining
#   const pc_migration_t <prefix>_migrations[]; const size_t <prefix>_migration_count;
# so every binary carries its own migrations (no files to ship beside it).
function(pigeon_embed_sql out_var prefix dir)
  file(GLOB sql_files CONFIGURE_DEPENDS ${dir}/*.sql)
  list(SORT sql_files)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${prefix}_migrations.c)
  # A ';' list would be split into separate shell words: pass it '|'-joined.
  string(REPLACE ";" "|" sql_joined "${sql_files}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DPREFIX=${prefix} -DOUT=${out} "-DFILES=${sql_joined}"
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_sql.cmake
    DEPENDS ${sql_files} ${PROJECT_SOURCE_DIR}/cmake/embed_sql.cmake
    COMMENT "Embedding ${prefix} migrations"
    VERBATIM)
  set(${out_var} ${out} PARENT_SCOPE)
endfunction()
