`include "sa_assert.svh"

// sa_pe_grid: the Rows x Cols output-stationary processing elements of sa_array.
//
// PE (r, c) holds an activation, a weight and the fold flags (valid, first, last) for one cycle
// and passes them on: activations to the right, weights and flags down. Each valid cycle it
// multiplies (act ^ 0x80) as int8 with the int8 weight and adds the product to its int32
// accumulator, which restarts from the column's bias on `first` (the bias holds for a whole fold,
// so it is wired to the column, not piped). On `last` the finished sum moves to the PE's drain
// register, so the next fold accumulates while this one drains; while its column drains, a drain
// register whose take bit is set takes the value of the one above (row 0 takes zero).
// wraps_o counts the PEs whose previous accumulation step wrapped int32: the exact sum of base
// (the bias on `first`, else the accumulator) and the product is outside int32, i.e. both
// addends have the same sign and the 32-bit sum has the other (docs/isa.md, acc_wraps).
//
// The grid is one block of state, not Rows * Cols instances: each register kind is a packed
// vector per row (operands, flags) or one array (accumulators, drain registers), updated by one
// loop. It is the same hardware; written this way Verilator's model is small straight-line code
// with no per-PE module boundaries (docs/performance.md, simulator speed).
// Latency: operands pass through in 1 cycle; a result is in the drain register, and wraps_o
// counts its step, 1 cycle after its `last` operand pair.
module sa_pe_grid #(
  parameter int unsigned Rows = 16,
  parameter int unsigned Cols = 16,
  localparam int unsigned RowIdxW = (Rows > 1) ? $clog2(Rows) : 1,
  localparam int unsigned WrapW   = $clog2(Rows * Cols + 1)
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  // Operands entering the grid: row r's activation enters PE (r, 0) at act_i[8*r +: 8];
  // column c's weight, flags and bias enter PE (0, c) at [8*c +: 8], [c], [32*c +: 32].
  input  logic [Rows*8-1:0]          act_i,
  input  logic [Cols*8-1:0]          wgt_i,
  input  logic [Cols-1:0]            valid_i,
  input  logic [Cols-1:0]            first_i,
  input  logic [Cols-1:0]            last_i,
  input  logic [Cols*32-1:0]         bias_i,
  // Drain: column c is draining, in its drain_cnt_i[c]-th cycle; rows r > drain_cnt take.
  input  logic [Cols-1:0]            drain_i,
  input  logic [Cols*RowIdxW-1:0]    drain_cnt_i,
  // The bottom row's flag and drain registers, column c at [c] / [32*c +: 32].
  output logic [Cols-1:0]            bottom_valid_o,
  output logic [Cols-1:0]            bottom_last_o,
  output logic [Cols*32-1:0]         bottom_res_o,
  // Any PE holds a valid operand pair (a fold is inside the grid).
  output logic                       any_valid_o,
  output logic [WrapW-1:0]           wraps_o
);

  `SA_ASSERT_INIT(g_grid_shape, Rows >= 2 && Rows <= 255 && Cols >= 2 && Cols <= 255)

  // 256 PEs would swamp a waveform: a corner of them is traced through the corner_* probes.
  /* verilator tracing_off */
  // Operand and flag registers, one packed vector per row: PE (r, c) at [c].
  logic [Cols*8-1:0]    act_q   [Rows];
  logic [Cols*8-1:0]    wgt_q   [Rows];
  logic [Cols-1:0]      valid_q [Rows];
  logic [Cols-1:0]      first_q [Rows];
  logic [Cols-1:0]      last_q  [Rows];
  // What enters each PE this cycle (the register to its left or above, or the grid's input).
  logic [Cols*8-1:0]    act_in   [Rows];
  logic [Cols*8-1:0]    wgt_in   [Rows];
  logic [Cols-1:0]      valid_in [Rows];
  logic [Cols-1:0]      first_in [Rows];
  logic [Cols-1:0]      last_in  [Rows];

  logic [31:0]          acc_d [Rows][Cols];
  logic [31:0]          acc_q [Rows][Cols];
  logic [31:0]          res_d [Rows][Cols];
  logic [31:0]          res_q [Rows][Cols];
  logic [WrapW-1:0]     wraps_d, wraps_q;

  always_comb begin
    for (int unsigned r = 0; r < Rows; r++) begin
      act_in[r] = {act_q[r][8*(Cols-1)-1:0], act_i[8*r +: 8]};
    end
    wgt_in[0]   = wgt_i;
    valid_in[0] = valid_i;
    first_in[0] = first_i;
    last_in[0]  = last_i;
    for (int unsigned r = 1; r < Rows; r++) begin
      wgt_in[r]   = wgt_q[r-1];
      valid_in[r] = valid_q[r-1];
      first_in[r] = first_q[r-1];
      last_in[r]  = last_q[r-1];
    end
  end

  // Multiply-accumulate: only PEs with a valid operand pair change their accumulator.
  // The product is formed from 32-bit sign extensions of the operands: the low 32 bits of that
  // product are the exact signed 16-bit product, sign-extended.
  always_comb begin
    logic [31:0] act_ext, wgt_ext, product, acc_base, acc_next;
    act_ext = '0;
    wgt_ext = '0;
    product = '0;
    acc_base = '0;
    acc_next = '0;
    for (int unsigned r = 0; r < Rows; r++) begin
      for (int unsigned c = 0; c < Cols; c++) begin
        acc_d[r][c] = acc_q[r][c];
        res_d[r][c] = res_q[r][c];
      end
    end
    wraps_d  = '0;
    for (int unsigned r = 0; r < Rows; r++) begin
      for (int unsigned c = 0; c < Cols; c++) begin
        if (valid_in[r][c]) begin
          // act - 128 is an MSB flip of the code; its sign is the code's MSB inverted.
          act_ext  = {{25{~act_in[r][8*c+7]}}, act_in[r][8*c +: 7]};
          wgt_ext  = {{24{wgt_in[r][8*c+7]}}, wgt_in[r][8*c +: 8]};
          product  = act_ext * wgt_ext;
          acc_base = first_in[r][c] ? bias_i[32*c +: 32] : acc_q[r][c];
          // int32 two's-complement wrap is the contract (docs/quantization.md); a wrap is an
          // add of two same-signed addends with a sum of the other sign.
          acc_next = acc_base + product;
          wraps_d  = wraps_d + WrapW'((acc_base[31] == product[31]) &&
                                      (acc_next[31] != acc_base[31]));
          acc_d[r][c] = acc_next;
          if (last_in[r][c]) res_d[r][c] = acc_next;
        end
      end
    end
  // Drain: in a draining column, rows below the drain count take from above (a result of the
    // next fold captured on `last` in a row that no longer takes is kept).
    for (int unsigned c = 0; c < Cols; c++) begin
      if (drain_i[c]) begin
        for (int unsigned r = 1; r < Rows; r++) begin
          if (32'(drain_cnt_i[RowIdxW*c +: RowIdxW]) < r &&
              !(valid_in[r][c] && last_in[r][c])) begin
            res_d[r][c] = res_q[r-1][c];
          end
        end
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned r = 0; r < Rows; r++) begin
        act_q[r]   <= '0;
        wgt_q[r]   <= '0;
        valid_q[r] <= '0;
        first_q[r] <= '0;
        last_q[r]  <= '0;
        for (int unsigned c = 0; c < Cols; c++) begin
          acc_q[r][c] <= '0;
          res_q[r][c] <= '0;
        end
      end
      wraps_q <= '0;
    end else begin
      for (int unsigned r = 0; r < Rows; r++) begin
        act_q[r]   <= act_in[r];
        wgt_q[r]   <= wgt_in[r];
        valid_q[r] <= valid_in[r];
        first_q[r] <= first_in[r];
        last_q[r]  <= last_in[r];
        for (int unsigned c = 0; c < Cols; c++) begin
          acc_q[r][c] <= acc_d[r][c];
          res_q[r][c] <= res_d[r][c];
        end
      end
      wraps_q <= wraps_d;
    end
  end

  always_comb begin
    any_valid_o = 1'b0;
    for (int unsigned r = 0; r < Rows; r++) any_valid_o = any_valid_o || (|valid_q[r]);
    for (int unsigned c = 0; c < Cols; c++) begin
      bottom_res_o[32*c +: 32] = res_q[Rows-1][c];
    end
  end
  assign bottom_valid_o = valid_q[Rows-1];
  assign bottom_last_o  = last_q[Rows-1];
  assign wraps_o        = wraps_q;

  // ---------------------------------------------------------------------------------------------
  // Waveform probes: operands and accumulators of the top-left 2x2 corner of PEs.
  /* verilator tracing_on */
  logic        [7:0]  corner_act   [2][2];
  logic signed [7:0]  corner_wgt   [2][2];
  logic               corner_valid [2][2];
  logic        [31:0] corner_acc   [2][2];
  /* verilator tracing_off */
  for (genvar r = 0; r < 2; r++) begin : g_probe_row
    for (genvar c = 0; c < 2; c++) begin : g_probe_col
      assign corner_act[r][c]   = act_in[r][8*c +: 8];
      assign corner_wgt[r][c]   = wgt_in[r][8*c +: 8];
      assign corner_valid[r][c] = valid_in[r][c];
      assign corner_acc[r][c]   = acc_q[r][c];
    end
  end

endmodule
