// sa_assert.svh: assertion macros for the sasim RTL, used beside the logic they check.
//
//   `SA_ASSERT(Name, prop)        concurrent assertion on clk_i, off during reset (rst_ni low)
//   `SA_ASSERT_KNOWN(Name, sig)   sig is never X or Z out of reset (valids, FSM states)
//   `SA_ASSERT_INIT(Name, cond)   elaboration-time check of parameters: fails the build
//
// Under Verilator --assert, SA_ASSERT becomes `assert property`: a failure prints "Assertion
// failed in <instance>.<Name>" and stops the model, which the C++ harness
// (sim/verilated_harness.h) turns into a SimulationError. Under SYNTHESIS (defined by Yosys'
// read_verilog) the run-time checks vanish; SA_ASSERT_INIT stays, so a bad parameter fails
// synthesis too. The macros expect clk_i and rst_ni in scope.
`ifndef SA_ASSERT_SVH
`define SA_ASSERT_SVH

`ifdef SYNTHESIS
  `define SA_ASSERT(__name, __prop)
  `define SA_ASSERT_KNOWN(__name, __sig)
`else
  `define SA_ASSERT(__name, __prop)                                                  \
    __name: assert property (@(posedge clk_i) disable iff (!rst_ni) (__prop));
  `define SA_ASSERT_KNOWN(__name, __sig)                                             \
    `SA_ASSERT(__name, !$isunknown(__sig))
`endif

`define SA_ASSERT_INIT(__name, __cond)                                               \
  if (!(__cond)) begin : __name                                                      \
    $fatal(1, "parameter check %s failed in %m: %s", `"__name`", `"__cond`");        \
  end

`endif  // SA_ASSERT_SVH
