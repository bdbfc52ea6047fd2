# The installed CMake package: find_package(Wathiq) gives the Wathiq::* targets (see wathiq_library()).
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

set(WATHIQ_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Wathiq)
get_target_property(_wathiq_core_type wathiq_core TYPE)
if(_wathiq_core_type STREQUAL "STATIC_LIBRARY")
  set(WATHIQ_STATIC_LIBRARIES ON)
else()
  set(WATHIQ_STATIC_LIBRARIES OFF)
endif()

install(EXPORT WathiqTargets NAMESPACE Wathiq:: DESTINATION ${WATHIQ_CMAKE_INSTALL_DIR})
configure_package_config_file(cmake/WathiqConfig.cmake.in ${PROJECT_BINARY_DIR}/WathiqConfig.cmake
  INSTALL_DESTINATION ${WATHIQ_CMAKE_INSTALL_DIR})
# 0.x: a minor version may break the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/WathiqConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/WathiqConfig.cmake
  ${PROJECT_BINARY_DIR}/WathiqConfigVersion.cmake
  cmake/FindZopfli.cmake
  cmake/FindSQLCipher.cmake
  DESTINATION ${WATHIQ_CMAKE_INSTALL_DIR})
