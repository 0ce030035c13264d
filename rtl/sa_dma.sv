`include "sa_assert.svh"

// sa_dma: the DMA engine. Runs one job at a time: a 2-D LOAD (DRAM -> activation or weight
// buffer), a 2-D STORE (output buffer -> DRAM) or a command FETCH (DRAM -> controller).
// A job is `rows` rows of `row_words` 16-byte words; DRAM rows are dram_stride bytes apart and
// buffer rows sram_stride words apart. Rows are cut into bursts of at most MaxBurst beats.
// Read bursts are issued back to back (many outstanding) and their data, which returns in order,
// is written to the buffer as it arrives; write bursts send their data after the address.
// Latency: a job is taken on the cycle job_valid_i is high while job_ready_o is (idle); read
// requests start the next cycle. job_done_o pulses one cycle after the last read beat arrived
// or the last write response did, and the engine is idle (ready) from the cycle after.
module sa_dma #(
  parameter int unsigned MaxBurst = 64
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  // Job interface (from the controller).
  input  logic             job_valid_i,
  output logic             job_ready_o,
  input  sa_pkg::dma_job_t job_i,
  output logic             job_done_o,
  output logic             busy_load_o,
  output logic             busy_store_o,    // a STORE (or a SNAPSHOT, buffer BufCounters)
  output logic             busy_fetch_o,
  // Buffer write port (LOAD).
  output logic             buf_we_o,
  output sa_pkg::buffer_e  buf_sel_o,       // the job's buffer, for every job type
  output logic [15:0]      buf_waddr_o,
  output logic [127:0]     buf_wdata_o,
  // Output buffer (or counter snapshot) read port (STORE).
  output logic             obuf_re_o,
  output logic [15:0]      obuf_raddr_o,
  input  logic [127:0]     obuf_rdata_i,
  // Command beats (FETCH).
  output logic             cmd_beat_valid_o,
  output logic [127:0]     cmd_beat_o,
  // DRAM read channel.
  output logic             rd_req_valid_o,
  input  logic             rd_req_ready_i,
  output logic [31:0]      rd_req_addr_o,
  output logic [15:0]      rd_req_beats_o,
  input  logic             rd_data_valid_i,
  input  logic [127:0]     rd_data_i,
  // DRAM write channel.
  output logic             wr_req_valid_o,
  input  logic             wr_req_ready_i,
  output logic [31:0]      wr_req_addr_o,
  output logic [15:0]      wr_req_beats_o,
  output logic             wr_data_valid_o,
  input  logic             wr_data_ready_i,
  output logic [127:0]     wr_data_o,
  input  logic             wr_resp_valid_i
);

  typedef enum logic [1:0] {
    DmaIdle  = 2'd0,
    DmaLoad  = 2'd1,
    DmaStore = 2'd2,
    DmaFetch = 2'd3
  } dma_state_e;

  dma_state_e state_q, state_d;

  `SA_ASSERT_INIT(g_max_burst_range, MaxBurst >= 1 && MaxBurst <= 65535)

  // Job registers.
  sa_pkg::buffer_e buf_q, buf_d;
  logic [31:0] dram_stride_q, dram_stride_d;
  logic [15:0] sram_stride_q, sram_stride_d;
  logic [15:0] row_words_q, row_words_d;
  logic [15:0] rows_q, rows_d;

  // Request side: which row and word the next burst starts at.
  logic [15:0] req_row_q, req_row_d;
  logic [15:0] req_word_q, req_word_d;
  logic [31:0] req_row_addr_q, req_row_addr_d;  // DRAM address of word 0 of req_row
  logic [15:0] bursts_q, bursts_d;              // bursts issued (write responses expected)

  // Data side: which row and word the next beat belongs to.
  logic [15:0] dat_row_q, dat_row_d;
  logic [15:0] dat_word_q, dat_word_d;
  logic [15:0] dat_row_sram_q, dat_row_sram_d;  // buffer address of word 0 of dat_row
  logic [31:0] beats_left_q, beats_left_d;      // data beats still to move
  logic [31:0] w_credit_q, w_credit_d;          // write beats whose address has been issued
  logic [15:0] resp_q, resp_d;                  // write responses received

  logic        req_active;
  logic [15:0] burst_beats;
  logic [15:0] words_left_in_row;
  logic        req_fire;
  logic        beat_fire;
  logic        data_done;
  logic        reqs_done;
  logic [15:0] dat_sram_addr;

  always_comb begin
    words_left_in_row = row_words_q - req_word_q;
    burst_beats       = (words_left_in_row > 16'(MaxBurst)) ? 16'(MaxBurst) : words_left_in_row;
    req_active        = (state_q != DmaIdle) && (req_row_q != rows_q);
    reqs_done         = (req_row_q == rows_q);
    dat_sram_addr     = dat_row_sram_q + dat_word_q;
    data_done         = (beats_left_q == 32'd0);
  end

  // Port outputs.
  always_comb begin
    rd_req_valid_o = req_active && (state_q != DmaStore);
    wr_req_valid_o = req_active && (state_q == DmaStore);
    rd_req_addr_o  = req_row_addr_q + {12'd0, req_word_q, 4'd0};
    wr_req_addr_o  = rd_req_addr_o;
    rd_req_beats_o = burst_beats;
    wr_req_beats_o = burst_beats;
    req_fire       = (rd_req_valid_o && rd_req_ready_i) || (wr_req_valid_o && wr_req_ready_i);

    // LOAD / FETCH data arrives on the read channel; STORE data leaves on the write channel.
    buf_we_o         = (state_q == DmaLoad) && rd_data_valid_i;
    buf_sel_o        = buf_q;
    buf_waddr_o      = dat_sram_addr;
    buf_wdata_o      = rd_data_i;
    cmd_beat_valid_o = (state_q == DmaFetch) && rd_data_valid_i;
    cmd_beat_o       = rd_data_i;

    wr_data_valid_o = (state_q == DmaStore) && (w_credit_q != 32'd0);
    obuf_raddr_o    = dat_sram_addr;
    obuf_re_o       = wr_data_valid_o && wr_data_ready_i;
    wr_data_o       = obuf_rdata_i;

    beat_fire = ((state_q == DmaLoad || state_q == DmaFetch) && rd_data_valid_i) ||
                (wr_data_valid_o && wr_data_ready_i);
  end

  always_comb begin
    state_d        = state_q;
    buf_d          = buf_q;
    dram_stride_d  = dram_stride_q;
    sram_stride_d  = sram_stride_q;
    row_words_d    = row_words_q;
    rows_d         = rows_q;
    req_row_d      = req_row_q;
    req_word_d     = req_word_q;
    req_row_addr_d = req_row_addr_q;
    bursts_d       = bursts_q;
    dat_row_d      = dat_row_q;
    dat_word_d     = dat_word_q;
    dat_row_sram_d = dat_row_sram_q;
    beats_left_d   = beats_left_q;
    w_credit_d     = w_credit_q;
    resp_d         = resp_q;
    job_done_o     = 1'b0;

    if (state_q == DmaIdle) begin
      if (job_valid_i) begin
        unique case (job_i.op)
          sa_pkg::DmaOpStore: state_d = DmaStore;
          sa_pkg::DmaOpFetch: state_d = DmaFetch;
          default:            state_d = DmaLoad;
        endcase
        buf_d          = job_i.buffer;
        dram_stride_d  = job_i.dram_stride;
        sram_stride_d  = job_i.sram_stride;
        row_words_d    = job_i.row_words;
        rows_d         = job_i.rows;
        req_row_d      = '0;
        req_word_d     = '0;
        req_row_addr_d = job_i.dram_addr;
        bursts_d       = '0;
        dat_row_d      = '0;
        dat_word_d     = '0;
        dat_row_sram_d = job_i.sram_addr;
        beats_left_d   = 32'(job_i.row_words) * 32'(job_i.rows);
        w_credit_d     = '0;
        resp_d         = '0;
      end
    end else begin
      if (req_fire) begin
        bursts_d = bursts_q + 16'd1;
        if (req_word_q + burst_beats == row_words_q) begin
          req_row_d      = req_row_q + 16'd1;
          req_word_d     = '0;
          req_row_addr_d = req_row_addr_q + dram_stride_q;
        end else begin
          req_word_d = req_word_q + burst_beats;
        end
      end
      if (wr_req_valid_o && wr_req_ready_i) begin
        w_credit_d = w_credit_d + 32'(burst_beats);
      end
      if (beat_fire) begin
        beats_left_d = beats_left_q - 32'd1;
        if (state_q == DmaStore) begin
          w_credit_d = w_credit_d - 32'd1;
        end
        if (dat_word_q + 16'd1 == row_words_q) begin
          dat_row_d      = dat_row_q + 16'd1;
          dat_word_d     = '0;
          dat_row_sram_d = dat_row_sram_q + sram_stride_q;
        end else begin
          dat_word_d = dat_word_q + 16'd1;
        end
      end
      if (wr_resp_valid_i) begin
        resp_d = resp_q + 16'd1;
      end
      // Done: every beat moved and, for a store, every burst acknowledged.
      if (reqs_done && data_done &&
          (state_q != DmaStore || resp_q == bursts_q)) begin
        state_d    = DmaIdle;
        job_done_o = 1'b1;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q        <= DmaIdle;
      buf_q          <= sa_pkg::BufAct;
      dram_stride_q  <= '0;
      sram_stride_q  <= '0;
      row_words_q    <= '0;
      rows_q         <= '0;
      req_row_q      <= '0;
      req_word_q     <= '0;
      req_row_addr_q <= '0;
      bursts_q       <= '0;
      dat_row_q      <= '0;
      dat_word_q     <= '0;
      dat_row_sram_q <= '0;
      beats_left_q   <= '0;
      w_credit_q     <= '0;
      resp_q         <= '0;
    end else begin
      state_q        <= state_d;
      buf_q          <= buf_d;
      dram_stride_q  <= dram_stride_d;
      sram_stride_q  <= sram_stride_d;
      row_words_q    <= row_words_d;
      rows_q         <= rows_d;
      req_row_q      <= req_row_d;
      req_word_q     <= req_word_d;
      req_row_addr_q <= req_row_addr_d;
      bursts_q       <= bursts_d;
      dat_row_q      <= dat_row_d;
      dat_word_q     <= dat_word_d;
      dat_row_sram_q <= dat_row_sram_d;
      beats_left_q   <= beats_left_d;
      w_credit_q     <= w_credit_d;
      resp_q         <= resp_d;
    end
  end

  assign job_ready_o  = (state_q == DmaIdle);
  assign busy_load_o  = (state_q == DmaLoad);
  assign busy_store_o = (state_q == DmaStore);
  assign busy_fetch_o = (state_q == DmaFetch);

  `SA_ASSERT(NoJobWhileBusy, job_valid_i |-> state_q == DmaIdle)
  `SA_ASSERT(NoStrayReadData,
             rd_data_valid_i |-> (state_q == DmaLoad || state_q == DmaFetch) && !data_done)
  `SA_ASSERT(NoStrayWriteResponse, wr_resp_valid_i |-> state_q == DmaStore && resp_q != bursts_q)
  `SA_ASSERT_KNOWN(JobValidKnown, job_valid_i)
  `SA_ASSERT_KNOWN(StateKnown, state_q)
  `SA_ASSERT_KNOWN(ReadDataValidKnown, rd_data_valid_i)
  `SA_ASSERT_KNOWN(WriteResponseKnown, wr_resp_valid_i)

endmodule
