`include "sa_assert.svh"

// sa_compute: the compute engine. Runs one COMPUTE command: all folds of one Cols-channel output
// tile of a conv (a linear layer is a 1x1 conv on a 1x1 image) over the activations in the
// activation buffer and the weights in the weight buffer, writing requantized (and optionally
// 2x2 max-pooled) results to the output buffer.
//
// sa_im2col walks the folds and reduction steps and gives each array row's activation address;
// this block reads the buffers, feeds the array one step per cycle, and writes what drains:
// a row holds the 16-channel word of its tap for the 16 steps that use it, padding taps read as
// the zero point 128 without an SRAM access, and idle rows and columns get zeros. The next fold
// is set up on the last step of the current one, so folds issue back to back; a fold shorter
// than Rows steps is padded with bubbles (sa_array's rule). A descriptor FIFO remembers each
// fold's real rows and output address until its results drain; drained rows pass through
// sa_pool (bypassed unless pooling) into the output buffer.
// Partial sums (acc_in, acc_out; one fold per command): acc_in sends the fold's first step
// without `first`, so the PEs add to their own accumulators instead of restarting from the biases
// (which are then neither read nor changed); acc_out sends the last step without `last`, so the
// sums stay in the PEs: nothing drains, no descriptor is pushed, nothing is written, and the
// command is done once its last step has reached every PE (the array is idle).
// Buffer ports are flat vectors (Yosys): row r's activation port at [16*r +: 16] / [128*r +: 128],
// weight buffer ports 0..ColWords-1 (the step's Cols weights, 16 a word) and the 4 * ColWords
// after them (the Cols int32 biases, 4 a word) at [16*p +: 16] / [128*p +: 128]. A drained row
// of Cols channels is ColWords output words: word g (channels 16g..16g+15) at the row's address
// + g * obuf_stride, written only where it holds one of the command's n_valid channels. A
// narrow array (Cols 4 or 8: a tile is part of a 16-channel block) writes its Cols lanes of
// the row's word, from lane lane_off, and leaves the others (byte enables).
// Latency: start_i to the first step 2 cycles; a command finishes (done_o) about Rows + 16 + 2
// cycles after its last step is issued (acc_out: about Rows + 16).
module sa_compute #(
  parameter int unsigned Rows      = 16,
  parameter int unsigned Cols      = 16,
  parameter int unsigned FifoDepth = 8,
  // Words of a step's weights, of a row's outputs (a narrow array: lanes of one word).
  localparam int unsigned ColWords  = (Cols < 16) ? 1 : Cols / 16,
  localparam int unsigned WbufPorts = 5 * ColWords   // weights, then biases
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 start_i,
  input  sa_pkg::compute_cmd_t cmd_i,
  output logic                 busy_o,
  output logic                 ready_o,  // start_i would be taken this cycle (for cmd_i)
  output logic                 done_o,
  // Buffer ports and event counts stay out of waveforms (wide, and the same nets as elsewhere);
  // the output buffer writes are traced.
  /* verilator tracing_off */
  // Activation buffer: one read port per array row.
  output logic [Rows*16-1:0]   abuf_raddr_o,
  input  logic [Rows*128-1:0]  abuf_rdata_i,
  // Weight buffer: the step's weights, then the biases.
  output logic [WbufPorts*16-1:0]  wbuf_raddr_o,
  input  logic [WbufPorts*128-1:0] wbuf_rdata_i,
  // Output buffer write ports, one per 16 channels.
  /* verilator tracing_on */
  output logic [ColWords-1:0]      obuf_we_o,
  output logic [ColWords*16-1:0]   obuf_waddr_o,
  output logic [ColWords*128-1:0]  obuf_wdata_o,
  output logic [ColWords*16-1:0]   obuf_wbe_o,
  /* verilator tracing_off */
  // Events this cycle, for the performance counters.
  output logic [15:0]          ev_abuf_reads_o,
  output logic [7:0]           ev_wbuf_reads_o,
  output logic [15:0]          ev_macs_o,
  output logic [15:0]          ev_macs_zero_o,
  output logic [7:0]           ev_requant_o,
  output logic [7:0]           ev_pool_o,
  output logic                 ev_issue_o,     // a fold step or bubble goes to the array
  output logic [15:0]          ev_acc_wraps_o  // PEs whose accumulation wrapped int32
);

  localparam int unsigned RowIdxW  = (Rows > 1) ? $clog2(Rows) : 1;
  localparam int unsigned FifoIdxW = $clog2(FifoDepth);
  localparam int unsigned WrapW    = $clog2(Rows * Cols + 1);

  `SA_ASSERT_INIT(g_rows_range, Rows >= 1 && Rows <= 255)
  `SA_ASSERT_INIT(g_cols_words, Cols == 4 || Cols == 8 || (Cols >= 16 && Cols <= 128 &&
                                                          Cols % 16 == 0))
  `SA_ASSERT_INIT(g_events_fit, Rows * Cols < 65536)
  `SA_ASSERT_INIT(g_fifo_pow2, FifoDepth >= 2 && (1 << FifoIdxW) == FifoDepth)

  typedef enum logic [1:0] {
    CompIdle  = 2'd0,
    CompStart = 2'd1,  // read the biases, set up the first fold
    CompRun   = 2'd2,  // issue reduction steps
    CompDrain = 2'd3   // all steps issued: wait for the last results to land
  } comp_state_e;

  /* verilator tracing_on */
  comp_state_e          state_q;
  sa_pkg::compute_cmd_t cmd_q;
  /* verilator tracing_off */
  comp_state_e          state_d;
  sa_pkg::compute_cmd_t cmd_d;
  logic [RowIdxW:0]     since_last_q, since_last_d;  // cycles since the last fold's last step
  logic [RowIdxW:0]     since_first_q, since_first_d;  // cycles since the last fold's first step
  // A command that drains completes when its last fold's row 0 has popped and been written
  // (through sa_pool): two cycles after the pop.
  logic [1:0]           done_pipe_q, done_pipe_d;

  logic [127:0]       word_q [Rows];  // each row's word of the current tap
  logic [127:0]       word_d [Rows];
  logic signed [31:0] bias_q [Cols];
  logic signed [31:0] bias_d [Cols];

  // ---------------------------------------------------------------------------------------------
  // im2col.
  logic                 im_start, im_first_fold;
  logic                 step_first, step_last, more_folds;
  logic [Rows-1:0]      rows_valid, tap_valid;
  logic                 word_first;
  logic [3:0]           chan;
  logic [15:0]          wgt_raddr;
  logic                 fold_load;
  logic [Rows-1:0]      next_rows_valid;
  logic [15:0]          next_obuf_addr;
  logic                 issuing;  // a valid step goes to the array this cycle

  // A command is taken when idle, or while the previous one only drains, when its results leave
  // the array with the same requantizer settings (relu, shift, rounding: the array's
  // requantizers are shared by every fold in flight) and neither pools (the pool groups beats
  // from a command's start) nor keeps or continues sums. Folds then issue back to back across
  // commands, as within one; each command still completes (done_o) in order, when its last
  // fold's last result is written. The next command's biases replace this one's on the cycle
  // after CompStart, and a column's PEs take the bias from one wire as the fold's first step
  // passes down the rows: so a command is taken only once this command's last fold's first
  // step has had Rows - 1 cycles to reach the bottom row (a fold shorter than that may end
  // sooner).
  logic accept;
  always_comb begin
    accept = (state_q == CompIdle) ||
             ((state_q == CompDrain) && !cmd_q.pool && !cmd_q.acc_out && !cmd_i.pool &&
              !cmd_i.acc_in && !cmd_i.acc_out && (cmd_i.relu == cmd_q.relu) &&
              (cmd_i.shift == cmd_q.shift) && (cmd_i.round == cmd_q.round) &&
              (cmd_i.obuf_stride == cmd_q.obuf_stride) && !fifo_full &&
              (32'(since_first_q) + 3 >= Rows));
  end
  assign ready_o  = accept;
  assign im_start = accept && start_i;
  assign im_first_fold = (state_q == CompStart);

  /* verilator tracing_on */
  sa_im2col #(
    .Rows     (Rows),
    .WgtWords (ColWords)
  ) u_im2col (
    .clk_i,
    .rst_ni,
    .start_i           (im_start),
    .start_cmd_i       (cmd_i),
    .cmd_i             (cmd_q),
    .first_fold_i      (im_first_fold),
    .step_i            (issuing),
    .step_first_o      (step_first),
    .step_last_o       (step_last),
    .more_folds_o      (more_folds),
    .rows_valid_o      (rows_valid),
    .tap_valid_o       (tap_valid),
    .abuf_raddr_o      (abuf_raddr_o),
    .word_first_o      (word_first),
    .chan_o            (chan),
    .wgt_raddr_o       (wgt_raddr),
    .fold_load_o       (fold_load),
    .next_rows_valid_o (next_rows_valid),
    .next_obuf_addr_o  (next_obuf_addr)
  );
  /* verilator tracing_off */

  // ---------------------------------------------------------------------------------------------
  // Operands of the step.
  logic        fifo_full, fifo_empty;
  logic [127:0] abuf_word [Rows];
  logic [127:0] wbuf_word [WbufPorts];
  logic [7:0]  act [Rows];
  logic signed [7:0] wgt [Cols];
  logic        last_allowed;
  logic        pool_in_valid;  // a real pixel row leaves the array this cycle
  logic        arr_busy;       // a step is still inside the array

  for (genvar r = 0; r < Rows; r++) begin : g_abuf_word
    assign abuf_word[r] = abuf_rdata_i[128*r +: 128];
  end
  for (genvar p = 0; p < WbufPorts; p++) begin : g_wbuf_word
    assign wbuf_word[p] = wbuf_rdata_i[128*p +: 128];
  end

  always_comb begin
    // The array's rule: a fold's last step at least Rows cycles after the previous fold's; and a
    // next fold needs a free descriptor slot.
    // A last step that keeps its sums (acc_out) starts no drain: no spacing needed.
    last_allowed = cmd_q.acc_out ||
                   ((32'(since_last_q) >= Rows - 1) && (!more_folds || !fifo_full));
    issuing      = (state_q == CompRun) && (!step_last || last_allowed);
    for (int unsigned r = 0; r < Rows; r++) begin
      act[r] = 8'h80;  // padding and idle rows: the zero point
      if (tap_valid[r]) begin
        act[r] = word_first ? abuf_word[r][8*chan +: 8] : word_q[r][8*chan +: 8];
      end
      word_d[r] = (issuing && word_first) ? abuf_word[r] : word_q[r];
    end
    for (int unsigned g = 0; g < ColWords; g++) begin
      wbuf_raddr_o[16*g +: 16] = wgt_raddr + 16'(g);
    end
    for (int unsigned i = 0; i < 4 * ColWords; i++) begin
      wbuf_raddr_o[16*(ColWords + i) +: 16] = cmd_q.wbuf_base + 16'(i);
    end
    for (int unsigned c = 0; c < Cols; c++) begin
      wgt[c]    = (8'(c) < cmd_q.n_valid) ? $signed(wbuf_word[c/16][8*(c%16) +: 8]) : 8'sd0;
      bias_d[c] = bias_q[c];
      if (state_q == CompStart && !cmd_q.acc_in) begin
        // Biases are latched while the first fold is set up (acc_in continues the PEs' sums:
        // the biases of the command that started them may still be on their way down).
        bias_d[c] = (8'(c) < cmd_q.n_valid) ?
                    $signed(wbuf_word[ColWords + c/4][32*(c%4) +: 32]) : 32'sd0;
      end
    end
  end

  // Command sequencing.
  always_comb begin
    state_d      = state_q;
    cmd_d        = cmd_q;
    since_last_d = (since_last_q == '1) ? since_last_q : since_last_q + 1'b1;
    since_first_d = (issuing && step_first) ? '0 :
                    (since_first_q == '1) ? since_first_q : since_first_q + 1'b1;
    done_o       = done_pipe_q[1];
    done_pipe_d  = {done_pipe_q[0], last_pop};

    unique case (state_q)
      CompIdle: begin
        if (start_i) begin
          state_d = CompStart;
          cmd_d   = cmd_i;
        end
      end
      CompStart: begin
        state_d = CompRun;
      end
      CompRun: begin
        if (issuing && step_last) begin
          if (!cmd_q.acc_out) begin
            since_last_d = '0;
          end
          if (!more_folds) begin
            state_d = CompDrain;
          end
        end
      end
      CompDrain: begin
        // The next command may start while this one drains (accept). Otherwise idle when
        // every fold has left the array and the last result is written; a fold that keeps its
        // sums (acc_out), when its last step has reached every PE (then done: nothing drains).
        if (start_i && accept) begin
          state_d = CompStart;
          cmd_d   = cmd_i;
        end else if (fifo_empty && !pool_out_valid && !pool_in_valid &&
                     !(cmd_q.acc_out && arr_busy)) begin
          state_d = CompIdle;
          if (cmd_q.acc_out) done_o = 1'b1;
        end
      end
      default: state_d = CompIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q      <= CompIdle;
      cmd_q        <= '0;
      done_pipe_q  <= '0;
      since_last_q <= '1;
      since_first_q <= '1;
      for (int unsigned r = 0; r < Rows; r++) word_q[r] <= '0;
      for (int unsigned c = 0; c < Cols; c++) bias_q[c] <= '0;
    end else begin
      state_q      <= state_d;
      cmd_q        <= cmd_d;
      done_pipe_q  <= done_pipe_d;
      since_last_q <= since_last_d;
      since_first_q <= since_first_d;
      for (int unsigned r = 0; r < Rows; r++) word_q[r] <= word_d[r];
      for (int unsigned c = 0; c < Cols; c++) bias_q[c] <= bias_d[c];
    end
  end

  // ---------------------------------------------------------------------------------------------
  // The array.
  logic                 arr_out_valid;
  logic [RowIdxW-1:0]   arr_out_row;
  logic [Cols*32-1:0]   arr_out_acc;
  logic [Cols*8-1:0]    arr_out_q;
  logic [WrapW-1:0]     arr_wraps;
  logic [Rows*8-1:0]    arr_act;
  logic [Cols*8-1:0]    arr_wgt;
  logic [Cols*32-1:0]   arr_bias;

  always_comb begin
    for (int unsigned r = 0; r < Rows; r++) arr_act[8*r +: 8] = act[r];
    for (int unsigned c = 0; c < Cols; c++) begin
      arr_wgt[8*c +: 8]   = wgt[c];
      arr_bias[32*c +: 32] = bias_q[c];
    end
  end

  /* verilator tracing_on */
  sa_array #(
    .Rows (Rows),
    .Cols (Cols)
  ) u_array (
    .clk_i,
    .rst_ni,
    .in_valid_i  (issuing),
    .in_first_i  (issuing && step_first && !cmd_q.acc_in),
    .in_last_i   (issuing && step_last && !cmd_q.acc_out),
    .act_i       (arr_act),
    .wgt_i       (arr_wgt),
    .bias_i      (arr_bias),
    .relu_i      (cmd_q.relu),
    .shift_i     (cmd_q.shift),
    .round_i     (cmd_q.round),
    .out_valid_o (arr_out_valid),
    .out_row_o   (arr_out_row),
    .out_acc_o   (arr_out_acc),
    .out_q_o     (arr_out_q),
    .busy_o      (arr_busy),
    .wraps_o     (arr_wraps)
  );
  /* verilator tracing_off */

  // ---------------------------------------------------------------------------------------------
  // Fold descriptors: which rows hold real pixels and where the fold's results go.
  logic [Rows-1:0]     fifo_mask_q [FifoDepth];
  logic [Rows-1:0]     fifo_mask_d [FifoDepth];
  logic [15:0]         fifo_base_q [FifoDepth];
  logic [15:0]         fifo_base_d [FifoDepth];
  logic [7:0]          fifo_nvalid_q [FifoDepth];  // the fold's command's n_valid
  logic [7:0]          fifo_nvalid_d [FifoDepth];
  logic [3:0]          fifo_lane_q [FifoDepth];    // ... and lane_off
  logic [3:0]          fifo_lane_d [FifoDepth];
  logic [FifoDepth-1:0] fifo_last_q, fifo_last_d;  // the last fold of its command
  logic                mark_last;                   // the command's last step issues now
  logic                last_pop;
  logic [FifoIdxW:0]   fifo_count_q, fifo_count_d;
  logic [FifoIdxW-1:0] fifo_rd_q, fifo_rd_d, fifo_wr_q, fifo_wr_d;
  logic                fifo_push, fifo_pop;

  assign fifo_full  = (32'(fifo_count_q) == FifoDepth);
  assign fifo_empty = (fifo_count_q == '0);
  assign fifo_push  = fold_load && !cmd_q.acc_out;  // acc_out: nothing will drain

  // Drain: rows leave Rows-1 first; row 0 closes the fold.
  logic        row_real;
  logic [15:0] row_addr;
  logic [15:0] pool_addr_q, pool_addr_d;
  logic [7:0]  pool_nvalid_q, pool_nvalid_d;  // n_valid of the row sa_pool outputs next
  logic [3:0]  pool_lane_q, pool_lane_d;      // ... and its lane_off
  logic        pool_out_valid;
  logic [Cols*8-1:0] pool_out;

  always_comb begin
    row_real      = arr_out_valid && fifo_mask_q[fifo_rd_q][arr_out_row];
    row_addr      = fifo_base_q[fifo_rd_q] +
                    16'(cmd_q.pool ? (32'(arr_out_row) >> 2) : 32'(arr_out_row));
    fifo_pop      = arr_out_valid && (arr_out_row == '0);
    pool_in_valid = row_real;
    pool_addr_d   = row_real ? row_addr : pool_addr_q;
    pool_nvalid_d = row_real ? fifo_nvalid_q[fifo_rd_q] : pool_nvalid_q;
    pool_lane_d   = row_real ? fifo_lane_q[fifo_rd_q] : pool_lane_q;
    fifo_count_d  = fifo_count_q + (FifoIdxW+1)'(fifo_push) - (FifoIdxW+1)'(fifo_pop);
    fifo_wr_d     = fifo_push ? fifo_wr_q + 1'b1 : fifo_wr_q;
    fifo_rd_d     = fifo_pop ? fifo_rd_q + 1'b1 : fifo_rd_q;
    fifo_last_d   = fifo_last_q;
    for (int unsigned i = 0; i < FifoDepth; i++) begin
      fifo_mask_d[i]   = fifo_mask_q[i];
      fifo_base_d[i]   = fifo_base_q[i];
      fifo_nvalid_d[i] = fifo_nvalid_q[i];
      fifo_lane_d[i]   = fifo_lane_q[i];
    end
    if (fifo_push) begin
      fifo_mask_d[fifo_wr_q]   = next_rows_valid;
      fifo_base_d[fifo_wr_q]   = next_obuf_addr;
      fifo_nvalid_d[fifo_wr_q] = cmd_q.n_valid;
      fifo_lane_d[fifo_wr_q]   = cmd_q.lane_off;
      fifo_last_d[fifo_wr_q]   = 1'b0;
    end
    // The last fold's descriptor is the one pushed last (a fold is set up before its steps).
    mark_last = (state_q == CompRun) && issuing && step_last && !more_folds && !cmd_q.acc_out;
    if (mark_last) fifo_last_d[fifo_wr_q - 1'b1] = 1'b1;
    last_pop = fifo_pop && fifo_last_q[fifo_rd_q];
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      fifo_count_q <= '0;
      fifo_rd_q    <= '0;
      fifo_wr_q    <= '0;
      pool_addr_q  <= '0;
      pool_nvalid_q <= '0;
      pool_lane_q   <= '0;
      fifo_last_q  <= '0;
      for (int unsigned i = 0; i < FifoDepth; i++) begin
        fifo_mask_q[i]   <= '0;
        fifo_base_q[i]   <= '0;
        fifo_nvalid_q[i] <= '0;
        fifo_lane_q[i]   <= '0;
      end
    end else begin
      fifo_count_q <= fifo_count_d;
      fifo_rd_q    <= fifo_rd_d;
      fifo_wr_q    <= fifo_wr_d;
      pool_addr_q  <= pool_addr_d;
      pool_nvalid_q <= pool_nvalid_d;
      pool_lane_q   <= pool_lane_d;
      fifo_last_q  <= fifo_last_d;
      for (int unsigned i = 0; i < FifoDepth; i++) begin
        fifo_mask_q[i]   <= fifo_mask_d[i];
        fifo_base_q[i]   <= fifo_base_d[i];
        fifo_nvalid_q[i] <= fifo_nvalid_d[i];
        fifo_lane_q[i]   <= fifo_lane_d[i];
      end
    end
  end

  /* verilator tracing_on */
  sa_pool #(
    .Lanes (Cols)
  ) u_pool (
    .clk_i,
    .rst_ni,
    .clear_i     (start_i && state_q == CompIdle),
    .pool_en_i   (cmd_q.pool),
    .in_valid_i  (pool_in_valid),
    .in_data_i   (arr_out_q),
    .out_valid_o (pool_out_valid),
    .out_data_o  (pool_out)
  );
  /* verilator tracing_off */

  // The row's words: word g at the row's address + g * obuf_stride (the layer's; a command taken
  // while another drains has the same), written when it holds a valid channel.
  for (genvar g = 0; g < ColWords; g++) begin : g_obuf_word
    assign obuf_we_o[g] = pool_out_valid && (32'(pool_nvalid_q) > 16 * g);
    assign obuf_waddr_o[16*g +: 16] = pool_addr_q + 16'(32'(cmd_q.obuf_stride) * g);
  end
  if (Cols < 16) begin : g_narrow_row
    // The tile's lanes of the word (the compiler keeps lane_off + Cols <= 16).
    assign obuf_wdata_o = 128'(pool_out) << (8 * pool_lane_q);
    assign obuf_wbe_o   = 16'((1 << Cols) - 1) << pool_lane_q;
  end else begin : g_wide_row
    assign obuf_wdata_o = pool_out;
    assign obuf_wbe_o   = '1;
  end

  // ---------------------------------------------------------------------------------------------
  // Events.
  always_comb begin
    int unsigned rows_valid_n, rows_zero, cols_zero, cols_valid;
    rows_valid_n = 0;
    rows_zero    = 0;
    cols_zero    = 0;
    cols_valid   = 32'(cmd_q.n_valid);
    ev_abuf_reads_o = '0;
    for (int unsigned r = 0; r < Rows; r++) begin
      rows_valid_n = rows_valid_n + 32'(rows_valid[r]);
      rows_zero    = rows_zero + 32'(rows_valid[r] && act[r] == 8'h80);
      ev_abuf_reads_o = ev_abuf_reads_o + 16'(issuing && word_first && tap_valid[r]);
    end
    for (int unsigned c = 0; c < Cols; c++) begin
      cols_zero = cols_zero + 32'((8'(c) < cmd_q.n_valid) && wgt[c] == 8'sd0);
    end
    ev_wbuf_reads_o = (state_q == CompStart) ? (cmd_q.acc_in ? 8'd0 : 8'(4 * ColWords)) :
                                               (issuing ? 8'(ColWords) : 8'd0);
    ev_macs_o       = issuing ? 16'(rows_valid_n * cols_valid) : 16'd0;
    ev_macs_zero_o  = issuing ? 16'(rows_zero * cols_valid + cols_zero * rows_valid_n -
                                    rows_zero * cols_zero) : 16'd0;
    ev_requant_o    = row_real ? fifo_nvalid_q[fifo_rd_q] : 8'd0;
    ev_pool_o       = (pool_out_valid && cmd_q.pool) ? cmd_q.n_valid : 8'd0;
  end

  assign busy_o         = (state_q != CompIdle);
  assign ev_issue_o     = (state_q == CompRun);
  assign ev_acc_wraps_o = 16'(arr_wraps);

  // Unused: the int32 drain values are for tests of sa_array alone.
  logic unused_acc;
  assign unused_acc = ^arr_out_acc;

  `SA_ASSERT(FifoNoOverflow, !(fifo_push && fifo_full && !fifo_pop))
  `SA_ASSERT(FifoNoUnderflow, !(fifo_pop && fifo_empty))
  `SA_ASSERT(PoolNeedsRowsOfFour, (start_i && cmd_i.pool) |-> (Rows % 4 == 0))
  `SA_ASSERT(StartOnlyWhenReady, start_i |-> accept)
  `SA_ASSERT(LastFoldAlreadyPushed, mark_last |-> !fifo_push && !fifo_empty)
  `SA_ASSERT(CommandNotEmpty, (start_i && state_q == CompIdle) |->
                              (cmd_i.channels != '0 && cmd_i.kernel_h != '0 &&
                               cmd_i.kernel_w != '0 && cmd_i.out_rows != '0 &&
                               cmd_i.out_width != '0 && cmd_i.n_valid != '0))
  `SA_ASSERT(NValidFits, (start_i && state_q == CompIdle) |-> 32'(cmd_i.n_valid) <= Cols)
  `SA_ASSERT(LanesInWord, (start_i && Cols < 16) |-> 32'(cmd_i.lane_off) + Cols <= 16)
  // Partial sums live in the PEs of one fold, and a pooled fold cannot stop half-way.
  `SA_ASSERT(PartialSumsOneFold, (start_i && state_q == CompIdle && (cmd_i.acc_in ||
                                                                     cmd_i.acc_out)) |->
                                 (32'(cmd_i.out_rows) * 32'(cmd_i.out_width) <= Rows &&
                                  !cmd_i.pool))
  `SA_ASSERT(ResultOnlyInFold, arr_out_valid |-> !fifo_empty)
  `SA_ASSERT_KNOWN(StateKnown, state_q)
  `SA_ASSERT_KNOWN(StartKnown, start_i)
  `SA_ASSERT_KNOWN(ObufWriteKnown, obuf_we_o)

endmodule
