`include "sa_assert.svh"

// sa_pool: 2x2 max-pool on a stream of uint8 vectors (one output pixel, Lanes channels, per beat).
// The compiler orders pixels window by window, so every four consecutive valid beats form one
// 2x2 window; the lane-wise maximum of the four leaves one cycle after the fourth beat.
// With pool_en_i low every beat passes through with the same 1-cycle latency. clear_i restarts
// the window count (at the start of a layer).
// Latency: 1 cycle.
module sa_pool #(
  parameter int unsigned Lanes = 16
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               clear_i,
  input  logic               pool_en_i,
  input  logic               in_valid_i,
  input  logic [Lanes*8-1:0] in_data_i,   // lane l at [8*l +: 8]
  output logic               out_valid_o,
  output logic [Lanes*8-1:0] out_data_o
);

  `SA_ASSERT_INIT(g_lanes_positive, Lanes >= 1)

  logic [1:0] beat_q, beat_d;
  logic [7:0] max_q [Lanes];
  logic [7:0] max_d [Lanes];
  logic       out_valid_q, out_valid_d;
  logic [7:0] out_q [Lanes];
  logic [7:0] out_d [Lanes];
  logic [7:0] in_data [Lanes];

  for (genvar l = 0; l < Lanes; l++) begin : g_lanes
    assign in_data[l]           = in_data_i[8*l +: 8];
    assign out_data_o[8*l +: 8] = out_q[l];
  end

  always_comb begin
    beat_d      = beat_q;
    out_valid_d = 1'b0;
    for (int unsigned l = 0; l < Lanes; l++) begin
      max_d[l] = max_q[l];
      out_d[l] = out_q[l];
    end
    if (clear_i) begin
      beat_d = '0;
    end else if (in_valid_i) begin
      if (!pool_en_i) begin
        out_valid_d = 1'b1;
        for (int unsigned l = 0; l < Lanes; l++) out_d[l] = in_data[l];
      end else begin
        beat_d = beat_q + 2'd1;
        for (int unsigned l = 0; l < Lanes; l++) begin
          // The first beat of a window replaces the running maximum.
          max_d[l] = (beat_q == 2'd0 || in_data[l] > max_q[l]) ? in_data[l] : max_q[l];
        end
        if (beat_q == 2'd3) begin
          out_valid_d = 1'b1;
          for (int unsigned l = 0; l < Lanes; l++) out_d[l] = max_d[l];
        end
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      beat_q      <= '0;
      out_valid_q <= 1'b0;
      for (int unsigned l = 0; l < Lanes; l++) begin
        max_q[l] <= '0;
        out_q[l] <= '0;
      end
    end else begin
      beat_q      <= beat_d;
      out_valid_q <= out_valid_d;
      for (int unsigned l = 0; l < Lanes; l++) begin
        max_q[l] <= max_d[l];
        out_q[l] <= out_d[l];
      end
    end
  end

  assign out_valid_o = out_valid_q;

  `SA_ASSERT_KNOWN(InValidKnown, in_valid_i)
  `SA_ASSERT_KNOWN(ClearKnown, clear_i)

endmodule
