# jadedb_component(NAME DIR [DEPS ...])
# Builds every .cc directly inside DIR (not its subfolders) into static library NAME linked
# against DEPS. Each layer, and each component of a layer, is one such target, so an include
# that points the wrong way fails to link.
function(jadedb_component name dir)
  file(GLOB sources CONFIGURE_DEPENDS "${dir}/*.cc")
  if(sources)
    add_library(${name} STATIC ${sources})
    target_link_libraries(${name} PUBLIC ${ARGN})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
  else()
    add_library(${name} INTERFACE)
    target_link_libraries(${name} INTERFACE ${ARGN})
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
  endif()
endfunction()

# jadedb_test_folder(NAME DIR LABEL [DEPS ...])
# One test executable per folder: every *_test.cc in DIR, linked with DEPS and GoogleTest.
function(jadedb_test_folder name dir label)
  file(GLOB sources CONFIGURE_DEPENDS "${dir}/*_test.cc")
  if(NOT sources)
    return()
  endif()
  add_executable(${name} ${sources})
  target_link_libraries(${name} PRIVATE ${ARGN} GTest::gtest GTest::gtest_main Threads::Threads)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  gtest_discover_tests(${name} PROPERTIES LABELS ${label} DISCOVERY_TIMEOUT 60)
endfunction()
