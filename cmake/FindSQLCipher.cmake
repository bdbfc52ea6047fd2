# FindSQLCipher: the static libsqlcipher.a as the imported target SQLCipher::SQLCipher, with the codec
# enabled (SQLITE_HAS_CODEC) and what the archive needs at link time (its pkg-config Libs.private).
# SQLCipher_VERSION is the SQLite core's version, as pkg-config reports it (SQLCipher 4.6 -> 3.46).
# Linked statically on purpose (design/DEPENDENCIES.md, trap 1): Botan's shared library loads the system
# libsqlite3 into every process that links it, and a dynamic SQLCipher can lose symbol resolution to it,
# silently writing plaintext. Symbols defined in the executable itself always win. Installed beside
# WathiqConfig.cmake, because the static wathiq_storage needs it at a consumer's link too.
include(CMakeFindDependencyMacro)
include(FindPackageHandleStandardArgs)
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_SQLCIPHER QUIET sqlcipher)
endif()
# <prefix>/include/sqlcipher/sqlite3.h, never a plain SQLite's <prefix>/include/sqlite3.h.
find_path(SQLCipher_INCLUDE_ROOT sqlcipher/sqlite3.h HINTS ${PC_SQLCIPHER_INCLUDEDIR})
if(SQLCipher_INCLUDE_ROOT)
  set(SQLCipher_INCLUDE_DIR ${SQLCipher_INCLUDE_ROOT}/sqlcipher)
endif()
find_library(SQLCipher_STATIC_LIBRARY NAMES libsqlcipher.a HINTS ${PC_SQLCIPHER_LIBRARY_DIRS})
# The shared library of the same build, for shared libraries only (a non-PIC archive cannot go into one):
# see SQLCipher::Shared below.
find_library(SQLCipher_SHARED_LIBRARY NAMES libsqlcipher.so HINTS ${PC_SQLCIPHER_LIBRARY_DIRS})
set(SQLCipher_VERSION ${PC_SQLCIPHER_VERSION})
find_package_handle_standard_args(SQLCipher
  REQUIRED_VARS SQLCipher_STATIC_LIBRARY SQLCipher_INCLUDE_DIR
  VERSION_VAR SQLCipher_VERSION)
if(SQLCipher_FOUND AND NOT TARGET SQLCipher::SQLCipher)
  find_dependency(OpenSSL 3)
  find_dependency(ZLIB)
  find_dependency(Threads)
  add_library(SQLCipher::SQLCipher STATIC IMPORTED)
  set_target_properties(SQLCipher::SQLCipher PROPERTIES
    IMPORTED_LOCATION "${SQLCipher_STATIC_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${SQLCipher_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS SQLITE_HAS_CODEC=1
    INTERFACE_LINK_LIBRARIES "OpenSSL::Crypto;ZLIB::ZLIB;m;Threads::Threads;${CMAKE_DL_LIBS}")
endif()
# SQLCipher::Shared: for a shared library that holds wathiq_storage (libwathiq.so, the mobile bridge), which
# sets the target property WATHIQ_SHARED_SQLCIPHER (wathiq_storage links one or the other by it). The
# distribution's archive is not position-independent. Trap 1 then applies: storage refuses to run when
# PRAGMA cipher_version is not SQLCipher 4 and checks that no plaintext header reached the disk, so a lost
# symbol resolution fails closed.
if(SQLCipher_FOUND AND SQLCipher_SHARED_LIBRARY AND NOT TARGET SQLCipher::Shared)
  add_library(SQLCipher::Shared SHARED IMPORTED)
  set_target_properties(SQLCipher::Shared PROPERTIES
    IMPORTED_LOCATION "${SQLCipher_SHARED_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${SQLCipher_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS SQLITE_HAS_CODEC=1)
endif()
mark_as_advanced(SQLCipher_INCLUDE_ROOT SQLCipher_STATIC_LIBRARY SQLCipher_SHARED_LIBRARY)
