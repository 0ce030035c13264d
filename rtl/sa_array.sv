`include "sa_assert.svh"

// sa_array: Rows x Cols output-stationary systolic array with its feeders, drain and requantizers.
//
// Inputs are given unskewed, one reduction step per cycle: activation r is that of the output
// pixel mapped to row r, weight c and bias c belong to the output channel mapped to column c. in_first_i / in_last_i mark the first and last step of a fold (one output tile);
// the bias is used on the first step. The feeders skew row r by r cycles and column c by c.
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

  `SA_ASSERT_INIT(g_rows_positive, Rows >= 1 && Rows <= 255)
  `SA_ASSERT_INIT(g_cols_positive, Cols >= 1 && Cols <= 255)

  // The grid's internals stay out of waveforms (sixteen thousand signals); a 2x2 corner of PEs
  // is traced through the corner_* probes below.
  /* verilator tracing_off */
  // Operand wires between PEs: act_h[r][c] enters PE(r,c) from the left, vert[r][c] from above.
  logic        [7:0]  act_h   [Rows][Cols+1];
  logic signed [7:0]  wgt_v   [Rows+1][Cols];
  logic signed [31:0] bias_col [Cols];  // skewed bias, shared by the column's PEs
  logic               valid_v [Rows+1][Cols];
  logic               first_v [Rows+1][Cols];
  logic               last_v  [Rows+1][Cols];
  logic signed [31:0] res_v   [Rows+1][Cols];
  logic               take    [Rows][Cols];
  logic signed [31:0] acc_g   [Rows][Cols];
  logic [Rows*Cols-1:0] wrap_bits;

  logic [Cols-1:0] col_draining;
  logic [Cols-1:0] col_pending;

  // ---------------------------------------------------------------------------------------------
  // Input registers: every input is registered before use, so no logic hangs off the ports
  // (this also keeps Verilator's per-eval input logic empty, which doubles simulation speed).
  logic               in_valid_q, in_first_q, in_last_q;
  logic        [7:0]  in_act_q  [Rows];
  logic signed [7:0]  in_wgt_q  [Cols];
  logic signed [31:0] in_bias_q [Cols];
  logic               relu_q;
  logic        [4:0]  shift_q;
  sa_pkg::round_mode_e round_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      in_valid_q <= 1'b0;
      in_first_q <= 1'b0;
      in_last_q  <= 1'b0;
      for (int unsigned r = 0; r < Rows; r++) in_act_q[r] <= '0;
      for (int unsigned c = 0; c < Cols; c++) begin
        in_wgt_q[c]  <= '0;
        in_bias_q[c] <= '0;
      end
      relu_q  <= 1'b0;
      shift_q <= '0;
      round_q <= sa_pkg::RoundFloor;
    end else begin
      in_valid_q <= in_valid_i;
      in_first_q <= in_first_i;
      in_last_q  <= in_last_i;
      for (int unsigned r = 0; r < Rows; r++) in_act_q[r] <= act_i[8*r +: 8];
      for (int unsigned c = 0; c < Cols; c++) begin
        in_wgt_q[c]  <= $signed(wgt_i[8*c +: 8]);
        in_bias_q[c] <= $signed(bias_i[32*c +: 32]);
      end
      relu_q     <= relu_i;
      shift_q    <= shift_i;
      round_q    <= round_i;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Feeders: row r delayed by r cycles.
  for (genvar r = 0; r < Rows; r++) begin : g_act_skew
    if (r == 0) begin : g_direct
      assign act_h[r][0] = in_act_q[r];
    end else begin : g_delay
      logic [7:0] sr_q [r];
      always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          for (int unsigned i = 0; i < r; i++) sr_q[i] <= '0;
        end else begin
          sr_q[0] <= in_act_q[r];
          for (int unsigned i = 1; i < r; i++) sr_q[i] <= sr_q[i-1];
        end
      end
      assign act_h[r][0] = sr_q[r-1];
    end
  end

  // Feeders: column c (weight, bias, flags) delayed by c cycles.
  for (genvar c = 0; c < Cols; c++) begin : g_wgt_skew
    if (c == 0) begin : g_direct
      assign wgt_v[0][c]   = in_wgt_q[c];
      assign bias_col[c]   = in_bias_q[c];
      assign valid_v[0][c] = in_valid_q;
      assign first_v[0][c] = in_first_q;
      assign last_v[0][c]  = in_last_q;
      assign col_pending[c] = 1'b0;
    end else begin : g_delay
      logic signed [7:0]  wgt_q   [c];
      logic signed [31:0] bias_q  [c];
      logic               valid_q [c];
      logic               first_q [c];
      logic               last_q  [c];
      always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          for (int unsigned i = 0; i < c; i++) begin
            wgt_q[i]   <= '0;
            bias_q[i]  <= '0;
            valid_q[i] <= 1'b0;
            first_q[i] <= 1'b0;
            last_q[i]  <= 1'b0;
          end
        end else begin
          wgt_q[0]   <= in_wgt_q[c];
          bias_q[0]  <= in_bias_q[c];
          valid_q[0] <= in_valid_q;
          first_q[0] <= in_first_q;
          last_q[0]  <= in_last_q;
          for (int unsigned i = 1; i < c; i++) begin
            wgt_q[i]   <= wgt_q[i-1];
            bias_q[i]  <= bias_q[i-1];
            valid_q[i] <= valid_q[i-1];
            first_q[i] <= first_q[i-1];
            last_q[i]  <= last_q[i-1];
          end
        end
      end
      assign wgt_v[0][c]   = wgt_q[c-1];
      assign bias_col[c]   = bias_q[c-1];
      assign valid_v[0][c] = valid_q[c-1];
      assign first_v[0][c] = first_q[c-1];
      assign last_v[0][c]  = last_q[c-1];
      logic [c-1:0] valid_bits;
      for (genvar i = 0; i < c; i++) begin : g_valid_bits
        assign valid_bits[i] = valid_q[i];
      end
      assign col_pending[c] = |valid_bits;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // PE grid.
  for (genvar r = 0; r < Rows; r++) begin : g_row
    for (genvar c = 0; c < Cols; c++) begin : g_col
      sa_pe u_pe (
        .clk_i,
        .rst_ni,
        .act_i      (act_h[r][c]),
        .act_o      (act_h[r][c+1]),
        .wgt_i      (wgt_v[r][c]),
        .bias_i     (bias_col[c]),
        .valid_i    (valid_v[r][c]),
        .first_i    (first_v[r][c]),
        .last_i     (last_v[r][c]),
        .wgt_o      (wgt_v[r+1][c]),
        .valid_o    (valid_v[r+1][c]),
        .first_o    (first_v[r+1][c]),
        .last_o     (last_v[r+1][c]),
        .res_i      (res_v[r][c]),
        .res_take_i (take[r][c]),
        .res_o      (res_v[r+1][c]),
        .wrap_o     (wrap_bits[r*Cols+c]),
        .acc_o      (acc_g[r][c])
      );
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Waveform probes: operands and accumulators of the top-left 2x2 corner of PEs.
  localparam int unsigned ProbeRows = (Rows < 2) ? Rows : 2;
  localparam int unsigned ProbeCols = (Cols < 2) ? Cols : 2;
  /* verilator tracing_on */
  logic        [7:0]  corner_act   [ProbeRows][ProbeCols];
  logic signed [7:0]  corner_wgt   [ProbeRows][ProbeCols];
  logic               corner_valid [ProbeRows][ProbeCols];
  logic signed [31:0] corner_acc   [ProbeRows][ProbeCols];
  /* verilator tracing_off */
  for (genvar r = 0; r < ProbeRows; r++) begin : g_probe_row
    for (genvar c = 0; c < ProbeCols; c++) begin : g_probe_col
      assign corner_act[r][c]   = act_h[r][c];
      assign corner_wgt[r][c]   = wgt_v[r][c];
      assign corner_valid[r][c] = valid_v[r][c];
      assign corner_acc[r][c]   = acc_g[r][c];
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Drain, requantize and deskew, per column.
  // The fold's `last` leaving the bottom row starts the column's drain: for Rows cycles the
  // bottom row presents rows Rows-1 .. 0. Row r takes from above during the first r drain cycles
  // only, so a result of the next fold captured later in row r is never shifted away.
  logic               drain_active [Cols];
  logic [RowIdxW-1:0] drain_cnt    [Cols];
  logic        [7:0]  col_q        [Cols];
  // The result stream by column (traced: waveform views show column 0).
  /* verilator tracing_on */
  logic signed [31:0] out_acc      [Cols];
  logic        [7:0]  out_q        [Cols];
  /* verilator tracing_off */

  for (genvar c = 0; c < Cols; c++) begin : g_drain
    logic               busy_q, busy_d;
    logic [RowIdxW-1:0] cnt_q, cnt_d;
    logic               start;

    assign res_v[0][c] = '0;
    assign start = valid_v[Rows][c] && last_v[Rows][c];

    always_comb begin
      drain_active[c] = start || busy_q;
      drain_cnt[c]    = start ? '0 : cnt_q;
      cnt_d           = drain_cnt[c] + RowIdxW'(1);
      busy_d          = drain_active[c] && (32'(drain_cnt[c]) != Rows - 1);
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        busy_q <= 1'b0;
        cnt_q  <= '0;
      end else begin
        busy_q <= busy_d;
        cnt_q  <= cnt_d;
      end
    end

    assign take[0][c] = 1'b0;  // the top row never takes: it feeds the chain
    for (genvar r = 1; r < Rows; r++) begin : g_take
      assign take[r][c] = drain_active[c] && (32'(drain_cnt[c]) < r);
    end

    sa_requant u_requant (
      .acc_i   (res_v[Rows][c]),
      .relu_i  (relu_q),
      .shift_i (shift_q),
      .round_i (round_q),
      .q_o     (col_q[c])
    );

    // Column c drains c cycles after column 0: delay it by Cols-1-c to line up with the last.
    localparam int unsigned Delay = Cols - 1 - c;
    if (Delay == 0) begin : g_nodelay
      assign out_acc[c] = res_v[Rows][c];
      assign out_q[c]   = col_q[c];
    end else begin : g_deskew
      logic signed [31:0] acc_q [Delay];
      logic        [7:0]  q_q   [Delay];
      always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          for (int unsigned i = 0; i < Delay; i++) begin
            acc_q[i] <= '0;
            q_q[i]   <= '0;
          end
        end else begin
          acc_q[0] <= res_v[Rows][c];
          q_q[0]   <= col_q[c];
          for (int unsigned i = 1; i < Delay; i++) begin
            acc_q[i] <= acc_q[i-1];
            q_q[i]   <= q_q[i-1];
          end
        end
      end
      assign out_acc[c] = acc_q[Delay-1];
      assign out_q[c]   = q_q[Delay-1];
    end

    assign col_draining[c]       = drain_active[c];
    assign out_acc_o[32*c +: 32] = out_acc[c];
    assign out_q_o[8*c +: 8]     = out_q[c];
  end

  assign out_valid_o = drain_active[Cols-1];
  assign out_row_o   = RowIdxW'(Rows - 1) - drain_cnt[Cols-1];

  // Busy while a fold is in the feeders, the grid or the drain.
  logic [Cols-1:0] col_in_grid;
  for (genvar c = 0; c < Cols; c++) begin : g_busy
    logic [Rows-1:0] valid_in_col;
    for (genvar r = 0; r < Rows; r++) begin : g_row_valid
      assign valid_in_col[r] = valid_v[r+1][c];
    end
    assign col_in_grid[c] = |valid_in_col;
  end
  assign busy_o = in_valid_i || in_valid_q || (|col_pending) || (|col_in_grid) || (|col_draining);

  // Wrapped accumulations this cycle, summed over the grid.
  assign wraps_o = WrapW'($countones(wrap_bits));

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
