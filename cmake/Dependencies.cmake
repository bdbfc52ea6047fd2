# Every third-party dependency, found once. See design/DEPENDENCIES.md for the traps.
find_package(PkgConfig REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(tl-expected REQUIRED)
find_package(PNG REQUIRED)
find_package(JPEG REQUIRED)
find_package(CLI11 REQUIRED)
find_package(ZXing REQUIRED)
find_package(Catch2 2 REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(CBOR REQUIRED IMPORTED_TARGET libcbor)
pkg_check_modules(BOTAN REQUIRED IMPORTED_TARGET botan-2)
pkg_check_modules(QRENCODE REQUIRED IMPORTED_TARGET libqrencode)
pkg_check_modules(P11KIT REQUIRED IMPORTED_TARGET p11-kit-1)
pkg_check_modules(SQLCIPHER REQUIRED IMPORTED_TARGET sqlcipher)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
# Zopfli (libzopfli-dev): no pkg-config file or CMake package, installed under /usr/lib.
find_path(ZOPFLI_INCLUDE_DIR zopfli/zopfli.h REQUIRED)
find_library(ZOPFLI_LIBRARY zopfli REQUIRED)
add_library(wathiq_zopfli INTERFACE)
target_include_directories(wathiq_zopfli INTERFACE ${ZOPFLI_INCLUDE_DIR})
target_link_libraries(wathiq_zopfli INTERFACE ${ZOPFLI_LIBRARY})

# SQLCipher 4.6 from bookworm-backports (design/DEPENDENCIES.md, trap 2: bookworm's 3.4.1 wraps SQLite 3.15
# with SHA-1 HMAC and KDF); scripts/bootstrap.sh installs it. pkg-config reports the SQLite core's version.
if(SQLCIPHER_VERSION VERSION_LESS 3.46)
  message(FATAL_ERROR "SQLCipher ${SQLCIPHER_VERSION} found; Wathiq needs SQLCipher 4.6 (SQLite 3.46) from "
                      "bookworm-backports: run scripts/bootstrap.sh")
endif()
# Linked statically (trap 1): Botan's shared library loads the system libsqlite3 into every process that
# links it, and a dynamic SQLCipher can lose symbol resolution to it, silently writing plaintext. Symbols
# defined in the executable itself always win. libsqlcipher.a needs libcrypto and zlib (its Libs.private).
find_package(Threads REQUIRED)
find_library(SQLCIPHER_STATIC_LIBRARY NAMES libsqlcipher.a HINTS ${SQLCIPHER_LIBRARY_DIRS} REQUIRED)
add_library(wathiq_sqlcipher INTERFACE)
target_include_directories(wathiq_sqlcipher INTERFACE ${SQLCIPHER_INCLUDE_DIRS})
target_compile_definitions(wathiq_sqlcipher INTERFACE SQLITE_HAS_CODEC=1)
target_link_libraries(wathiq_sqlcipher INTERFACE ${SQLCIPHER_STATIC_LIBRARY} OpenSSL::Crypto ZLIB::ZLIB m
                      Threads::Threads ${CMAKE_DL_LIBS})
