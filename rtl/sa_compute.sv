// sa_compute: the compute engine. Runs one COMPUTE command: all folds of one 16-channel output
// block of a conv (a linear layer is a 1x1 conv on a 1x1 image) over the activations in the
// activation buffer and the weights in the weight buffer, writing requantized (and optionally
// 2x2 max-pooled) results to the output buffer.
//
// im2col is done here, in hardware: each fold maps Rows output pixels to the array rows; every
// cycle issues one reduction step k = (channel block, ky, kx, channel) and reads, per row, the
// activation word of tap (y, x) = (e*stride + ky + y_off, f*stride + kx + x_off). Taps outside
// the buffered rows or the image width are padding and read as the zero point 128 without an
// SRAM access. A word holds 16 channels, so a row reads the buffer once per 16 steps.
// The next fold is set up on the last step of the current one, so folds issue back to back; a
// fold shorter than Rows steps is padded with bubbles (sa_array's rule).
// Drained rows pass through sa_pool (bypassed unless pooling) into the output buffer.
// Latency: a command finishes about Rows + 16 + 2 cycles after its last step is issued.
module sa_compute
  import sa_pkg::*;
#(
  parameter int unsigned Rows      = 16,
  parameter int unsigned FifoDepth = 8
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               start_i,
  input  compute_cmd_t       cmd_i,
  output logic               busy_o,
  output logic               done_o,
  // Buffer ports and event counts stay out of waveforms (wide, and the same nets as elsewhere);
  // the output buffer writes are traced.
  /* verilator tracing_off */
  // Activation buffer: one read port per array row.
  output logic        [15:0] abuf_raddr_o [Rows],
  input  logic       [127:0] abuf_rdata_i [Rows],
  // Weight buffer: port 0 weights, ports 1..4 the 16 biases.
  output logic        [15:0] wbuf_raddr_o [5],
  input  logic       [127:0] wbuf_rdata_i [5],
  // Output buffer write port.
  /* verilator tracing_on */
  output logic               obuf_we_o,
  output logic        [15:0] obuf_waddr_o,
  output logic       [127:0] obuf_wdata_o,
  /* verilator tracing_off */
  // Events this cycle, for the performance counters.
  output logic        [15:0] ev_abuf_reads_o,
  output logic         [2:0] ev_wbuf_reads_o,
  output logic        [15:0] ev_macs_o,
  output logic        [15:0] ev_macs_zero_o,
  output logic         [4:0] ev_requant_o,
  output logic         [4:0] ev_pool_o,
  output logic               ev_issue_o     // a fold step or bubble goes to the array
);

  localparam int unsigned Cols = 16;
  localparam int unsigned RowIdxW = (Rows > 1) ? $clog2(Rows) : 1;
  localparam int unsigned FifoIdxW = $clog2(FifoDepth);

  typedef enum logic [1:0] {
    CompIdle  = 2'd0,
    CompStart = 2'd1,  // read the biases, set up the first fold
    CompRun   = 2'd2,  // issue reduction steps
    CompDrain = 2'd3   // all steps issued: wait for the last results to land
  } comp_state_e;

  /* verilator tracing_on */
  comp_state_e  state_q;
  compute_cmd_t cmd_q;
  /* verilator tracing_off */
  comp_state_e  state_d;
  compute_cmd_t cmd_d;

  // Per-command constants.
  logic [31:0] steps_q, steps_d;      // K = channels * kernel_h * kernel_w
  logic [31:0] plane_q, plane_d;      // in_rows * in_width: words per channel block
  logic [31:0] pixels_q, pixels_d;    // out_rows * out_width
  logic [11:0] last_cb_q, last_cb_d;  // index of the last channel block
  logic [4:0]  last_cl_q, last_cl_d;  // channels in the last block (1..16)

  // Step counters.
  /* verilator tracing_on */
  logic [31:0] k_q;
  logic [31:0] m0_q;            // first pixel of the current fold
  /* verilator tracing_off */
  logic [31:0] k_d;
  logic [4:0]  ci_q, ci_d;
  logic [3:0]  kx_q, kx_d, ky_q, ky_d;
  logic [11:0] cb_q, cb_d;
  logic [31:0] tap_off_q, tap_off_d;  // cb * plane + ky * in_width + kx
  logic [31:0] m0_d;
  logic [RowIdxW:0] since_last_q, since_last_d;

  // Coordinates of the next fold's first pixel (window coordinates when pooling).
  logic [15:0] nf_e_q, nf_e_d, nf_f_q, nf_f_d;

  // Per-row state of the current fold.
  logic signed [31:0] rowbase_q [Rows];
  logic signed [31:0] rowbase_n [Rows];
  logic signed [17:0] ybase_q [Rows];
  logic signed [17:0] ybase_n [Rows];
  logic signed [17:0] xbase_q [Rows];
  logic signed [17:0] xbase_n [Rows];
  logic [Rows-1:0]    rvalid_q, rvalid_n;
  logic [127:0]       word_q [Rows];
  logic [15:0]        next_e, next_f;

  logic signed [31:0] bias_q [Cols];
  logic signed [31:0] bias_d [Cols];

  // ---------------------------------------------------------------------------------------------
  // Set-up of the next fold: row r holds pixel m0 + r. Without pooling pixels are in raster
  // order; with pooling they go window by window (four consecutive rows form one 2x2 window).
  logic [31:0] next_m0;
  always_comb begin
    logic [15:0] ce, cf, width_units, e_r, f_r;
    logic [31:0] m_r;
    next_m0     = (state_q == CompIdle || state_q == CompStart) ? 32'd0 : m0_q + 32'(Rows);
    width_units = cmd_q.pool ? {1'b0, cmd_q.out_width[15:1]} : cmd_q.out_width;
    ce          = nf_e_q;
    cf          = nf_f_q;
    for (int unsigned r = 0; r < Rows; r++) begin
      if (cmd_q.pool) begin
        e_r = {ce[14:0], 1'b0} + 16'((r >> 1) & 1);
        f_r = {cf[14:0], 1'b0} + 16'(r & 1);
      end else begin
        e_r = ce;
        f_r = cf;
      end
      ybase_n[r]   = 18'($signed({2'b0, e_r}) * $signed({14'b0, cmd_q.stride})) +
                     18'(cmd_q.y_off);
      xbase_n[r]   = 18'($signed({2'b0, f_r}) * $signed({14'b0, cmd_q.stride})) +
                     18'(cmd_q.x_off);
      rowbase_n[r] = 32'(ybase_n[r]) * $signed({16'b0, cmd_q.in_width}) + 32'(xbase_n[r]);
      m_r          = next_m0 + 32'(r);
      rvalid_n[r]  = m_r < pixels_q;
      if (!cmd_q.pool || ((r & 3) == 3)) begin
        if (cf + 16'd1 == width_units) begin
          cf = '0;
          ce = ce + 16'd1;
        end else begin
          cf = cf + 16'd1;
        end
      end
    end
    next_e = ce;
    next_f = cf;
  end

  // ---------------------------------------------------------------------------------------------
  // Step issue: addresses, activations, weights.
  logic        issuing;       // a valid step goes to the array this cycle
  logic        step_first, step_last;
  logic        more_folds;
  logic        fifo_full, fifo_empty;
  logic        read_words;
  logic [Rows-1:0] inb;
  logic [7:0]  act [Rows];
  logic signed [7:0]  wgt [Cols];
  logic signed [31:0] bias_in [Cols];
  logic        last_allowed;
  logic        pool_in_valid;  // a real pixel row leaves the array this cycle

  always_comb begin
    logic signed [17:0] y, x;
    step_first   = (k_q == 32'd0);
    step_last    = (k_q == steps_q - 32'd1);
    more_folds   = (m0_q + 32'(Rows)) < pixels_q;
    last_allowed = (32'(since_last_q) >= Rows - 1) && (!more_folds || !fifo_full);
    issuing      = (state_q == CompRun) && (!step_last || last_allowed);
    read_words   = (ci_q == 5'd0);
    for (int unsigned r = 0; r < Rows; r++) begin
      y = ybase_q[r] + 18'(ky_q);
      x = xbase_q[r] + 18'(kx_q);
      inb[r] = rvalid_q[r] && (y >= 0) && (y < $signed({2'b0, cmd_q.in_rows})) &&
               (x >= 0) && (x < $signed({2'b0, cmd_q.in_width}));
      abuf_raddr_o[r] = cmd_q.abuf_base + 16'(rowbase_q[r] + $signed(tap_off_q));
      act[r] = 8'h80;  // padding and idle rows: the zero point
      if (inb[r]) begin
        act[r] = read_words ? abuf_rdata_i[r][8*ci_q[3:0] +: 8] : word_q[r][8*ci_q[3:0] +: 8];
      end
    end
    wbuf_raddr_o[0] = cmd_q.wbuf_base + 16'd4 + 16'(k_q);
    for (int unsigned i = 1; i < 5; i++) begin
      wbuf_raddr_o[i] = cmd_q.wbuf_base + 16'(i - 1);
    end
    for (int unsigned c = 0; c < Cols; c++) begin
      wgt[c]     = (5'(c) < cmd_q.n_valid) ? wbuf_rdata_i[0][8*c +: 8] : 8'sd0;
      bias_d[c]  = (5'(c) < cmd_q.n_valid) ? wbuf_rdata_i[1 + c/4][32*(c%4) +: 32] : 32'sd0;
      bias_in[c] = bias_q[c];
    end
  end

  // Step counters and fold transitions.
  always_comb begin
    state_d      = state_q;
    cmd_d        = cmd_q;
    steps_d      = steps_q;
    plane_d      = plane_q;
    pixels_d     = pixels_q;
    last_cb_d    = last_cb_q;
    last_cl_d    = last_cl_q;
    k_d          = k_q;
    ci_d         = ci_q;
    kx_d         = kx_q;
    ky_d         = ky_q;
    cb_d         = cb_q;
    tap_off_d    = tap_off_q;
    m0_d         = m0_q;
    nf_e_d       = nf_e_q;
    nf_f_d       = nf_f_q;
    since_last_d = (since_last_q == '1) ? since_last_q : since_last_q + 1'b1;
    done_o       = 1'b0;

    unique case (state_q)
      CompIdle: begin
        if (start_i) begin
          state_d   = CompStart;
          cmd_d     = cmd_i;
          steps_d   = 32'(cmd_i.channels) * 32'(cmd_i.kernel_h) * 32'(cmd_i.kernel_w);
          plane_d   = 32'(cmd_i.in_rows) * 32'(cmd_i.in_width);
          pixels_d  = 32'(cmd_i.out_rows) * 32'(cmd_i.out_width);
          last_cb_d = 12'((cmd_i.channels - 16'd1) >> 4);
          last_cl_d = 5'(((cmd_i.channels - 16'd1) & 16'hf) + 16'd1);
          nf_e_d    = '0;
          nf_f_d    = '0;
        end
      end
      CompStart: begin
        // Biases are latched this cycle; the first fold's rows are set up.
        state_d   = CompRun;
        m0_d      = '0;
        nf_e_d    = next_e;
        nf_f_d    = next_f;
        k_d       = '0;
        ci_d      = '0;
        kx_d      = '0;
        ky_d      = '0;
        cb_d      = '0;
        tap_off_d = '0;
      end
      CompRun: begin
        if (issuing) begin
          k_d = k_q + 32'd1;
          if (ci_q + 5'd1 == ((cb_q == last_cb_q) ? last_cl_q : 5'd16)) begin
            ci_d = '0;
            if (kx_q + 4'd1 == cmd_q.kernel_w) begin
              kx_d = '0;
              if (ky_q + 4'd1 == cmd_q.kernel_h) begin
                ky_d      = '0;
                cb_d      = cb_q + 12'd1;
                tap_off_d = (32'(cb_q) + 32'd1) * plane_q;
              end else begin
                ky_d      = ky_q + 4'd1;
                tap_off_d = tap_off_q + 32'(cmd_q.in_width) - 32'(cmd_q.kernel_w) + 32'd1;
              end
            end else begin
              kx_d      = kx_q + 4'd1;
              tap_off_d = tap_off_q + 32'd1;
            end
          end else begin
            ci_d = ci_q + 5'd1;
          end
          if (step_last) begin
            since_last_d = '0;
            k_d       = '0;
            ci_d      = '0;
            kx_d      = '0;
            ky_d      = '0;
            cb_d      = '0;
            tap_off_d = '0;
            if (more_folds) begin
              m0_d   = m0_q + 32'(Rows);
              nf_e_d = next_e;
              nf_f_d = next_f;
            end else begin
              state_d = CompDrain;
            end
          end
        end
      end
      CompDrain: begin
        // Finished when every fold has left the array and the last result is written.
        if (fifo_empty && !obuf_we_o && !pool_in_valid) begin
          state_d = CompIdle;
          done_o  = 1'b1;
        end
      end
      default: state_d = CompIdle;
    endcase
  end

  // Row state loads on the cycle a fold is set up (start, or the last step of the previous).
  logic load_rows;
  assign load_rows = (state_q == CompStart) || (issuing && step_last && more_folds);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q      <= CompIdle;
      cmd_q        <= '0;
      steps_q      <= '0;
      plane_q      <= '0;
      pixels_q     <= '0;
      last_cb_q    <= '0;
      last_cl_q    <= '0;
      k_q          <= '0;
      ci_q         <= '0;
      kx_q         <= '0;
      ky_q         <= '0;
      cb_q         <= '0;
      tap_off_q    <= '0;
      m0_q         <= '0;
      nf_e_q       <= '0;
      nf_f_q       <= '0;
      since_last_q <= '1;
      rvalid_q     <= '0;
      for (int unsigned r = 0; r < Rows; r++) begin
        rowbase_q[r] <= '0;
        ybase_q[r]   <= '0;
        xbase_q[r]   <= '0;
        word_q[r]    <= '0;
      end
      for (int unsigned c = 0; c < Cols; c++) bias_q[c] <= '0;
    end else begin
      state_q      <= state_d;
      cmd_q        <= cmd_d;
      steps_q      <= steps_d;
      plane_q      <= plane_d;
      pixels_q     <= pixels_d;
      last_cb_q    <= last_cb_d;
      last_cl_q    <= last_cl_d;
      k_q          <= k_d;
      ci_q         <= ci_d;
      kx_q         <= kx_d;
      ky_q         <= ky_d;
      cb_q         <= cb_d;
      tap_off_q    <= tap_off_d;
      m0_q         <= m0_d;
      nf_e_q       <= nf_e_d;
      nf_f_q       <= nf_f_d;
      since_last_q <= since_last_d;
      if (load_rows) begin
        rvalid_q <= rvalid_n;
        for (int unsigned r = 0; r < Rows; r++) begin
          rowbase_q[r] <= rowbase_n[r];
          ybase_q[r]   <= ybase_n[r];
          xbase_q[r]   <= xbase_n[r];
        end
      end
      if (issuing && read_words) begin
        for (int unsigned r = 0; r < Rows; r++) word_q[r] <= abuf_rdata_i[r];
      end
      if (state_q == CompStart) begin
        for (int unsigned c = 0; c < Cols; c++) bias_q[c] <= bias_d[c];
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // The array.
  logic               arr_out_valid;
  logic [RowIdxW-1:0] arr_out_row;
  logic signed [31:0] arr_out_acc [Cols];
  logic        [7:0]  arr_out_q   [Cols];
  logic               arr_busy;

  /* verilator tracing_on */
  sa_array #(
    .Rows (Rows),
    .Cols (Cols)
  ) u_array (
    .clk_i,
    .rst_ni,
    .in_valid_i  (issuing),
    .in_first_i  (issuing && step_first),
    .in_last_i   (issuing && step_last),
    .act_i       (act),
    .wgt_i       (wgt),
    .bias_i      (bias_in),
    .relu_i      (cmd_q.relu),
    .shift_i     (cmd_q.shift),
    .round_i     (cmd_q.round),
    .out_valid_o (arr_out_valid),
    .out_row_o   (arr_out_row),
    .out_acc_o   (arr_out_acc),
    .out_q_o     (arr_out_q),
    .busy_o      (arr_busy)
  );

  /* verilator tracing_off */

  // ---------------------------------------------------------------------------------------------
  // Fold descriptors: which rows hold real pixels and where the fold's results go.
  logic [Rows-1:0] fifo_mask_q [FifoDepth];
  logic [15:0]     fifo_base_q [FifoDepth];
  logic [FifoIdxW:0] fifo_count_q, fifo_count_d;
  logic [FifoIdxW-1:0] fifo_rd_q, fifo_wr_q;
  logic            fifo_push, fifo_pop;
  logic [15:0]     push_base;

  assign fifo_full  = (32'(fifo_count_q) == FifoDepth);
  assign fifo_empty = (fifo_count_q == '0);
  assign fifo_push  = load_rows;
  assign push_base  = cmd_q.obuf_base + 16'(cmd_q.pool ? (next_m0 >> 2) : next_m0);

  // Drain: rows leave Rows-1 first; row 0 closes the fold.
  logic        row_real;
  logic [15:0] row_addr;
  logic [15:0] pool_addr_q;
  logic        pool_out_valid;
  logic [7:0]  pool_out [Cols];

  always_comb begin
    row_real      = arr_out_valid && fifo_mask_q[fifo_rd_q][arr_out_row];
    row_addr      = fifo_base_q[fifo_rd_q] +
                    16'(cmd_q.pool ? (32'(arr_out_row) >> 2) : 32'(arr_out_row));
    fifo_pop      = arr_out_valid && (arr_out_row == '0);
    pool_in_valid = row_real;
    fifo_count_d  = fifo_count_q + (FifoIdxW+1)'(fifo_push) - (FifoIdxW+1)'(fifo_pop);
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      fifo_count_q <= '0;
      fifo_rd_q    <= '0;
      fifo_wr_q    <= '0;
      pool_addr_q  <= '0;
      for (int unsigned i = 0; i < FifoDepth; i++) begin
        fifo_mask_q[i] <= '0;
        fifo_base_q[i] <= '0;
      end
    end else begin
      fifo_count_q <= fifo_count_d;
      if (fifo_push) begin
        fifo_mask_q[fifo_wr_q] <= rvalid_n;
        fifo_base_q[fifo_wr_q] <= push_base;
        fifo_wr_q <= fifo_wr_q + 1'b1;
      end
      if (fifo_pop) begin
        fifo_rd_q <= fifo_rd_q + 1'b1;
      end
      if (row_real) begin
        pool_addr_q <= row_addr;
      end
    end
  end

  /* verilator tracing_on */
  sa_pool #(
    .Lanes (Cols)
  ) u_pool (
    .clk_i,
    .rst_ni,
    .clear_i     (start_i),
    .pool_en_i   (cmd_q.pool),
    .in_valid_i  (pool_in_valid),
    .in_data_i   (arr_out_q),
    .out_valid_o (pool_out_valid),
    .out_data_o  (pool_out)
  );

  /* verilator tracing_off */

  always_comb begin
    obuf_we_o    = pool_out_valid;
    obuf_waddr_o = pool_addr_q;
    for (int unsigned c = 0; c < Cols; c++) obuf_wdata_o[8*c +: 8] = pool_out[c];
  end

  // ---------------------------------------------------------------------------------------------
  // Events.
  always_comb begin
    int unsigned rows_valid, rows_zero, cols_zero, cols_valid;
    rows_valid = 0;
    rows_zero  = 0;
    cols_zero  = 0;
    cols_valid = 32'(cmd_q.n_valid);
    ev_abuf_reads_o = '0;
    for (int unsigned r = 0; r < Rows; r++) begin
      rows_valid = rows_valid + 32'(rvalid_q[r]);
      rows_zero  = rows_zero + 32'(rvalid_q[r] && act[r] == 8'h80);
      ev_abuf_reads_o = ev_abuf_reads_o + 16'(issuing && read_words && inb[r]);
    end
    for (int unsigned c = 0; c < Cols; c++) begin
      cols_zero = cols_zero + 32'((5'(c) < cmd_q.n_valid) && wgt[c] == 8'sd0);
    end
    ev_wbuf_reads_o = (state_q == CompStart) ? 3'd4 : (issuing ? 3'd1 : 3'd0);
    ev_macs_o       = issuing ? 16'(rows_valid * cols_valid) : 16'd0;
    ev_macs_zero_o  = issuing ? 16'(rows_zero * cols_valid + cols_zero * rows_valid -
                                    rows_zero * cols_zero) : 16'd0;
    ev_requant_o    = row_real ? cmd_q.n_valid : 5'd0;
    ev_pool_o       = (pool_out_valid && cmd_q.pool) ? cmd_q.n_valid : 5'd0;
  end

  assign busy_o     = (state_q != CompIdle);
  assign ev_issue_o = (state_q == CompRun);

  // Unused: the int32 drain values are for tests of sa_array alone.
  logic unused_acc;
  always_comb begin
    unused_acc = arr_busy;
    for (int unsigned c = 0; c < Cols; c++) unused_acc = unused_acc ^ (^arr_out_acc[c]);
  end

`ifndef SYNTHESIS
  FifoNoOverflow: assert property (@(posedge clk_i) disable iff (!rst_ni)
      !(fifo_push && fifo_full && !fifo_pop));
  FifoNoUnderflow: assert property (@(posedge clk_i) disable iff (!rst_ni)
      !(fifo_pop && fifo_empty));
  PoolNeedsRowsOfFour: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (start_i && cmd_i.pool) |-> (Rows % 4 == 0));
`endif

endmodule
