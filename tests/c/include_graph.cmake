# tests/c/include_graph.cmake - builds c_include_graph_test from tests/c/include_graph.txt.
#
# Included by tests/CMakeLists.txt. Each line "<header> | <statements>" becomes a C file that
# includes only <header> and wraps the statements in a function; one more file calls them all.
# They are compiled gnu11 with the project's warnings (and -Werror where set), so the build fails
# when a header no longer brings in what the kernel's version does; ctest c.include_graph_test
# then runs them (the statements are harmless: print, init, lock and unlock, sleep 0).
set(graph_list ${CMAKE_CURRENT_LIST_DIR}/include_graph.txt)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${graph_list})
file(STRINGS ${graph_list} graph_lines REGEX "^[^#].*\\|")
set(graph_dir ${CMAKE_CURRENT_BINARY_DIR}/include_graph)
set(graph_sources)
set(graph_calls "")
set(graph_decls "")
set(graph_headers)
set(index 0)
foreach(line IN LISTS graph_lines)
  string(FIND "${line}" "|" bar)
  string(SUBSTRING "${line}" 0 ${bar} header)
  math(EXPR after "${bar} + 1")
  string(SUBSTRING "${line}" ${after} -1 body)
  string(STRIP "${header}" header)
  string(STRIP "${body}" body)
  list(APPEND graph_headers ${header})
  set(fn "include_graph_${index}")
  set(src "${graph_dir}/${fn}.c")
  file(CONFIGURE OUTPUT ${src} CONTENT "/* Generated from tests/c/include_graph.txt: only <${header}>. */
#include <${header}>

int ${fn}(void);
int ${fn}(void)
{
	${body};
	return 0;
}
" @ONLY)
  list(APPEND graph_sources ${src})
  string(APPEND graph_decls "int ${fn}(void);\n")
  string(APPEND graph_calls "\tfailed |= ${fn}();\n")
  math(EXPR index "${index} + 1")
endforeach()

# Every header cmwq ships must be listed.
file(GLOB_RECURSE shipped RELATIVE ${PROJECT_SOURCE_DIR}/kcompat/include CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/kcompat/include/linux/*.h)
foreach(h IN LISTS shipped)
  if(NOT h IN_LIST graph_headers)
    message(FATAL_ERROR "tests/c/include_graph.txt has no line for <${h}>: add what the kernel's version brings in")
  endif()
endforeach()

file(CONFIGURE OUTPUT ${graph_dir}/include_graph_main.c CONTENT "/* Generated from tests/c/include_graph.txt. */
${graph_decls}
int main(void)
{
	int failed = 0;
${graph_calls}	return failed;
}
" @ONLY)
add_executable(c_include_graph_test ${graph_dir}/include_graph_main.c ${graph_sources})
set_target_properties(c_include_graph_test PROPERTIES C_STANDARD 11 C_EXTENSIONS ON LINKER_LANGUAGE CXX)
target_link_libraries(c_include_graph_test PRIVATE cmwq::kcompat)
add_test(NAME c.include_graph_test COMMAND c_include_graph_test)
set_tests_properties(c.include_graph_test PROPERTIES TIMEOUT 120)
