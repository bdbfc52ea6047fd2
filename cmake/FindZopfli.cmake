# FindZopfli: libzopfli-dev ships neither a pkg-config file nor a CMake package.
# Defines the imported target Zopfli::Zopfli. Installed beside WathiqConfig.cmake, because the static
# wathiq_core links it and a consumer's link then needs it too.
include(FindPackageHandleStandardArgs)
find_path(Zopfli_INCLUDE_DIR zopfli/zopfli.h)
find_library(Zopfli_LIBRARY zopfli)
find_package_handle_standard_args(Zopfli REQUIRED_VARS Zopfli_LIBRARY Zopfli_INCLUDE_DIR)
if(Zopfli_FOUND AND NOT TARGET Zopfli::Zopfli)
  add_library(Zopfli::Zopfli UNKNOWN IMPORTED)
  set_target_properties(Zopfli::Zopfli PROPERTIES
    IMPORTED_LOCATION "${Zopfli_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${Zopfli_INCLUDE_DIR}")
endif()
mark_as_advanced(Zopfli_INCLUDE_DIR Zopfli_LIBRARY)
