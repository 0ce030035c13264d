// sa_requant: int32 accumulator -> uint8 activation (design.md section 2).
//   r = relu ? max(acc, 0) : acc;  q = round_shift(r, shift);  y = clamp(q + 128, 0, 255)
// The +128 is an MSB flip and the clamp is bit logic on the 33-bit rounded value.
// Purely combinational: latency 0.
module sa_requant (
  input  logic signed [31:0]  acc_i,
  input  logic                relu_i,
  input  logic        [4:0]   shift_i,
  input  sa_pkg::round_mode_e round_i,
  output logic        [7:0]   q_o
);

  logic signed [31:0] relu_val;
  logic signed [31:0] shifted;
  logic        [31:0] rem_mask;
  logic        [31:0] rem;
  logic        [31:0] half;
  logic               round_up;
  logic signed [32:0] rounded;  // one bit wider: shifted + 1 cannot overflow
  logic               in_range;

  always_comb begin
    relu_val = (relu_i && acc_i[31]) ? 32'sd0 : acc_i;
    shifted  = relu_val >>> shift_i;
    rem_mask = (32'd1 << shift_i) - 32'd1;
    rem      = relu_val & rem_mask;
    half     = (shift_i == 5'd0) ? 32'd0 : (32'd1 << (shift_i - 5'd1));
    round_up = 1'b0;
    if (round_i == sa_pkg::RoundNearestEven && shift_i != 5'd0) begin
      round_up = (rem > half) || ((rem == half) && shifted[0]);
    end
    rounded  = {shifted[31], shifted} + {32'd0, round_up};
    // rounded fits int8 exactly when bits 32..7 are all equal.
    in_range = (rounded[32:7] == '0) || (rounded[32:7] == '1);
    if (in_range) begin
      q_o = {~rounded[7], rounded[6:0]};  // + 128
    end else if (rounded[32]) begin
      q_o = 8'h00;
    end else begin
      q_o = 8'hff;
    end
  end

endmodule
