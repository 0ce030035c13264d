# Runs `verilator --lint-only -Wall` on each top-level RTL module (and the test benches of
# tests/rtl/); fails on any warning. Waivers: rtl/lint/*.vlt, each with its reason.
file(GLOB waivers ${RTL_DIR}/lint/*.vlt)
set(tops sa_requant sa_pe_grid sa_array sa_pool sa_sram sa_dma sa_dma_queue sa_im2col sa_compute sa_vec sa_csr sa_ctrl
         sa_top)
file(GLOB benches ${TB_DIR}/*_tb.sv)
foreach(bench ${benches})
  get_filename_component(name ${bench} NAME_WE)
  list(APPEND tops ${name})
endforeach()
foreach(top ${tops})
  if(EXISTS ${RTL_DIR}/${top}.sv)
    set(file ${RTL_DIR}/${top}.sv)
  else()
    set(file ${TB_DIR}/${top}.sv)
  endif()
  execute_process(
    COMMAND ${VERILATOR} --lint-only -Wall ${waivers} -y ${RTL_DIR} ${RTL_DIR}/sa_pkg.sv ${file}
            --top-module ${top}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0 OR out MATCHES "%(Warning|Error)")
    message(FATAL_ERROR "lint of ${top} failed:\n${out}")
  endif()
  message(STATUS "lint ${top}: clean")
endforeach()
