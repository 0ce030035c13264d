# Runs `verilator --lint-only -Wall` on each top-level RTL module; fails on any warning.
file(GLOB waivers ${RTL_DIR}/lint/*.vlt)
set(tops sa_requant sa_pe sa_array sa_pool sa_sram sa_dma sa_compute sa_ctrl sa_top)
foreach(top ${tops})
  execute_process(
    COMMAND ${VERILATOR} --lint-only -Wall ${waivers} -y ${RTL_DIR} ${RTL_DIR}/sa_pkg.sv
            ${RTL_DIR}/${top}.sv --top-module ${top}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0 OR out MATCHES "%(Warning|Error)")
    message(FATAL_ERROR "lint of ${top} failed:\n${out}")
  endif()
  message(STATUS "lint ${top}: clean")
endforeach()
