// sa_pe: output-stationary processing element.
// Activations enter from the left and leave to the right one cycle later; weights and the fold
// flags (valid, first, last) enter from above and leave below one cycle later. The bias is the
// column's: it holds for a whole fold, so it is wired to every PE of the column, not piped.
// Each valid cycle multiplies (act ^ 0x80) as int8 with the int8 weight and adds the product to
// the int32 accumulator, which restarts from the bias on `first`. On `last` the finished sum
// moves to the drain register, so the next fold accumulates while this one drains; the drain
// register takes its neighbour's value from above when the column's drain asks it to.
// wrap_o flags an accumulation step whose int32 sum wrapped (docs/isa.md, counter acc_wraps):
// the exact sum of base (the bias on `first`, else the accumulator) and the product is outside
// int32, i.e. both addends have the same sign and the 32-bit sum has the other.
// Latency: operands pass through in 1 cycle; a result is in the drain register, and wrap_o
// flags its step, 1 cycle after its `last` operand pair.
module sa_pe (
  input  logic               clk_i,
  input  logic               rst_ni,
  // Horizontal operand path.
  input  logic        [7:0]  act_i,
  output logic        [7:0]  act_o,
  // Vertical operand and control path.
  input  logic signed [7:0]  wgt_i,
  input  logic signed [31:0] bias_i,  // the column's bias, stable during the fold
  input  logic               valid_i,
  input  logic               first_i,
  input  logic               last_i,
  output logic signed [7:0]  wgt_o,
  output logic               valid_o,
  output logic               first_o,
  output logic               last_o,
  // Drain path: results shift down the column.
  input  logic signed [31:0] res_i,
  input  logic               res_take_i,
  output logic signed [31:0] res_o,
  // The previous cycle's step wrapped the accumulator.
  output logic               wrap_o,
  // Observation only (waveforms): the running accumulator.
  output logic signed [31:0] acc_o
);

  // 256 PEs would swamp a waveform: sa_array traces a corner of them instead.
  /* verilator tracing_off */

  logic        [7:0]  act_q;
  logic signed [7:0]  wgt_q;
  logic               valid_q, first_q, last_q;
  logic signed [31:0] acc_d, acc_q;
  logic signed [31:0] res_d, res_q;
  logic               wrap_d, wrap_q;

  logic signed [7:0]  act_signed;
  logic signed [15:0] product;
  logic signed [31:0] acc_base;
  logic signed [31:0] acc_next;

  always_comb begin
    act_signed = {~act_i[7], act_i[6:0]};  // x - 128 is an MSB flip
    product    = act_signed * wgt_i;
    acc_base   = first_i ? bias_i : acc_q;
    // int32 two's-complement wrap is the contract (docs/quantization.md).
    acc_next   = acc_base + 32'(product);
    // Signed overflow of the add: equal addend signs, different sum sign.
    wrap_d     = valid_i && (acc_base[31] == product[15]) && (acc_next[31] != acc_base[31]);

    acc_d = acc_q;
    res_d = res_q;
    if (valid_i) begin
      acc_d = acc_next;
    end
    if (valid_i && last_i) begin
      res_d = acc_next;
    end else if (res_take_i) begin
      res_d = res_i;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      act_q   <= '0;
      wgt_q   <= '0;
      valid_q <= 1'b0;
      first_q <= 1'b0;
      last_q  <= 1'b0;
      acc_q   <= '0;
      res_q   <= '0;
      wrap_q  <= 1'b0;
    end else begin
      act_q   <= act_i;
      wgt_q   <= wgt_i;
      valid_q <= valid_i;
      first_q <= first_i;
      last_q  <= last_i;
      acc_q   <= acc_d;
      res_q   <= res_d;
      wrap_q  <= wrap_d;
    end
  end

  assign act_o   = act_q;
  assign wgt_o   = wgt_q;
  assign valid_o = valid_q;
  assign first_o = first_q;
  assign last_o  = last_q;
  assign res_o   = res_q;
  assign wrap_o  = wrap_q;
  assign acc_o   = acc_q;

  // A result never lands in the drain register while the drain still needs it: sa_array
  // asserts the rule that guarantees this (folds at least Rows cycles apart), once for all PEs.

endmodule
