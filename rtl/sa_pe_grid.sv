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
// The grid is Rows blocks of state, not Rows * Cols instances: each row's registers of a kind
// (activations, weights, flags, accumulators, drain registers) are one vector, updated by one
// loop over the columns. It is the same hardware; written this way Verilator's model is small straight-line code
// with no per-PE module boundaries (docs/performance.md, simulator speed).
// Latency: operands pass through in 1 cycle; a result is in the drain register, and wraps_o
// counts its step, 1 cycle after its `last` operand pair.
module sa_pe_grid #(
  parameter int unsigned Rows = 16,
  parameter int unsigned Cols = 16,
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
  // Drain: PE (r, c)'s drain register takes the value of the one above when bit c*Rows + r is
  // set (its column is draining and has not yet passed row r).
  input  logic [Cols*Rows-1:0]       take_i,
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
  // Between rows: row r's weight, flag and drain registers (PE (r, c) at [8*c +: 8], [c],
  // [32*c +: 32]), which row r + 1 reads; and what enters each row's PEs this cycle.
  logic [Cols*8-1:0]  wgt_row   [Rows];
  logic [Cols-1:0]    valid_row [Rows];
  logic [Cols-1:0]    first_row [Rows];
  logic [Cols-1:0]    last_row  [Rows];
  logic [Cols*32-1:0] res_row   [Rows];
  logic [Cols*8-1:0]  act_in    [Rows];
  logic [Cols*8-1:0]  wgt_in    [Rows];
  logic [Cols-1:0]    valid_in  [Rows];
  logic [Cols-1:0]    first_in  [Rows];
  logic [Cols-1:0]    last_in   [Rows];
  logic [Cols*32-1:0] acc_row   [2];     // rows 0 and 1, for the corner probes
  logic [WrapW-1:0]   row_wraps [Rows];

  for (genvar r = 0; r < Rows; r++) begin : g_row
    logic [(Cols-1)*8-1:0] act_q;  // the last column's act register would have no reader
    logic [Cols*8-1:0]  wgt_q;
    logic [Cols-1:0]    valid_q, first_q, last_q;
    logic [Cols*32-1:0] acc_d, acc_q;
    logic [Cols*32-1:0] res_d, res_q;
    logic [Cols*32-1:0] res_above;
    logic [WrapW-1:0]   wraps_d, wraps_q;

    if (r == 0) begin : g_top
      assign wgt_in[r]   = wgt_i;
      assign valid_in[r] = valid_i;
      assign first_in[r] = first_i;
      assign last_in[r]  = last_i;
      assign res_above   = '0;
    end else begin : g_below
      assign wgt_in[r]   = wgt_row[r-1];
      assign valid_in[r] = valid_row[r-1];
      assign first_in[r] = first_row[r-1];
      assign last_in[r]  = last_row[r-1];
      assign res_above   = res_row[r-1];
    end
    assign act_in[r] = {act_q, act_i[8*r +: 8]};

    // Multiply-accumulate: only PEs with a valid operand pair change their accumulator. The
    // product is formed from 32-bit sign extensions of the operands: its low 32 bits are the
    // exact signed product.
    always_comb begin
      logic [31:0] act_ext, wgt_ext, product, acc_base, acc_next;
      act_ext  = '0;
      wgt_ext  = '0;
      product  = '0;
      acc_base = '0;
      acc_next = '0;
      acc_d    = acc_q;
      res_d    = res_q;
      wraps_d  = '0;
      for (int unsigned c = 0; c < Cols; c++) begin
        // Drain: the register takes from above, unless the PE's own fold ends this cycle (below).
        if (r > 0 && take_i[c*Rows+r]) res_d[32*c +: 32] = res_above[32*c +: 32];
        if (valid_in[r][c]) begin
          act_ext  = 32'($signed(act_in[r][8*c +: 8] ^ 8'h80));  // act - 128: an MSB flip
          wgt_ext  = 32'($signed(wgt_in[r][8*c +: 8]));
          product  = act_ext * wgt_ext;
          acc_base = first_in[r][c] ? bias_i[32*c +: 32] : acc_q[32*c +: 32];
          // int32 two's-complement wrap is the contract (docs/quantization.md); a wrap is an
          // add of two same-signed addends whose sum has the other sign.
          acc_next = acc_base + product;
          wraps_d  = wraps_d + WrapW'(((acc_base ^ acc_next) & (product ^ acc_next)) >> 31);
          acc_d[32*c +: 32] = acc_next;
          if (last_in[r][c]) res_d[32*c +: 32] = acc_next;
        end
      end
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        act_q   <= '0;
        wgt_q   <= '0;
        valid_q <= '0;
        first_q <= '0;
        last_q  <= '0;
        acc_q   <= '0;
        res_q   <= '0;
        wraps_q <= '0;
      end else begin
        act_q   <= act_in[r][8*(Cols-1)-1:0];
        wgt_q   <= wgt_in[r];
        valid_q <= valid_in[r];
        first_q <= first_in[r];
        last_q  <= last_in[r];
        acc_q   <= acc_d;
        res_q   <= res_d;
        wraps_q <= wraps_d;
      end
    end

    assign wgt_row[r]   = wgt_q;
    assign valid_row[r] = valid_q;
    assign first_row[r] = first_q;
    assign last_row[r]  = last_q;
    assign res_row[r]   = res_q;
    if (r < 2) begin : g_probe
      assign acc_row[r] = acc_q;
    end
    assign row_wraps[r] = wraps_q;
  end

  always_comb begin
    any_valid_o = 1'b0;
    wraps_o     = '0;
    for (int unsigned r = 0; r < Rows; r++) begin
      any_valid_o = any_valid_o || (|valid_row[r]);
      wraps_o     = wraps_o + row_wraps[r];
    end
  end
  assign bottom_valid_o = valid_row[Rows-1];
  assign bottom_last_o  = last_row[Rows-1];
  assign bottom_res_o   = res_row[Rows-1];

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
      assign corner_acc[r][c]   = acc_row[r][32*c +: 32];
    end
  end

endmodule
