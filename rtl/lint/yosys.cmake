# Synthesizability check: Yosys reads every RTL file of sa_top (with SYNTHESIS defined, so the
# assertions of rtl/sa_assert.svh drop out and the parameter checks stay), elaborates sa_top
# with its default parameters and checks the netlist for undriven and multiply-driven nets.
# A full synthesis takes about a minute at small parameters:
#   cd rtl && yosys -p "read_verilog -sv <files>; chparam -set Rows 4 -set AbufWords 64 \
#     -set WbufWords 64 -set ObufWords 32 sa_top; synth -top sa_top; stat"
# (at the default 16 rows and 224 KiB of buffers the behavioural SRAMs become flip-flops, which
# takes far longer: a real flow maps them to SRAM macros instead).
string(REPLACE ";" " " files "${SOURCES}")
execute_process(
  COMMAND ${YOSYS} -q -p "read_verilog -sv ${files}; hierarchy -check -top sa_top; proc; opt_clean; check -assert"
  WORKING_DIRECTORY ${RTL_DIR}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
string(REGEX REPLACE "Warning: Replacing memory[^\n]*\n" "" rest "${out}")
if(NOT rc EQUAL 0 OR rest MATCHES "(ERROR|Warning)")
  message(FATAL_ERROR "yosys could not elaborate sa_top:\n${out}")
endif()
message(STATUS "yosys: sa_top reads, elaborates and checks clean")
