`include "sa_assert.svh"

// sa_im2col: im2col address generation for one COMPUTE command (docs/isa.md).
// A command's output pixels go to the array in folds of Rows pixels: row r of a fold holds pixel
// m0 + r, in raster order, or window by window when pooling (four consecutive rows form one 2x2
// window). Within a fold it walks the reduction steps k = (channel block, ky, kx, channel in
// block) and gives, per row, the activation buffer address of the step's tap (y, x) =
// (e*stride + ky + y_off, f*stride + kx + x_off) and whether the tap is inside the buffered
// rows and the image (tap_valid_o; outside is padding). A buffer word holds 16 channels, so a
// row needs a new word only on the first channel of a tap (word_first_o); chan_o selects the
// channel within the word. It also gives the weight word of step k and, for the fold about to
// be set up, its valid rows and its output buffer address.
// Control: start_i latches the per-command constants from start_cmd_i; first_fold_i sets up the
// first fold; every step_i advances one step, and the last step of a fold sets up the next fold
// in the same cycle, so folds follow back to back.
// Latency: addresses are combinational from registered state; a fold's rows load on the edge
// that ends its set-up cycle (fold_load_o).
module sa_im2col #(
  parameter int unsigned Rows     = 16,
  parameter int unsigned WgtWords = 1   // weight words per step (array columns / 16)
) (
  // Only the step counter k_q and the fold start m0_q are traced (waveforms/array.gtkw).
  /* verilator tracing_off */
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 start_i,       // a command is taken (start_cmd_i)
  input  sa_pkg::compute_cmd_t start_cmd_i,
  input  sa_pkg::compute_cmd_t cmd_i,         // the command in progress, from start_i + 1 on
  input  logic                 first_fold_i,  // set up the first fold
  input  logic                 step_i,        // the current step issues
  // The current step.
  output logic                 step_first_o,
  output logic                 step_last_o,
  output logic                 more_folds_o,  // another fold follows the current one
  output logic [Rows-1:0]      rows_valid_o,  // rows of the current fold holding a pixel
  output logic [Rows-1:0]      tap_valid_o,   // ... whose tap is inside the image
  output logic [Rows*16-1:0]   abuf_raddr_o,  // row r's word address at [16*r +: 16]
  output logic                 word_first_o,  // first channel of a tap: rows read a new word
  output logic [3:0]           chan_o,        // channel within the word
  output logic [15:0]          wgt_raddr_o,   // weight word of the step
  // The fold being set up this cycle (when fold_load_o is high).
  output logic                 fold_load_o,
  output logic [Rows-1:0]      next_rows_valid_o,
  output logic [15:0]          next_obuf_addr_o  // output buffer word of its first result
);

  `SA_ASSERT_INIT(g_rows_range, Rows >= 1 && Rows <= 255)

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

  // Coordinates of the next fold's first pixel (window coordinates when pooling).
  logic [15:0] nf_e_q, nf_e_d, nf_f_q, nf_f_d;

  // Per-row state of the current fold, and of the next one while it is set up.
  logic signed [31:0] rowbase_q [Rows];
  logic signed [31:0] rowbase_d [Rows];
  logic signed [31:0] rowbase_n [Rows];
  logic signed [17:0] ybase_q [Rows];
  logic signed [17:0] ybase_d [Rows];
  logic signed [17:0] ybase_n [Rows];
  logic signed [17:0] xbase_q [Rows];
  logic signed [17:0] xbase_d [Rows];
  logic signed [17:0] xbase_n [Rows];
  logic [Rows-1:0]    rvalid_q, rvalid_d, rvalid_n;
  logic [15:0]        next_e, next_f;
  logic [31:0]        next_m0;

  // ---------------------------------------------------------------------------------------------
  // Set-up of the next fold: row r holds pixel next_m0 + r.
  always_comb begin
    logic [15:0] ce, cf, width_units, e_r, f_r;
    logic [31:0] m_r;
    next_m0     = first_fold_i ? 32'd0 : m0_q + 32'(Rows);
    width_units = cmd_i.pool ? {1'b0, cmd_i.out_width[15:1]} : cmd_i.out_width;
    ce          = nf_e_q;
    cf          = nf_f_q;
    e_r         = '0;
    f_r         = '0;
    m_r         = '0;
    rvalid_n    = '0;
    for (int unsigned r = 0; r < Rows; r++) begin
      ybase_n[r]   = '0;
      xbase_n[r]   = '0;
      rowbase_n[r] = '0;
    end
    // Only the cycle that sets a fold up uses it (a clock enable: otherwise nothing below runs).
    if (fold_load_o) begin
      for (int unsigned r = 0; r < Rows; r++) begin
        if (cmd_i.pool) begin
          e_r = {ce[14:0], 1'b0} + 16'((r >> 1) & 1);
          f_r = {cf[14:0], 1'b0} + 16'(r & 1);
        end else begin
          e_r = ce;
          f_r = cf;
        end
        ybase_n[r]   = 18'($signed({2'b0, e_r}) * $signed({14'b0, cmd_i.stride})) +
                       18'(cmd_i.y_off);
        xbase_n[r]   = 18'($signed({2'b0, f_r}) * $signed({14'b0, cmd_i.stride})) +
                       18'(cmd_i.x_off);
        rowbase_n[r] = 32'(ybase_n[r]) * $signed({16'b0, cmd_i.in_width}) + 32'(xbase_n[r]);
        m_r          = next_m0 + 32'(r);
        rvalid_n[r]  = m_r < pixels_q;
        if (!cmd_i.pool || ((r & 3) == 3)) begin
          if (cf + 16'd1 == width_units) begin
            cf = '0;
            ce = ce + 16'd1;
          end else begin
            cf = cf + 16'd1;
          end
        end
      end
    end
    next_e = ce;
    next_f = cf;
  end

  // ---------------------------------------------------------------------------------------------
  // The current step's addresses.
  always_comb begin
    logic signed [17:0] y, x;
    step_first_o = (k_q == 32'd0);
    step_last_o  = (k_q == steps_q - 32'd1);
    more_folds_o = (m0_q + 32'(Rows)) < pixels_q;
    word_first_o = (ci_q == 5'd0);
    chan_o       = ci_q[3:0];
    for (int unsigned r = 0; r < Rows; r++) begin
      y = ybase_q[r] + 18'(ky_q);
      x = xbase_q[r] + 18'(kx_q);
      tap_valid_o[r] = rvalid_q[r] && (y >= 0) && (y < $signed({2'b0, cmd_i.in_rows})) &&
                       (x >= 0) && (x < $signed({2'b0, cmd_i.in_width}));
      abuf_raddr_o[16*r +: 16] = cmd_i.abuf_base + 16'(rowbase_q[r] + $signed(tap_off_q));
    end
    // After the 4 * WgtWords bias words, WgtWords words a step.
    wgt_raddr_o = cmd_i.wbuf_base + 16'(4 * WgtWords) + 16'(k_q * WgtWords);
  end

  assign fold_load_o       = first_fold_i || (step_i && step_last_o && more_folds_o);
  assign rows_valid_o      = rvalid_q;
  assign next_rows_valid_o = rvalid_n;
  assign next_obuf_addr_o  = cmd_i.obuf_base + 16'(cmd_i.pool ? (next_m0 >> 2) : next_m0);

  // ---------------------------------------------------------------------------------------------
  // Step counters and fold transitions.
  always_comb begin
    steps_d   = steps_q;
    plane_d   = plane_q;
    pixels_d  = pixels_q;
    last_cb_d = last_cb_q;
    last_cl_d = last_cl_q;
    k_d       = k_q;
    ci_d      = ci_q;
    kx_d      = kx_q;
    ky_d      = ky_q;
    cb_d      = cb_q;
    tap_off_d = tap_off_q;
    m0_d      = m0_q;
    nf_e_d    = nf_e_q;
    nf_f_d    = nf_f_q;

    if (start_i) begin
      steps_d   = 32'(start_cmd_i.channels) * 32'(start_cmd_i.kernel_h) *
                  32'(start_cmd_i.kernel_w);
      plane_d   = 32'(start_cmd_i.in_rows) * 32'(start_cmd_i.in_width);
      pixels_d  = 32'(start_cmd_i.out_rows) * 32'(start_cmd_i.out_width);
      last_cb_d = 12'((start_cmd_i.channels - 16'd1) >> 4);
      last_cl_d = 5'(((start_cmd_i.channels - 16'd1) & 16'hf) + 16'd1);
      nf_e_d    = '0;
      nf_f_d    = '0;
    end

    if (first_fold_i) begin
      m0_d      = '0;
      nf_e_d    = next_e;
      nf_f_d    = next_f;
      k_d       = '0;
      ci_d      = '0;
      kx_d      = '0;
      ky_d      = '0;
      cb_d      = '0;
      tap_off_d = '0;
    end else if (step_i) begin
      k_d = k_q + 32'd1;
      if (ci_q + 5'd1 == ((cb_q == last_cb_q) ? last_cl_q : 5'd16)) begin
        ci_d = '0;
        if (kx_q + 4'd1 == cmd_i.kernel_w) begin
          kx_d = '0;
          if (ky_q + 4'd1 == cmd_i.kernel_h) begin
            ky_d      = '0;
            cb_d      = cb_q + 12'd1;
            tap_off_d = (32'(cb_q) + 32'd1) * plane_q;
          end else begin
            ky_d      = ky_q + 4'd1;
            tap_off_d = tap_off_q + 32'(cmd_i.in_width) - 32'(cmd_i.kernel_w) + 32'd1;
          end
        end else begin
          kx_d      = kx_q + 4'd1;
          tap_off_d = tap_off_q + 32'd1;
        end
      end else begin
        ci_d = ci_q + 5'd1;
      end
      if (step_last_o) begin
        k_d       = '0;
        ci_d      = '0;
        kx_d      = '0;
        ky_d      = '0;
        cb_d      = '0;
        tap_off_d = '0;
        if (more_folds_o) begin
          m0_d   = m0_q + 32'(Rows);
          nf_e_d = next_e;
          nf_f_d = next_f;
        end
      end
    end
  end

  // Row state loads on the cycle a fold is set up.
  always_comb begin
    rvalid_d = fold_load_o ? rvalid_n : rvalid_q;
    for (int unsigned r = 0; r < Rows; r++) begin
      rowbase_d[r] = fold_load_o ? rowbase_n[r] : rowbase_q[r];
      ybase_d[r]   = fold_load_o ? ybase_n[r] : ybase_q[r];
      xbase_d[r]   = fold_load_o ? xbase_n[r] : xbase_q[r];
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      steps_q   <= '0;
      plane_q   <= '0;
      pixels_q  <= '0;
      last_cb_q <= '0;
      last_cl_q <= '0;
      k_q       <= '0;
      ci_q      <= '0;
      kx_q      <= '0;
      ky_q      <= '0;
      cb_q      <= '0;
      tap_off_q <= '0;
      m0_q      <= '0;
      nf_e_q    <= '0;
      nf_f_q    <= '0;
      rvalid_q  <= '0;
      for (int unsigned r = 0; r < Rows; r++) begin
        rowbase_q[r] <= '0;
        ybase_q[r]   <= '0;
        xbase_q[r]   <= '0;
      end
    end else begin
      steps_q   <= steps_d;
      plane_q   <= plane_d;
      pixels_q  <= pixels_d;
      last_cb_q <= last_cb_d;
      last_cl_q <= last_cl_d;
      k_q       <= k_d;
      ci_q      <= ci_d;
      kx_q      <= kx_d;
      ky_q      <= ky_d;
      cb_q      <= cb_d;
      tap_off_q <= tap_off_d;
      m0_q      <= m0_d;
      nf_e_q    <= nf_e_d;
      nf_f_q    <= nf_f_d;
      rvalid_q  <= rvalid_d;
      for (int unsigned r = 0; r < Rows; r++) begin
        rowbase_q[r] <= rowbase_d[r];
        ybase_q[r]   <= ybase_d[r];
        xbase_q[r]   <= xbase_d[r];
      end
    end
  end

  // The command also carries the fields of the requantizer, the pool and the output buffer.
  logic unused_cmd_fields;
  assign unused_cmd_fields = ^{start_cmd_i, cmd_i};

  `SA_ASSERT(NoStepDuringSetUp, !(first_fold_i && step_i))
  `SA_ASSERT(NoStartDuringSetUp, !(start_i && (first_fold_i || step_i)))
  `SA_ASSERT(ChannelInWord, ci_q < 5'd16)
  `SA_ASSERT_KNOWN(StepKnown, step_i)
  `SA_ASSERT_KNOWN(FoldLoadKnown, fold_load_o)

endmodule
