`include "sa_assert.svh"

// sa_vec: the vector engine. Runs one VECTOR command (docs/isa.md): a pass over 16-channel words
// of the activation buffer into the output buffer, channel block by channel block and output pixel
// by output pixel in raster order, one activation buffer read per cycle. Lane by lane:
//   max pool: the maximum over the window's taps (e*stride + ky + y_off, f*stride + kx + x_off);
//             a tap outside the input takes its cycle but reads nothing and never wins (the
//             running maximum starts at 0, so a window with no tap inside gives 0);
//   avg pool: the sum of the window's codes (every tap inside), then the mean rounded half to
//             even as contract/quant.h's AverageCodesByReciprocal computes it: q = (sum * recip)
//             >> 32, one correction step, the half-to-even rule;
//   add:      two reads per output word, a then b at the same pixel; the exact sum
//             ((a - 128) << a_shift) + ((b - 128) << b_shift), round-shifted by out_shift half
//             away from zero, + 128, clamped (AddRequantize).
// relu: the output code is at least 128.
// Stage 1 walks the taps, reads the buffer and folds each word into a lane register (maximum, sum,
// or add's operand a); the last tap of an output word moves the lanes to stage 2, which finishes
// them (division, requantization, relu) and writes the output buffer the next cycle, while stage 1
// already reads the next word's taps.
// Latency: start_i to the first read 1 cycle; an output word is written 1 cycle after its last
// tap; done_o pulses with the last write. Throughput: one output word per kernel_h * kernel_w
// cycles (pools) or per 2 cycles (add); busy for that times the output words, plus 1 cycle.
module sa_vec #(
  // Buffer sizes in words, for the range assertions only (addresses are 16 bits).
  parameter int unsigned AbufWords = 65536,
  parameter int unsigned ObufWords = 65536
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic                start_i,
  input  sa_pkg::vector_cmd_t cmd_i,
  output logic                busy_o,
  output logic                done_o,
  // Activation buffer read port (sa_top shares port 0 with the array path).
  output logic                abuf_re_o,     // a word is read this cycle (not a padding tap)
  output logic [15:0]         abuf_raddr_o,
  input  logic [127:0]        abuf_rdata_i,
  // Output buffer write port (shared with the array path).
  output logic                obuf_we_o,
  output logic [15:0]         obuf_waddr_o,
  output logic [127:0]        obuf_wdata_o,
  // Events this cycle, for the performance counters and the watchdog.
  output logic [4:0]          ev_vec_ops_o,  // 16 per word read
  output logic [4:0]          ev_requant_o,  // 16 per output word of add or avg
  output logic                step_o         // a tap was processed
);

  localparam int unsigned Lanes = 16;

  `SA_ASSERT_INIT(g_buffers_addressable, AbufWords >= 1 && AbufWords <= 65536 &&
                                          ObufWords >= 1 && ObufWords <= 65536)

  typedef enum logic [1:0] {
    VecIdle  = 2'd0,
    VecRun   = 2'd1,  // one tap per cycle
    VecFlush = 2'd2   // every tap read: the last word is written
  } vec_state_e;

  /* verilator tracing_on */
  vec_state_e          state_q;
  sa_pkg::vector_cmd_t cmd_q;
  /* verilator tracing_off */
  vec_state_e          state_d;
  sa_pkg::vector_cmd_t cmd_d;

  // Stage 1: the tap walk. blk, e, f count channel blocks and output pixels; ky, kx the taps of
  // the window (phase: add's second operand). ybase/xbase are e*stride + y_off and f*stride +
  // x_off, plane_off is blk * in_rows * in_width, oaddr the output word (o_base + output index);
  // the wide ones cannot overflow, so the range assertions see every address as it is.
  logic [15:0]        blk_q, blk_d, e_q, e_d, f_q, f_d;
  logic [7:0]         ky_q, ky_d, kx_q, kx_d;
  logic               phase_q, phase_d;
  logic signed [31:0] ybase_q, ybase_d, xbase_q, xbase_d;
  logic [31:0]        plane_q, plane_d;
  logic [47:0]        plane_off_q, plane_off_d;
  logic [47:0]        oaddr_q, oaddr_d;
  logic [23:0]        lane_q [Lanes];
  logic [23:0]        lane_d [Lanes];

  // Stage 2: an output word's lanes (max: the code; avg: the sum; add: the exact int32 sum).
  logic               res_valid_q, res_valid_d;
  logic [47:0]        res_addr_q, res_addr_d;
  logic signed [31:0] res_q [Lanes];
  logic signed [31:0] res_d [Lanes];

  logic               running;
  logic signed [31:0] tap_y, tap_x;
  logic               tap_in;
  logic [48:0]        raddr_full;
  logic               first_tap, last_tap, last_word;

  // ---------------------------------------------------------------------------------------------
  // Stage 1: the tap of this cycle, its address, and the walk.
  always_comb begin
    logic [15:0] base;
    running    = (state_q == VecRun);
    tap_y      = ybase_q + 32'(ky_q);
    tap_x      = xbase_q + 32'(kx_q);
    tap_in     = (tap_y >= 0) && (tap_y < $signed({16'd0, cmd_q.in_rows})) &&
                 (tap_x >= 0) && (tap_x < $signed({16'd0, cmd_q.in_width}));
    base       = (cmd_q.op == sa_pkg::VecAdd && phase_q) ? cmd_q.b_base : cmd_q.a_base;
    raddr_full = 49'(base) + 49'(plane_off_q) + 49'(tap_y[15:0]) * 49'(cmd_q.in_width) +
                 49'(tap_x[15:0]);
    first_tap  = (ky_q == '0) && (kx_q == '0) && !phase_q;
    last_tap   = (cmd_q.op == sa_pkg::VecAdd) ? phase_q :
                 (ky_q == cmd_q.kernel_h - 8'd1) && (kx_q == cmd_q.kernel_w - 8'd1);
    last_word  = (blk_q == cmd_q.channel_blocks - 16'd1) && (e_q == cmd_q.out_rows - 16'd1) &&
                 (f_q == cmd_q.out_width - 16'd1);
  end

  assign abuf_re_o    = running && tap_in;
  assign abuf_raddr_o = raddr_full[15:0];

  always_comb begin
    state_d     = state_q;
    cmd_d       = cmd_q;
    blk_d       = blk_q;
    e_d         = e_q;
    f_d         = f_q;
    ky_d        = ky_q;
    kx_d        = kx_q;
    phase_d     = phase_q;
    ybase_d     = ybase_q;
    xbase_d     = xbase_q;
    plane_d     = plane_q;
    plane_off_d = plane_off_q;
    oaddr_d     = oaddr_q;
    done_o      = 1'b0;

    unique case (state_q)
      VecIdle: begin
        if (start_i) begin
          state_d     = VecRun;
          cmd_d       = cmd_i;
          blk_d       = '0;
          e_d         = '0;
          f_d         = '0;
          ky_d        = '0;
          kx_d        = '0;
          phase_d     = 1'b0;
          ybase_d     = 32'(cmd_i.y_off);
          xbase_d     = 32'(cmd_i.x_off);
          plane_d     = 32'(cmd_i.in_rows) * 32'(cmd_i.in_width);
          plane_off_d = '0;
          oaddr_d     = 48'(cmd_i.o_base);
        end
      end
      VecRun: begin
        if (!last_tap) begin
          if (cmd_q.op == sa_pkg::VecAdd) begin
            phase_d = 1'b1;
          end else if (kx_q == cmd_q.kernel_w - 8'd1) begin
            kx_d = '0;
            ky_d = ky_q + 8'd1;
          end else begin
            kx_d = kx_q + 8'd1;
          end
        end else begin
          // The output word is complete: on to the next pixel (raster order), the next block.
          ky_d    = '0;
          kx_d    = '0;
          phase_d = 1'b0;
          oaddr_d = oaddr_q + 48'd1;
          if (f_q == cmd_q.out_width - 16'd1) begin
            f_d     = '0;
            xbase_d = 32'(cmd_q.x_off);
            if (e_q == cmd_q.out_rows - 16'd1) begin
              e_d         = '0;
              ybase_d     = 32'(cmd_q.y_off);
              blk_d       = blk_q + 16'd1;
              plane_off_d = plane_off_q + 48'(plane_q);
            end else begin
              e_d     = e_q + 16'd1;
              ybase_d = ybase_q + 32'(cmd_q.stride);
            end
          end else begin
            f_d     = f_q + 16'd1;
            xbase_d = xbase_q + 32'(cmd_q.stride);
          end
          if (last_word) begin
            state_d = VecFlush;
          end
        end
      end
      VecFlush: begin
        // Stage 2 writes the last word this cycle.
        state_d = VecIdle;
        done_o  = 1'b1;
      end
      default: state_d = VecIdle;
    endcase
  end

  // Stage 1 lanes: fold the word read into the running maximum, the sum or add's operand a.
  // The last tap's result goes to stage 2 instead.
  always_comb begin
    logic [7:0]         code;
    logic [23:0]        folded;
    logic signed [31:0] a_term, b_term;
    res_valid_d = running && last_tap;
    res_addr_d  = (running && last_tap) ? oaddr_q : res_addr_q;
    code        = '0;
    folded      = '0;
    a_term      = '0;
    b_term      = '0;
    for (int unsigned l = 0; l < Lanes; l++) begin
      lane_d[l] = lane_q[l];
      res_d[l]  = res_q[l];
    end
    // Idle, the lanes hold (a clock enable: nothing below runs).
    if (running) begin
      for (int unsigned l = 0; l < Lanes; l++) begin
        // A padding tap (max pool only) contributes 0: it never wins.
        code   = tap_in ? abuf_rdata_i[8*l +: 8] : 8'd0;
        folded = 24'(code);
        if (cmd_q.op == sa_pkg::VecMaxPool) begin
          if (!first_tap && lane_q[l] > folded) begin
            folded = lane_q[l];
          end
        end else if (cmd_q.op == sa_pkg::VecAvgPool) begin
          if (!first_tap) begin
            folded = lane_q[l] + 24'(code);
          end
        end
        // add: ((a - 128) << a_shift) + ((b - 128) << b_shift), a from the first tap.
        a_term = 32'($signed({~lane_q[l][7], lane_q[l][6:0]})) <<< cmd_q.a_shift;
        b_term = 32'($signed({~code[7], code[6:0]})) <<< cmd_q.b_shift;
        lane_d[l] = !last_tap ? folded : lane_q[l];
        if (last_tap) begin
          res_d[l] = (cmd_q.op == sa_pkg::VecAdd) ? (a_term + b_term) : $signed({8'd0, folded});
        end
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= VecIdle;
      cmd_q       <= '0;
      blk_q       <= '0;
      e_q         <= '0;
      f_q         <= '0;
      ky_q        <= '0;
      kx_q        <= '0;
      phase_q     <= 1'b0;
      ybase_q     <= '0;
      xbase_q     <= '0;
      plane_q     <= '0;
      plane_off_q <= '0;
      oaddr_q     <= '0;
      res_valid_q <= 1'b0;
      res_addr_q  <= '0;
      for (int unsigned l = 0; l < Lanes; l++) begin
        lane_q[l] <= '0;
        res_q[l]  <= '0;
      end
    end else begin
      state_q     <= state_d;
      cmd_q       <= cmd_d;
      blk_q       <= blk_d;
      e_q         <= e_d;
      f_q         <= f_d;
      ky_q        <= ky_d;
      kx_q        <= kx_d;
      phase_q     <= phase_d;
      ybase_q     <= ybase_d;
      xbase_q     <= xbase_d;
      plane_q     <= plane_d;
      plane_off_q <= plane_off_d;
      oaddr_q     <= oaddr_d;
      res_valid_q <= res_valid_d;
      res_addr_q  <= res_addr_d;
      for (int unsigned l = 0; l < Lanes; l++) begin
        lane_q[l] <= lane_d[l];
        res_q[l]  <= res_d[l];
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Stage 2: finish the lanes and write the word.
  logic [7:0] out_code [Lanes];

  always_comb begin
    logic [15:0]        taps;
    logic [23:0]        sum, q, rem;
    logic [24:0]        rem2;
    logic signed [31:0] shifted;
    logic [31:0]        mask, frac, half;
    logic               round_up;
    logic signed [32:0] rounded;
    logic [7:0]         code;
    taps = 16'(cmd_q.kernel_h) * 16'(cmd_q.kernel_w);
    {sum, q, rem, rem2, shifted, mask, frac, half, round_up, rounded, code} = '0;
    for (int unsigned l = 0; l < Lanes; l++) out_code[l] = '0;
    obuf_wdata_o = '0;
    // The word is written only when a result is ready (obuf_we_o): then only is it formed.
    if (res_valid_q) begin
      for (int unsigned l = 0; l < Lanes; l++) begin
        // avg: q0 = (sum * recip) >> 32 is floor(sum / taps) or one less; one correction, then
        // half to even on the remainder. sum <= 255 * taps keeps q <= 255.
        sum  = res_q[l][23:0];
        q    = 24'((56'(sum) * 56'(cmd_q.recip)) >> 32);
        rem  = sum - 24'(32'(q) * 32'(taps));
        if (rem >= 24'(taps)) begin
          q   = q + 24'd1;
          rem = rem - 24'(taps);
        end
        rem2 = {rem, 1'b0};
        if (rem2 > 25'(taps) || (rem2 == 25'(taps) && q[0])) begin
          q = q + 24'd1;
        end

        // add: round_shift by out_shift, half away from zero, then + 128 and clamp.
        shifted  = res_q[l] >>> cmd_q.out_shift;
        mask     = (32'd1 << cmd_q.out_shift) - 32'd1;
        frac     = res_q[l] & mask;
        half     = (cmd_q.out_shift == 5'd0) ? 32'd0 : (32'd1 << (cmd_q.out_shift - 5'd1));
        round_up = (cmd_q.out_shift != 5'd0) &&
                   ((frac > half) || ((frac == half) && !res_q[l][31]));
        rounded  = {shifted[31], shifted} + {32'd0, round_up};

        unique case (cmd_q.op)
          sa_pkg::VecAvgPool: code = (q > 24'd255) ? 8'd255 : q[7:0];
          sa_pkg::VecAdd: begin
            if (rounded[32:7] == '0 || rounded[32:7] == '1) begin
              code = {~rounded[7], rounded[6:0]};  // + 128
            end else begin
              code = rounded[32] ? 8'h00 : 8'hff;
            end
          end
          default: code = res_q[l][7:0];  // max pool
        endcase
        out_code[l] = (cmd_q.relu && code < 8'd128) ? 8'd128 : code;
        obuf_wdata_o[8*l +: 8] = out_code[l];
      end
    end
  end

  assign obuf_we_o    = res_valid_q;
  assign obuf_waddr_o = res_addr_q[15:0];

  // ---------------------------------------------------------------------------------------------
  // Events.
  always_comb begin
    logic requantizing;
    requantizing = (cmd_q.op == sa_pkg::VecAdd) || (cmd_q.op == sa_pkg::VecAvgPool);
    ev_vec_ops_o = abuf_re_o ? 5'(Lanes) : 5'd0;
    ev_requant_o = (res_valid_q && requantizing) ? 5'(Lanes) : 5'd0;
  end

  assign busy_o = (state_q != VecIdle);
  assign step_o = running;

  // The command as isa::Validate(Vector) accepts it (contract/isa.cc).
  `SA_ASSERT(StartOnlyWhenIdle, start_i |-> state_q == VecIdle)
  `SA_ASSERT(CommandValid, (start_i && state_q == VecIdle) |->
                           (cmd_i.op != 2'd3 && cmd_i.stride != '0 && cmd_i.kernel_h != '0 &&
                            cmd_i.kernel_w != '0 && cmd_i.channel_blocks != '0 &&
                            cmd_i.in_rows != '0 && cmd_i.in_width != '0 &&
                            cmd_i.out_rows != '0 && cmd_i.out_width != '0))
  `SA_ASSERT(AddShapes, (start_i && state_q == VecIdle && cmd_i.op == sa_pkg::VecAdd) |->
                        (cmd_i.kernel_h == 8'd1 && cmd_i.kernel_w == 8'd1 && cmd_i.stride == 8'd1 &&
                         cmd_i.out_rows == cmd_i.in_rows && cmd_i.out_width == cmd_i.in_width &&
                         cmd_i.y_off == '0 && cmd_i.x_off == '0))
  `SA_ASSERT(AvgReciprocal, (start_i && state_q == VecIdle && cmd_i.op == sa_pkg::VecAvgPool) |->
                            (cmd_i.recip == 32'hffffffff /
                                            (32'(cmd_i.kernel_h) * 32'(cmd_i.kernel_w))))
  // Every tap of an average is inside the input; every read and write is inside its buffer.
  `SA_ASSERT(AvgTapsInside, (running && cmd_q.op == sa_pkg::VecAvgPool) |-> tap_in)
  `SA_ASSERT(ReadInRange, abuf_re_o |-> raddr_full < 49'(AbufWords))
  `SA_ASSERT(WriteInRange, obuf_we_o |-> res_addr_q < 48'(ObufWords))
  `SA_ASSERT_KNOWN(StateKnown, state_q)
  `SA_ASSERT_KNOWN(StartKnown, start_i)
  `SA_ASSERT_KNOWN(WriteKnown, obuf_we_o)

endmodule
