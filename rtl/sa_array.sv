`include "sa_assert.svh"

// sa_array: Rows x Cols output-stationary systolic array with its feeders, drain and requantizers.
//
// Inputs are given unskewed, one reduction step per cycle: activation r is that of the output
// pixel mapped to row r, weight c and bias c belong to the output channel mapped to column c.
// in_first_i / in_last_i mark the first and last step of a fold (one output tile); the bias is
// used on the first step. The feeders skew row r by r cycles and column c by c (circular
// buffers), into the PE grid (sa_pe_grid).
//
// Each column drains its finished fold by shifting results down, bottom row first, while the
// next fold accumulates; a requantizer per column turns each int32 result into uint8 and a
// deskew stage lines the columns up, so one array row (one pixel, all channels) leaves per
// cycle, in row order Rows-1 .. 0, on out_valid_o with its row index on out_row_o.
//
// Rule for the stream: successive in_last_i pulses must be at least Rows cycles apart (insert
// bubbles with in_valid_i low when a fold is shorter), bias_i must hold for a whole fold (every
// step and bubble of it: a column's PEs take it from one skewed wire), and relu_i/shift_i/round_i
// must hold from the cycle before a fold's first result leaves until its last result has left.
// Each cycle wraps_o counts the PEs whose accumulation step of the previous cycle wrapped int32.
// Latency: the first result row of a fold leaves Rows+Cols-1 cycles after the cycle that
// presents the fold's last step; the other rows follow one per cycle.
module sa_array #(
  parameter int unsigned Rows = 16,
  parameter int unsigned Cols = 16,
  localparam int unsigned RowIdxW = (Rows > 1) ? $clog2(Rows) : 1,
  localparam int unsigned WrapW   = $clog2(Rows * Cols + 1)
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  // Operand stream. Vectors are flat for Yosys: row r's activation is act_i[8*r +: 8], column
  // c's weight and bias are wgt_i[8*c +: 8] and bias_i[32*c +: 32] (int8, int32).
  input  logic                      in_valid_i,
  input  logic                      in_first_i,
  input  logic                      in_last_i,
  input  logic        [Rows*8-1:0]  act_i,
  input  logic        [Cols*8-1:0]  wgt_i,
  input  logic        [Cols*32-1:0] bias_i,
  // Requantizer configuration (per layer).
  input  logic                      relu_i,
  input  logic               [4:0]  shift_i,
  input  sa_pkg::round_mode_e       round_i,
  // Result stream: column c's int32 result and its uint8 requantization at [32*c +: 32] and
  // [8*c +: 8].
  output logic                      out_valid_o,
  output logic        [RowIdxW-1:0] out_row_o,
  output logic        [Cols*32-1:0] out_acc_o,
  output logic        [Cols*8-1:0]  out_q_o,
  // High while any fold is inside the array (skew, compute or drain).
  output logic                      busy_o,
  // PEs whose accumulation step wrapped int32 (sa_pe), one cycle after the step.
  output logic        [WrapW-1:0]   wraps_o
);

  `SA_ASSERT_INIT(g_rows_range, Rows >= 2 && Rows <= 255)
  `SA_ASSERT_INIT(g_cols_range, Cols >= 2 && Cols <= 255)

  /* verilator tracing_off */
  // ---------------------------------------------------------------------------------------------
  // Input registers: every input is registered before use, so no logic hangs off the ports
  // (this also keeps Verilator's per-eval input logic empty, which doubles simulation speed).
  logic                in_valid_q, in_first_q, in_last_q;
  logic [Rows*8-1:0]   in_act_q;
  logic [Cols*8-1:0]   in_wgt_q;
  logic [Cols*32-1:0]  in_bias_q;
  logic                relu_q;
  logic [4:0]          shift_q;
  sa_pkg::round_mode_e round_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      in_valid_q <= 1'b0;
      in_first_q <= 1'b0;
      in_last_q  <= 1'b0;
      in_act_q   <= '0;
      in_wgt_q   <= '0;
      in_bias_q  <= '0;
      relu_q     <= 1'b0;
      shift_q    <= '0;
      round_q    <= sa_pkg::RoundFloor;
    end else begin
      in_valid_q <= in_valid_i;
      in_first_q <= in_first_i;
      in_last_q  <= in_last_i;
      in_act_q   <= act_i;
      in_wgt_q   <= wgt_i;
      in_bias_q  <= bias_i;
      relu_q     <= relu_i;
      shift_q    <= shift_i;
      round_q    <= round_i;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Feeders (skew): row r's activation delayed by r cycles, column c's weight, bias and flags by
  // c. The wide operands go through circular buffers, one write and one read per row or column
  // per cycle: the registered input vector is written every cycle, and row r reads the entry
  // written r cycles ago. The flags are bit vectors shifted by one: bit i is delayed i + 1.
  localparam int unsigned ActDepth = Rows - 1;
  localparam int unsigned WgtDepth = Cols - 1;
  localparam int unsigned ActPtrW  = (ActDepth > 1) ? $clog2(ActDepth) : 1;
  localparam int unsigned WgtPtrW  = (WgtDepth > 1) ? $clog2(WgtDepth) : 1;

  logic [Rows*8-1:0]  act_ring_q  [ActDepth];
  logic [Cols*8-1:0]  wgt_ring_q  [WgtDepth];
  logic [Cols*32-1:0] bias_ring_q [WgtDepth];
  logic [ActPtrW-1:0] act_wr_q, act_wr_d;
  logic [WgtPtrW-1:0] wgt_wr_q, wgt_wr_d;
  logic [WgtDepth-1:0] valid_sr_q, first_sr_q, last_sr_q;

  always_comb begin
    act_wr_d = (32'(act_wr_q) == ActDepth - 1) ? '0 : act_wr_q + 1'b1;
    wgt_wr_d = (32'(wgt_wr_q) == WgtDepth - 1) ? '0 : wgt_wr_q + 1'b1;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      act_wr_q   <= '0;
      wgt_wr_q   <= '0;
      valid_sr_q <= '0;
      first_sr_q <= '0;
      last_sr_q  <= '0;
    end else begin
      act_wr_q   <= act_wr_d;
      wgt_wr_q   <= wgt_wr_d;
      valid_sr_q <= WgtDepth'({valid_sr_q, in_valid_q});
      first_sr_q <= WgtDepth'({first_sr_q, in_first_q});
      last_sr_q  <= WgtDepth'({last_sr_q, in_last_q});
    end
  end

  // The deskew's buffers (below) are Cols-1 deep too and share the column pointer: every
  // circular buffer of the array is written here, once per cycle.
  logic [Cols*32-1:0] bottom_res;  // the bottom row's drain registers
  logic [Cols*8-1:0]  bottom_q;    // ... requantized
  logic [Cols*32-1:0] res_ring_q [WgtDepth];
  logic [Cols*8-1:0]  q_ring_q   [WgtDepth];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned i = 0; i < ActDepth; i++) act_ring_q[i] <= '0;
      for (int unsigned i = 0; i < WgtDepth; i++) begin
        wgt_ring_q[i]  <= '0;
        bias_ring_q[i] <= '0;
        res_ring_q[i]  <= '0;
        q_ring_q[i]    <= '0;
      end
    end else begin
      act_ring_q[act_wr_q]  <= in_act_q;
      wgt_ring_q[wgt_wr_q]  <= in_wgt_q;
      bias_ring_q[wgt_wr_q] <= in_bias_q;
      res_ring_q[wgt_wr_q]  <= bottom_res;
      q_ring_q[wgt_wr_q]    <= bottom_q;
    end
  end

  // Entry written `delay` cycles ago (1 <= delay <= depth).
  function automatic logic [31:0] RingEntry(input logic [31:0] wr, input logic [31:0] delay,
                                            input logic [31:0] depth);
    RingEntry = (wr >= delay) ? wr - delay : wr + depth - delay;
  endfunction

  logic [Rows*8-1:0]  grid_act;
  logic [Cols*8-1:0]  grid_wgt;
  logic [Cols*32-1:0] grid_bias;
  logic [Cols-1:0]    grid_valid, grid_first, grid_last;

  always_comb begin
    grid_act[7:0] = in_act_q[7:0];
    for (int unsigned r = 1; r < Rows; r++) begin
      grid_act[8*r +: 8] = act_ring_q[RingEntry(32'(act_wr_q), r, ActDepth)][8*r +: 8];
    end
    grid_wgt[7:0]   = in_wgt_q[7:0];
    grid_bias[31:0] = in_bias_q[31:0];
    for (int unsigned c = 1; c < Cols; c++) begin
      grid_wgt[8*c +: 8]   = wgt_ring_q[RingEntry(32'(wgt_wr_q), c, WgtDepth)][8*c +: 8];
      grid_bias[32*c +: 32] = bias_ring_q[RingEntry(32'(wgt_wr_q), c, WgtDepth)][32*c +: 32];
    end
    grid_valid = {valid_sr_q, in_valid_q};
    grid_first = {first_sr_q, in_first_q};
    grid_last  = {last_sr_q, in_last_q};
  end

  // ---------------------------------------------------------------------------------------------
  // The PE grid.
  logic [Cols-1:0]         bottom_valid, bottom_last;
  logic                    grid_busy;
  logic [Cols-1:0]         drain_active;
  logic [Cols*RowIdxW-1:0] drain_cnt;
  logic [Cols*Rows-1:0]    drain_take;

  /* verilator tracing_on */
  sa_pe_grid #(
    .Rows (Rows),
    .Cols (Cols)
  ) u_grid (
    .clk_i,
    .rst_ni,
    .act_i          (grid_act),
    .wgt_i          (grid_wgt),
    .valid_i        (grid_valid),
    .first_i        (grid_first),
    .last_i         (grid_last),
    .bias_i         (grid_bias),
    .take_i         (drain_take),
    .bottom_valid_o (bottom_valid),
    .bottom_last_o  (bottom_last),
    .bottom_res_o   (bottom_res),
    .any_valid_o    (grid_busy),
    .wraps_o
  );
  /* verilator tracing_off */

  // ---------------------------------------------------------------------------------------------
  // Drain, per column: the fold's `last` leaving the bottom row starts the column's drain; for
  // Rows cycles the bottom row presents rows Rows-1 .. 0. Row r takes from above during the
  // first r drain cycles only, so a result of the next fold captured later in row r is never
  // shifted away.
  logic [Cols-1:0]         drain_busy_q, drain_busy_d;
  logic [Cols*RowIdxW-1:0] drain_cnt_q, drain_cnt_d;

  always_comb begin
    for (int unsigned c = 0; c < Cols; c++) begin
      logic start;
      start = bottom_valid[c] && bottom_last[c];
      drain_active[c] = start || drain_busy_q[c];
      drain_cnt[RowIdxW*c +: RowIdxW] = start ? '0 : drain_cnt_q[RowIdxW*c +: RowIdxW];
      drain_cnt_d[RowIdxW*c +: RowIdxW] = drain_cnt[RowIdxW*c +: RowIdxW] + RowIdxW'(1);
      drain_busy_d[c] = drain_active[c] && (32'(drain_cnt[RowIdxW*c +: RowIdxW]) != Rows - 1);
      // Rows r > drain count take from above.
      drain_take[Rows*c +: Rows] = drain_active[c] ?
          {{(Rows-1){1'b1}}, 1'b0} << drain_cnt[RowIdxW*c +: RowIdxW] : '0;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      drain_busy_q <= '0;
      drain_cnt_q  <= '0;
    end else begin
      drain_busy_q <= drain_busy_d;
      drain_cnt_q  <= drain_cnt_d;
    end
  end

  // Requantizers, one per column, on the bottom row's drain registers.
  for (genvar c = 0; c < Cols; c++) begin : g_requant
    sa_requant u_requant (
      .acc_i   (bottom_res[32*c +: 32]),
      .relu_i  (relu_q),
      .shift_i (shift_q),
      .round_i (round_q),
      .q_o     (bottom_q[8*c +: 8])
    );
  end

  // Deskew: column c drains c cycles after column 0, so it is delayed by Cols-1-c to line up with
  // the last: a circular buffer of the bottom row, written every cycle, column c read from the
  // entry written Cols-1-c cycles ago (res_ring_q, q_ring_q: written with the feeders' buffers).

  // The result stream by column (traced: waveform views show column 0).
  /* verilator tracing_on */
  logic signed [31:0] out_acc [Cols];
  logic        [7:0]  out_q   [Cols];
  /* verilator tracing_off */
  always_comb begin
    for (int unsigned c = 0; c + 1 < Cols; c++) begin
      out_acc[c] = res_ring_q[RingEntry(32'(wgt_wr_q), Cols - 1 - c, WgtDepth)][32*c +: 32];
      out_q[c]   = q_ring_q[RingEntry(32'(wgt_wr_q), Cols - 1 - c, WgtDepth)][8*c +: 8];
    end
    out_acc[Cols-1] = bottom_res[32*(Cols-1) +: 32];
    out_q[Cols-1]   = bottom_q[8*(Cols-1) +: 8];
    for (int unsigned c = 0; c < Cols; c++) begin
      out_acc_o[32*c +: 32] = out_acc[c];
      out_q_o[8*c +: 8]     = out_q[c];
    end
  end

  assign out_valid_o = drain_active[Cols-1];
  assign out_row_o   = RowIdxW'(Rows - 1) - drain_cnt[RowIdxW*(Cols-1) +: RowIdxW];

  // Busy while a fold is in the feeders, the grid or the drain.
  assign busy_o = in_valid_i || in_valid_q || (|valid_sr_q) || grid_busy || (|drain_active);

  // Successive folds closer than Rows cycles would overwrite results still draining.
  // This is also what keeps a PE from capturing a result into a drain register still in use.
`ifndef SYNTHESIS
  logic [RowIdxW:0] since_last_q, since_last_d;
  always_comb begin
    since_last_d = since_last_q;
    if (in_valid_i && in_last_i) begin
      since_last_d = '0;
    end else if (since_last_q != '1) begin
      since_last_d = since_last_q + 1'b1;
    end
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      since_last_q <= '1;
    end else begin
      since_last_q <= since_last_d;
    end
  end
  `SA_ASSERT(FoldsAtLeastRowsApart, (in_valid_i && in_last_i) |-> (32'(since_last_q) >= Rows - 1))
`endif
  `SA_ASSERT_KNOWN(InValidKnown, in_valid_i)
  `SA_ASSERT_KNOWN(OutValidKnown, out_valid_o)

endmodule
