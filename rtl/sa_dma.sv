`include "sa_assert.svh"

// sa_dma: the DMA engine. Runs 2-D LOADs (DRAM -> activation or weight buffer), 2-D STOREs
// (output buffer or counter snapshot -> DRAM) and command FETCHes (DRAM -> controller), in order,
// with up to two jobs in flight: the next job's requests go out while the previous job's data
// still arrives (or its write responses are awaited), so the DRAM latency is paid once per run
// of jobs, not once per job. A LOAD behind a STORE holds its requests until the STORE has
// completed, so that it reads what the STORE wrote (a FETCH reads commands, which no STORE
// writes, and is not held).
// A job is `rows` rows of `row_words` 16-byte words; DRAM rows are dram_stride bytes apart and
// buffer rows sram_stride words apart. Rows are cut into bursts of at most MaxBurst beats. A
// LOAD's or STORE's beats carry BeatWords words each (the DRAM bus is BeatWords x 16 bytes
// wide; a row's last beat may carry fewer, and the buffers take that many words a cycle at
// consecutive addresses); a FETCH's and a counter SNAPSHOT's carry one (the request says which:
// *_req_wide_o). Requests give the burst's length in words.
// Read bursts are issued back to back (many outstanding) and their data, which returns in order,
// is written to the buffer as it arrives; write bursts send their data after the address.
// Three parts: the request side issues the newest job's bursts; the read and the write data
// sides each move the beats of the oldest job in flight of their direction (slot 0 is the
// oldest, slot 1 the one behind it), so a FETCH's data can arrive while a STORE's leaves.
// job_ready_o is high when the request side has issued every burst and slot 1 is free; requests
// of a job taken start the next cycle.
// job_done_o pulses on the cycle of a job's last read beat, or of its last write response, and
// done_fetch_o says that job was a FETCH. idle_o: no job in flight.
module sa_dma #(
  parameter int unsigned MaxBurst  = 64,
  parameter int unsigned BeatWords = 1
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  // Job interface (from the controller).
  input  logic             job_valid_i,
  output logic             job_ready_o,
  input  sa_pkg::dma_job_t job_i,
  output logic             job_done_o,
  output logic             done_fetch_o,
  output logic             idle_o,
  output logic             fetch_inflight_o,  // a FETCH in either slot
  output logic             busy_load_o,       // the data side's job (slot 0) is a LOAD
  output logic             busy_store_o,      // a STORE (or a SNAPSHOT, buffer BufCounters)
  // Buffer write ports (LOAD): word i of the beat to buf_waddr_o + i where buf_we_o[i].
  output logic [BeatWords-1:0]     buf_we_o,
  output sa_pkg::buffer_e          buf_sel_o,  // the buffer of the job the read data is for
  output logic [15:0]              buf_waddr_o,
  output logic [BeatWords*128-1:0] buf_wdata_o,
  // Output buffer (or counter snapshot) read ports (STORE): words obuf_raddr_o + i, of which
  // obuf_re_o are taken (a counter snapshot: word 0 only).
  output logic [BeatWords-1:0]     obuf_re_o,
  output logic [15:0]              obuf_raddr_o,
  output sa_pkg::buffer_e          store_buf_o,  // the STORE's source: output buffer or counters
  input  logic [BeatWords*128-1:0] obuf_rdata_i,
  // Command beats (FETCH).
  output logic             cmd_beat_valid_o,
  output logic [127:0]     cmd_beat_o,
  // DRAM read channel.
  output logic             rd_req_valid_o,
  input  logic             rd_req_ready_i,
  output logic [31:0]      rd_req_addr_o,
  output logic [15:0]      rd_req_words_o,
  output logic             rd_req_wide_o,
  input  logic             rd_data_valid_i,
  input  logic [BeatWords*128-1:0] rd_data_i,
  // DRAM write channel.
  output logic             wr_req_valid_o,
  input  logic             wr_req_ready_i,
  output logic [31:0]      wr_req_addr_o,
  output logic [15:0]      wr_req_words_o,
  output logic             wr_req_wide_o,
  output logic             wr_data_valid_o,
  input  logic             wr_data_ready_i,
  output logic [BeatWords*128-1:0] wr_data_o,
  input  logic             wr_resp_valid_i
);

  // What a slot holds (DmaIdle: nothing); state_q is slot 0's, next_state_q slot 1's.
  typedef enum logic [1:0] {
    DmaIdle  = 2'd0,
    DmaLoad  = 2'd1,
    DmaStore = 2'd2,
    DmaFetch = 2'd3
  } dma_state_e;

  `SA_ASSERT_INIT(g_max_burst_range, MaxBurst >= 1 && MaxBurst * BeatWords <= 65535)
  `SA_ASSERT_INIT(g_beat_words, BeatWords >= 1 && BeatWords <= 4)

  // Slot 0 is the oldest job in flight, slot 1 the one behind it.
  dma_state_e state_q, state_d, next_state_q, next_state_d;
  sa_pkg::dma_slot_t      slot_q, slot_d, next_slot_q, next_slot_d;

  // Request side: the newest job; which row and word its next burst starts at.
  sa_pkg::dma_op_e req_op_q, req_op_d;
  logic [31:0] req_dram_stride_q, req_dram_stride_d;
  logic [15:0] req_row_words_q, req_row_words_d;
  logic [15:0] req_rows_q, req_rows_d;
  logic [15:0] req_row_q, req_row_d;
  logic [15:0] req_word_q, req_word_d;
  logic [31:0] req_row_addr_q, req_row_addr_d;  // DRAM address of word 0 of req_row
  logic [31:0] w_credit_q, w_credit_d;          // write beats whose address has been issued
  logic        req_wide_q, req_wide_d;          // the job's beats carry BeatWords words

  logic        reqs_done;    // the request side has issued every burst of its job
  logic        req_hold;     // its job is a LOAD behind a STORE that has not completed
  logic        req_active;
  logic        req_in_next;  // the request side's job is slot 1
  logic [15:0] burst_words, burst_beats, max_burst_words;
  logic [15:0] words_left_in_row;
  logic        req_fire;
  logic        take;
  // Which slot the read data (LOAD, FETCH) and the write data (STORE) belong to: the oldest of
  // that direction with beats left. Write responses likewise.
  logic        rd_next, wr_next, resp_next;
  sa_pkg::dma_slot_t       rd_slot, wr_slot;
  logic        rd_fire, wr_fire;
  logic [15:0] rd_n, wr_n;  // words in this cycle's read beat, write beat
  logic        slot0_done, slot0_free;

  function automatic dma_state_e StateOf(sa_pkg::dma_op_e op);
    unique case (op)
      sa_pkg::DmaOpStore: StateOf = DmaStore;
      sa_pkg::DmaOpFetch: StateOf = DmaFetch;
      default:            StateOf = DmaLoad;
    endcase
  endfunction

  // A job as it enters a slot.
  sa_pkg::dma_slot_t job_slot;
  always_comb begin
    job_slot.buffer      = job_i.buffer;
    job_slot.row_words   = job_i.row_words;
    job_slot.sram_stride = job_i.sram_stride;
    job_slot.word        = '0;
    job_slot.row_sram    = job_i.sram_addr;
    job_slot.wide        = (job_i.op == sa_pkg::DmaOpLoad) ||
                           (job_i.op == sa_pkg::DmaOpStore && job_i.buffer != sa_pkg::BufCounters);
    job_slot.beats_left  = 32'(job_i.row_words) * 32'(job_i.rows);
    job_slot.bursts      = '0;
    job_slot.resp        = '0;
  end

  always_comb begin
    words_left_in_row = req_row_words_q - req_word_q;
    max_burst_words   = req_wide_q ? 16'(MaxBurst * BeatWords) : 16'(MaxBurst);
    burst_words       = (words_left_in_row > max_burst_words) ? max_burst_words :
                                                                words_left_in_row;
    // Bursts start at multiples of the longest burst in a row, so beats never straddle one.
    burst_beats       = req_wide_q ? (burst_words + 16'(BeatWords - 1)) / 16'(BeatWords) :
                                     burst_words;
    reqs_done         = (req_row_q == req_rows_q);
    req_in_next       = (next_state_q != DmaIdle);
    req_hold          = req_in_next && (state_q == DmaStore) && (req_op_q == sa_pkg::DmaOpLoad);
    req_active        = !reqs_done && !req_hold;
    take              = job_valid_i && job_ready_o;

    rd_next   = !((state_q == DmaLoad || state_q == DmaFetch) && slot_q.beats_left != 32'd0);
    wr_next   = !(state_q == DmaStore && slot_q.beats_left != 32'd0);
    resp_next = !(state_q == DmaStore && slot_q.resp != slot_q.bursts);
    rd_slot   = rd_next ? next_slot_q : slot_q;
    wr_slot   = wr_next ? next_slot_q : slot_q;
  end

  // Port outputs.
  always_comb begin
    rd_req_valid_o = req_active && (req_op_q != sa_pkg::DmaOpStore);
    wr_req_valid_o = req_active && (req_op_q == sa_pkg::DmaOpStore);
    rd_req_addr_o  = req_row_addr_q + {12'd0, req_word_q, 4'd0};
    wr_req_addr_o  = rd_req_addr_o;
    rd_req_words_o = burst_words;
    wr_req_words_o = burst_words;
    rd_req_wide_o  = req_wide_q;
    wr_req_wide_o  = req_wide_q;
    req_fire       = (rd_req_valid_o && rd_req_ready_i) || (wr_req_valid_o && wr_req_ready_i);

    // LOAD / FETCH data arrives on the read channel; STORE data leaves on the write channel. A
    // beat carries the rest of its row, up to BeatWords words (one when not wide).
    rd_n = (rd_slot.wide && 16'(BeatWords) < rd_slot.row_words - rd_slot.word) ?
           16'(BeatWords) : (rd_slot.wide ? rd_slot.row_words - rd_slot.word : 16'd1);
    wr_n = (wr_slot.wide && 16'(BeatWords) < wr_slot.row_words - wr_slot.word) ?
           16'(BeatWords) : (wr_slot.wide ? wr_slot.row_words - wr_slot.word : 16'd1);
    rd_fire          = rd_data_valid_i;
    for (int unsigned i = 0; i < BeatWords; i++) begin
      buf_we_o[i] = rd_data_valid_i && ((rd_next ? next_state_q : state_q) == DmaLoad) &&
                    (16'(i) < rd_n);
    end
    buf_sel_o        = rd_slot.buffer;
    buf_waddr_o      = rd_slot.row_sram + rd_slot.word;
    buf_wdata_o      = rd_data_i;
    cmd_beat_valid_o = rd_data_valid_i && ((rd_next ? next_state_q : state_q) == DmaFetch);
    cmd_beat_o       = rd_data_i[127:0];

    wr_data_valid_o = ((wr_next ? next_state_q : state_q) == DmaStore) &&
                      wr_slot.beats_left != 32'd0 && w_credit_q != 32'd0;
    store_buf_o     = wr_slot.buffer;
    obuf_raddr_o    = wr_slot.row_sram + wr_slot.word;
    for (int unsigned i = 0; i < BeatWords; i++) begin
      obuf_re_o[i] = wr_data_valid_o && wr_data_ready_i && (16'(i) < wr_n);
    end
    wr_data_o       = obuf_rdata_i;
    wr_fire         = wr_data_valid_o && wr_data_ready_i;
  end

  // Request side.
  always_comb begin
    req_op_d          = req_op_q;
    req_dram_stride_d = req_dram_stride_q;
    req_row_words_d   = req_row_words_q;
    req_rows_d        = req_rows_q;
    req_row_d         = req_row_q;
    req_word_d        = req_word_q;
    req_row_addr_d    = req_row_addr_q;
    req_wide_d        = req_wide_q;
    w_credit_d        = w_credit_q - (wr_fire ? 32'd1 : 32'd0);
    if (wr_req_valid_o && wr_req_ready_i) begin
      w_credit_d = w_credit_d + 32'(burst_beats);
    end
    if (take) begin
      req_op_d          = job_i.op;
      req_wide_d        = job_slot.wide;
      req_dram_stride_d = job_i.dram_stride;
      req_row_words_d   = job_i.row_words;
      // A job without words has no bursts: nothing to request.
      req_rows_d        = (job_i.row_words == 16'd0) ? 16'd0 : job_i.rows;
      req_row_d         = '0;
      req_word_d        = '0;
      req_row_addr_d    = job_i.dram_addr;
    end else if (req_fire) begin
      if (req_word_q + burst_words == req_row_words_q) begin
        req_row_d      = req_row_q + 16'd1;
        req_word_d     = '0;
        req_row_addr_d = req_row_addr_q + req_dram_stride_q;
      end else begin
        req_word_d = req_word_q + burst_words;
      end
    end
  end

  // Slots: progress of this cycle, then completion of slot 0 (in order), then a job taken.
  sa_pkg::dma_slot_t now0, now1;  // the slots after this cycle's requests, beats, responses
  logic [15:0] slot_n, next_n;     // words slot 0, slot 1 moved this cycle
  always_comb begin
    now0 = slot_q;
    now1 = next_slot_q;
    slot_n = '0;
    next_n = '0;
    if (req_fire) begin
      if (req_in_next) now1.bursts = next_slot_q.bursts + 16'd1;
      else             now0.bursts = slot_q.bursts + 16'd1;
    end
    // A slot moves at most one beat a cycle: it is either a read or a write job.
    if ((rd_fire && !rd_next) || (wr_fire && !wr_next)) begin
      slot_n          = (rd_fire && !rd_next) ? rd_n : wr_n;
      now0.beats_left = slot_q.beats_left - 32'(slot_n);
      now0.word       = (slot_q.word + slot_n == slot_q.row_words) ? '0 : slot_q.word + slot_n;
      now0.row_sram   = (slot_q.word + slot_n == slot_q.row_words) ?
                        slot_q.row_sram + slot_q.sram_stride : slot_q.row_sram;
    end
    if ((rd_fire && rd_next) || (wr_fire && wr_next)) begin
      next_n          = (rd_fire && rd_next) ? rd_n : wr_n;
      now1.beats_left = next_slot_q.beats_left - 32'(next_n);
      now1.word       = (next_slot_q.word + next_n == next_slot_q.row_words) ?
                        '0 : next_slot_q.word + next_n;
      now1.row_sram   = (next_slot_q.word + next_n == next_slot_q.row_words) ?
                        next_slot_q.row_sram + next_slot_q.sram_stride : next_slot_q.row_sram;
    end
    if (wr_resp_valid_i) begin
      if (resp_next) now1.resp = now1.resp + 16'd1;
      else           now0.resp = now0.resp + 16'd1;
    end

    // Slot 0 completes once every burst is issued (always so when slot 1 is occupied), every
    // beat moved and, for a STORE, every burst acknowledged.
    slot0_done = (state_q != DmaIdle) && (req_in_next || reqs_done) &&
                 now0.beats_left == 32'd0 && (state_q != DmaStore || now0.resp == now0.bursts);
    slot0_free = (state_q == DmaIdle) || slot0_done;
    job_done_o   = slot0_done;
    done_fetch_o = slot0_done && (state_q == DmaFetch);

    state_d      = state_q;
    slot_d       = now0;
    next_state_d = next_state_q;
    next_slot_d  = now1;
    if (slot0_free) begin
      if (next_state_q != DmaIdle) begin
        // Slot 1 moves up (no job is taken: slot 1 was occupied).
        state_d      = next_state_q;
        slot_d       = now1;
        next_state_d = DmaIdle;
      end else if (take) begin
        state_d = StateOf(job_i.op);
        slot_d  = job_slot;
      end else begin
        state_d = DmaIdle;
      end
    end else if (take) begin
      next_state_d = StateOf(job_i.op);
      next_slot_d  = job_slot;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q           <= DmaIdle;
      slot_q            <= '0;
      next_state_q      <= DmaIdle;
      next_slot_q       <= '0;
      req_op_q          <= sa_pkg::DmaOpLoad;
      req_dram_stride_q <= '0;
      req_row_words_q   <= '0;
      req_rows_q        <= '0;
      req_row_q         <= '0;
      req_word_q        <= '0;
      req_row_addr_q    <= '0;
      w_credit_q        <= '0;
      req_wide_q        <= 1'b0;
    end else begin
      state_q           <= state_d;
      slot_q            <= slot_d;
      next_state_q      <= next_state_d;
      next_slot_q       <= next_slot_d;
      req_op_q          <= req_op_d;
      req_dram_stride_q <= req_dram_stride_d;
      req_row_words_q   <= req_row_words_d;
      req_rows_q        <= req_rows_d;
      req_row_q         <= req_row_d;
      req_word_q        <= req_word_d;
      req_row_addr_q    <= req_row_addr_d;
      w_credit_q        <= w_credit_d;
      req_wide_q        <= req_wide_d;
    end
  end

  // Fields of the data sides' views that only the slots' own updates use.
  logic unused_view_fields;
  assign unused_view_fields = ^{rd_slot.row_words, rd_slot.sram_stride, rd_slot.bursts,
                                rd_slot.resp, wr_slot.row_words, wr_slot.sram_stride,
                                wr_slot.bursts, wr_slot.resp};

  // From registers only (the queue's valid depends on it).
  assign job_ready_o      = (req_row_q == req_rows_q) && (next_state_q == DmaIdle);
  assign idle_o           = (state_q == DmaIdle);
  assign fetch_inflight_o = (state_q == DmaFetch) || (next_state_q == DmaFetch);
  assign busy_load_o      = (state_q == DmaLoad);
  assign busy_store_o     = (state_q == DmaStore);

  `SA_ASSERT(NoJobWhileBusy, job_valid_i |-> job_ready_o)
  `SA_ASSERT(NoStrayReadData,
             rd_data_valid_i |-> ((rd_next ? next_state_q : state_q) == DmaLoad ||
                                  (rd_next ? next_state_q : state_q) == DmaFetch) &&
                                 rd_slot.beats_left != 32'd0)
  `SA_ASSERT(NoStrayWriteResponse,
             wr_resp_valid_i |-> (resp_next ? next_state_q : state_q) == DmaStore &&
                                 (resp_next ? next_slot_q.resp != next_slot_q.bursts
                                            : slot_q.resp != slot_q.bursts))
  `SA_ASSERT(SlotsInOrder, next_state_q != DmaIdle |-> state_q != DmaIdle)
  `SA_ASSERT_KNOWN(JobValidKnown, job_valid_i)
  `SA_ASSERT_KNOWN(StateKnown, state_q)
  `SA_ASSERT_KNOWN(NextStateKnown, next_state_q)
  `SA_ASSERT_KNOWN(ReadDataValidKnown, rd_data_valid_i)
  `SA_ASSERT_KNOWN(WriteResponseKnown, wr_resp_valid_i)

endmodule
