# wathiq_library(<target> <export-name>): the packaging every component library shares. Gives the target
# its public include folder (<component>/include in the build, <prefix>/include once installed), C++20 as a
# usage requirement, the alias Wathiq::<export-name> (the name a find_package(Wathiq) consumer uses) and its
# install rules into the WathiqTargets export. Headers install from <component>/include/.
include(GNUInstallDirs)

function(wathiq_library target export_name)
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(${target} PUBLIC cxx_std_20)
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
  add_library(Wathiq::${export_name} ALIAS ${target})
  if(NOT WATHIQ_INSTALL)
    return()
  endif()
  install(TARGETS ${target} EXPORT WathiqTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endfunction()
