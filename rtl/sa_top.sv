`include "sa_assert.svh"

// sa_top: the sasim accelerator. sa_csr holds the CSRs and performance counters, sa_ctrl fetches
// the command stream from DRAM and dispatches it, a DMA engine (sa_dma) moves tiles between DRAM
// and three on-chip buffers (sa_sram), and the compute engine (sa_compute, with sa_im2col) runs
// conv/linear tiles on a Rows x Cols systolic array (sa_array of sa_pe, sa_requant) with im2col
// address generation, requantization and max-pool (sa_pool). The compute engine also holds the
// vector unit (sa_vec: pooling and element-wise VECTOR commands), which runs instead of the array
// path and shares its activation buffer read port 0 and its output buffer write port. DMA and
// compute run concurrently, so with the buffers split in halves by the compiler, loading the next
// tile overlaps computing this one.
// Ports: an MMIO slave for the CSRs, a burst master to DRAM (valid/ready requests with the
// burst's length in 16-byte words; data beats of up to BeatWords words, one word for command
// fetches and counter snapshots), an interrupt, and a debug view of the controller for the
// platform's watchdog.
// Latency: see the blocks; CSR reads are combinational, CSR writes take effect on the edge.
module sa_top #(
  parameter int unsigned Rows      = 16,
  parameter int unsigned Cols      = 16,  // 4, 8, or a multiple of 16 up to 128
  parameter int unsigned BeatWords = 1,   // DRAM bus: 16-byte words a beat (1..4)
  parameter int unsigned AbufWords = 4096,
  parameter int unsigned WbufWords = 8192,
  parameter int unsigned ObufWords = 2048
) (
  input  logic         clk_i,
  input  logic         rst_ni,
  // MMIO slave.
  input  logic         csr_valid_i,
  input  logic         csr_write_i,
  input  logic [11:0]  csr_addr_i,
  input  logic [31:0]  csr_wdata_i,
  output logic [31:0]  csr_rdata_o,
  output logic         irq_o,
  // DRAM master: read channel.
  output logic         rd_req_valid_o,
  input  logic         rd_req_ready_i,
  output logic [31:0]  rd_req_addr_o,
  output logic [15:0]  rd_req_words_o,
  output logic         rd_req_wide_o,
  input  logic         rd_data_valid_i,
  input  logic [BeatWords*128-1:0] rd_data_i,
  // DRAM master: write channel.
  output logic         wr_req_valid_o,
  input  logic         wr_req_ready_i,
  output logic [31:0]  wr_req_addr_o,
  output logic [15:0]  wr_req_words_o,
  output logic         wr_req_wide_o,
  output logic         wr_data_valid_o,
  input  logic         wr_data_ready_i,
  output logic [BeatWords*128-1:0] wr_data_o,
  input  logic         wr_resp_valid_i,
  // Debug view.
  output logic [2:0]   dbg_state_o,
  output logic [31:0]  dbg_cmd_index_o,
  output logic [7:0]   dbg_opcode_o,
  output logic         dbg_progress_o
);

  // Output words a drained row writes (a narrow array, Cols 4 or 8: lanes of one word).
  localparam int unsigned ColWords  = (Cols < 16) ? 1 : Cols / 16;
  localparam int unsigned WbufPorts = 5 * ColWords;
  localparam int unsigned AbufAw = $clog2(AbufWords);
  localparam int unsigned WbufAw = $clog2(WbufWords);
  localparam int unsigned ObufAw = $clog2(ObufWords);

  `SA_ASSERT_INIT(g_rows_multiple_of_4, Rows >= 4 && Rows <= 255 && Rows % 4 == 0)
  `SA_ASSERT_INIT(g_cols_words, Cols == 4 || Cols == 8 || (Cols >= 16 && Cols <= 128 &&
                                                          Cols % 16 == 0))
  `SA_ASSERT_INIT(g_buffers_addressable, AbufWords >= 2 && AbufWords <= 65536 &&
                                          WbufWords >= 2 && WbufWords <= 65536 &&
                                          ObufWords >= 2 && ObufWords <= 65536)

  // Internal nets are traced inside the blocks that own them (sa_ctrl, sa_dma, sa_compute).
  /* verilator tracing_off */
  // CSRs <-> controller.
  logic                 start, running, run_end, run_error, snap_take, cmd_pop;
  logic [31:0]          cmd_base;
  sa_pkg::ctrl_state_e  ctrl_state;
  logic [127:0]         snap_beat;
  sa_pkg::perf_events_t events;

  // Controller <-> DMA.
  logic                 job_valid, job_ready, job_done;
  sa_pkg::dma_job_t     job;
  logic                 busy_load, busy_store;
  logic                 done_fetch, dma_idle, fetch_inflight;
  logic                 ctrl_job_valid, fetch_ready, push_ready, queue_empty;
  sa_pkg::dma_job_t     ctrl_job;
  logic                 cmd_beat_valid;
  logic [127:0]         cmd_beat;

  // DMA <-> buffers.
  logic [BeatWords-1:0]     buf_we;
  sa_pkg::buffer_e          buf_sel, store_buf;
  logic [15:0]              buf_waddr;
  logic [BeatWords*128-1:0] buf_wdata;
  logic [BeatWords-1:0]     obuf_re;
  logic [15:0]              obuf_dma_raddr;
  logic [BeatWords*128-1:0] obuf_dma_rdata, dma_store_rdata;
  logic [BeatWords-1:0]     abuf_we, wbuf_we;
  // A beat's words go to consecutive buffer addresses (write and read ports i).
  logic [BeatWords*AbufAw-1:0] abuf_waddr_t;
  logic [BeatWords*WbufAw-1:0] wbuf_waddr_t;
  logic [BeatWords*ObufAw-1:0] obuf_raddr_t;

  // Compute engine (array path and vector unit) <-> controller and buffers.
  logic                 comp_start, comp_busy, comp_done, arr_ready;
  logic                 arr_busy, arr_done;  // the array path (sa_compute)
  sa_pkg::compute_cmd_t comp_cmd;
  logic [Rows*16-1:0]   abuf_raddr, arr_abuf_raddr;
  logic [Rows*128-1:0]  abuf_rdata;
  logic [WbufPorts*16-1:0]  wbuf_raddr;
  logic [WbufPorts*128-1:0] wbuf_rdata;
  logic [ColWords-1:0]      obuf_we, arr_obuf_we;
  logic [ColWords*16-1:0]   obuf_waddr, arr_obuf_waddr;
  logic [ColWords*128-1:0]  obuf_wdata, arr_obuf_wdata;
  logic [ColWords*16-1:0]   obuf_wbe, arr_obuf_wbe;
  logic [15:0]          ev_abuf_reads, ev_macs, ev_macs_zero, ev_acc_wraps;
  logic [7:0]           ev_wbuf_reads;
  logic [7:0]           ev_requant, ev_pool;
  logic                 ev_issue;

  // Vector unit.
  logic                 vec_start, vec_busy, vec_done, vec_step;
  sa_pkg::vector_cmd_t  vec_cmd;
  logic                 vec_abuf_re;
  logic [15:0]          vec_abuf_raddr;
  logic                 vec_obuf_we;
  logic [15:0]          vec_obuf_waddr;
  logic [127:0]         vec_obuf_wdata;
  logic [4:0]           vec_ev_ops, vec_ev_requant;

  // Buffer address ports, cut to each buffer's size.
  logic [Rows*AbufAw-1:0]      abuf_raddr_t;
  logic [WbufPorts*WbufAw-1:0] wbuf_raddr_t;
  logic [ColWords*ObufAw-1:0]  obuf_waddr_t;

  // Instances declared after tracing_off would vanish from waveforms with all they contain.
  /* verilator tracing_on */
  sa_csr #(
    .Rows (Rows),
    .Cols (Cols)
  ) u_csr (
    .clk_i,
    .rst_ni,
    .csr_valid_i,
    .csr_write_i,
    .csr_addr_i,
    .csr_wdata_i,
    .csr_rdata_o,
    .irq_o,
    .start_o         (start),
    .cmd_base_o      (cmd_base),
    .running_i       (running),
    .end_i           (run_end),
    .error_i         (run_error),
    .snap_take_i     (snap_take),
    .state_i         (ctrl_state),
    .cmd_index_i     (dbg_cmd_index_o),
    .last_opcode_i   (dbg_opcode_o),
    .events_i        (events),
    .snap_beat_idx_i (obuf_dma_raddr),
    .snap_beat_o     (snap_beat)
  );

  sa_ctrl u_ctrl (
    .clk_i,
    .rst_ni,
    .start_i          (start),
    .cmd_base_i       (cmd_base),
    .dma_job_valid_o  (ctrl_job_valid),
    .dma_fetch_ready_i(fetch_ready),
    .dma_push_ready_i (push_ready),
    .dma_job_o        (ctrl_job),
    .dma_job_done_i   (job_done),
    .dma_done_fetch_i (done_fetch),
    .dma_idle_i       (dma_idle && queue_empty),
    .dma_busy_fetch_i (fetch_inflight),
    .cmd_beat_valid_i (cmd_beat_valid),
    .cmd_beat_i       (cmd_beat),
    .comp_start_o     (comp_start),
    .comp_cmd_o       (comp_cmd),
    .vec_start_o      (vec_start),
    .vec_cmd_o        (vec_cmd),
    .comp_busy_i      (comp_busy),
    .comp_ready_i     (arr_ready && !vec_busy),
    .comp_done_i      (comp_done),
    .running_o        (running),
    .end_o            (run_end),
    .error_o          (run_error),
    .snap_take_o      (snap_take),
    .cmd_pop_o        (cmd_pop),
    .state_o          (ctrl_state),
    .cmd_index_o      (dbg_cmd_index_o),
    .last_opcode_o    (dbg_opcode_o)
  );

  sa_dma_queue u_dma_queue (
    .clk_i,
    .rst_ni,
    .job_valid_i   (ctrl_job_valid),
    .job_i         (ctrl_job),
    .push_ready_o  (push_ready),
    .fetch_ready_o (fetch_ready),
    .empty_o       (queue_empty),
    .dma_valid_o   (job_valid),
    .dma_ready_i   (job_ready),
    .dma_job_o     (job)
  );

  sa_dma #(
    .BeatWords (BeatWords)
  ) u_dma (
    .clk_i,
    .rst_ni,
    .job_valid_i      (job_valid),
    .job_ready_o      (job_ready),
    .job_i            (job),
    .job_done_o       (job_done),
    .done_fetch_o     (done_fetch),
    .idle_o           (dma_idle),
    .fetch_inflight_o (fetch_inflight),
    .busy_load_o      (busy_load),
    .busy_store_o     (busy_store),
    .buf_we_o         (buf_we),
    .buf_sel_o        (buf_sel),
    .buf_waddr_o      (buf_waddr),
    .buf_wdata_o      (buf_wdata),
    .obuf_re_o        (obuf_re),
    .obuf_raddr_o     (obuf_dma_raddr),
    .store_buf_o      (store_buf),
    .obuf_rdata_i     (dma_store_rdata),
    .cmd_beat_valid_o (cmd_beat_valid),
    .cmd_beat_o       (cmd_beat),
    .rd_req_valid_o,
    .rd_req_ready_i,
    .rd_req_addr_o,
    .rd_req_words_o,
    .rd_req_wide_o,
    .rd_data_valid_i,
    .rd_data_i,
    .wr_req_valid_o,
    .wr_req_ready_i,
    .wr_req_addr_o,
    .wr_req_words_o,
    .wr_req_wide_o,
    .wr_data_valid_o,
    .wr_data_ready_i,
    .wr_data_o,
    .wr_resp_valid_i
  );

  sa_compute #(
    .Rows (Rows),
    .Cols (Cols)
  ) u_compute (
    .clk_i,
    .rst_ni,
    .start_i         (comp_start),
    .cmd_i           (comp_cmd),
    .busy_o          (arr_busy),
    .ready_o         (arr_ready),
    .done_o          (arr_done),
    .abuf_raddr_o    (arr_abuf_raddr),
    .abuf_rdata_i    (abuf_rdata),
    .wbuf_raddr_o    (wbuf_raddr),
    .wbuf_rdata_i    (wbuf_rdata),
    .obuf_we_o       (arr_obuf_we),
    .obuf_waddr_o    (arr_obuf_waddr),
    .obuf_wdata_o    (arr_obuf_wdata),
    .obuf_wbe_o      (arr_obuf_wbe),
    .ev_abuf_reads_o (ev_abuf_reads),
    .ev_wbuf_reads_o (ev_wbuf_reads),
    .ev_macs_o       (ev_macs),
    .ev_macs_zero_o  (ev_macs_zero),
    .ev_requant_o    (ev_requant),
    .ev_pool_o       (ev_pool),
    .ev_issue_o      (ev_issue),
    .ev_acc_wraps_o  (ev_acc_wraps)
  );

  sa_vec #(
    .AbufWords (AbufWords),
    .ObufWords (ObufWords)
  ) u_vec (
    .clk_i,
    .rst_ni,
    .start_i      (vec_start),
    .cmd_i        (vec_cmd),
    .busy_o       (vec_busy),
    .done_o       (vec_done),
    .abuf_re_o    (vec_abuf_re),
    .abuf_raddr_o (vec_abuf_raddr),
    .abuf_rdata_i (abuf_rdata[127:0]),
    .obuf_we_o    (vec_obuf_we),
    .obuf_waddr_o (vec_obuf_waddr),
    .obuf_wdata_o (vec_obuf_wdata),
    .ev_vec_ops_o (vec_ev_ops),
    .ev_requant_o (vec_ev_requant),
    .step_o       (vec_step)
  );

  // One compute engine: the controller starts one of the two only when both are idle, so the
  // one running owns activation buffer read port 0 and the output buffer write port.
  /* verilator tracing_off */
  always_comb begin
    comp_busy  = arr_busy || vec_busy;
    comp_done  = arr_done || vec_done;
    abuf_raddr = arr_abuf_raddr;
    if (vec_busy) begin
      abuf_raddr[15:0] = vec_abuf_raddr;
    end
    obuf_we    = arr_obuf_we;
    obuf_waddr = arr_obuf_waddr;
    obuf_wdata = arr_obuf_wdata;
    obuf_wbe   = arr_obuf_wbe;
    if (vec_busy) begin  // the vector unit writes one word, through write port 0
      obuf_we            = '0;
      obuf_we[0]         = vec_obuf_we;
      obuf_waddr[15:0]   = vec_obuf_waddr;
      obuf_wdata[127:0]  = vec_obuf_wdata;
      obuf_wbe[15:0]     = '1;
    end
  end
  /* verilator tracing_on */

  // ---------------------------------------------------------------------------------------------
  // Counter events (docs/isa.md: what each counter counts).
  /* verilator tracing_off */
  always_comb begin
    events                 = '0;
    events.comp_busy       = comp_busy;
    events.dma_load        = busy_load;
    events.dma_store       = busy_store;
    events.cmd_pop         = cmd_pop;
    events.issue           = ev_issue;
    events.macs            = ev_macs;
    events.macs_zero       = ev_macs_zero;
    events.abuf_reads      = ev_abuf_reads + 16'(vec_abuf_re);
    events.abuf_writes     = '0;
    events.wbuf_writes     = '0;
    events.obuf_reads      = '0;
    events.dram_read_words = '0;
    events.dram_write_words = '0;
    for (int unsigned i = 0; i < BeatWords; i++) begin
      events.abuf_writes     = events.abuf_writes + 4'(abuf_we[i]);
      events.wbuf_writes     = events.wbuf_writes + 4'(wbuf_we[i]);
      events.obuf_reads      = events.obuf_reads + 4'(obuf_re[i] &&
                                                      store_buf != sa_pkg::BufCounters);
      // The read data of a LOAD (the DMA engine knows whose); what a STORE sends.
      events.dram_read_words = events.dram_read_words + 4'(buf_we[i]);
      events.dram_write_words = events.dram_write_words + 4'(obuf_re[i] &&
                                                            store_buf != sa_pkg::BufCounters);
    end
    events.wbuf_reads      = ev_wbuf_reads;

    events.obuf_writes     = '0;
    for (int unsigned g = 0; g < ColWords; g++) begin
      events.obuf_writes = events.obuf_writes + 4'(obuf_we[g]);
    end
    events.cmd_fetch_beat  = cmd_beat_valid;
    events.requant         = vec_busy ? 8'(vec_ev_requant) : ev_requant;
    events.pool            = ev_pool;  // the drain path's pool (a VECTOR pool: vec_ops)
    events.vec_ops         = vec_ev_ops;
    events.acc_wraps       = ev_acc_wraps;
  end

  // ---------------------------------------------------------------------------------------------
  // Buffers.
  assign abuf_we = buf_sel == sa_pkg::BufAct ? buf_we : '0;
  assign wbuf_we = buf_sel == sa_pkg::BufWeight ? buf_we : '0;
  for (genvar i = 0; i < BeatWords; i++) begin : g_beat_addr
    assign abuf_waddr_t[AbufAw*i +: AbufAw] = AbufAw'(buf_waddr + 16'(i));
    assign wbuf_waddr_t[WbufAw*i +: WbufAw] = WbufAw'(buf_waddr + 16'(i));
    assign obuf_raddr_t[ObufAw*i +: ObufAw] = ObufAw'(obuf_dma_raddr + 16'(i));
  end
  // A counter snapshot is one word a beat.
  always_comb begin
    dma_store_rdata = obuf_dma_rdata;
    if (store_buf == sa_pkg::BufCounters) dma_store_rdata[127:0] = snap_beat;
  end

  for (genvar r = 0; r < Rows; r++) begin : g_abuf_addr
    assign abuf_raddr_t[AbufAw*r +: AbufAw] = abuf_raddr[16*r +: AbufAw];
  end
  for (genvar i = 0; i < WbufPorts; i++) begin : g_wbuf_addr
    assign wbuf_raddr_t[WbufAw*i +: WbufAw] = wbuf_raddr[16*i +: WbufAw];
  end
  for (genvar g = 0; g < ColWords; g++) begin : g_obuf_addr
    assign obuf_waddr_t[ObufAw*g +: ObufAw] = obuf_waddr[16*g +: ObufAw];
  end

  sa_sram #(
    .Words      (AbufWords),
    .ReadPorts  (Rows),
    .WritePorts (BeatWords)
  ) u_abuf (
    .clk_i,
    .rst_ni,
    .we_i    (abuf_we),
    .waddr_i (abuf_waddr_t),
    .wdata_i (buf_wdata),
    .wbe_i   ('1),
    .raddr_i (abuf_raddr_t),
    .rdata_o (abuf_rdata)
  );

  sa_sram #(
    .Words      (WbufWords),
    .ReadPorts  (WbufPorts),
    .WritePorts (BeatWords)
  ) u_wbuf (
    .clk_i,
    .rst_ni,
    .we_i    (wbuf_we),
    .waddr_i (wbuf_waddr_t),
    .wdata_i (buf_wdata),
    .wbe_i   ('1),
    .raddr_i (wbuf_raddr_t),
    .rdata_o (wbuf_rdata)
  );

  sa_sram #(
    .Words      (ObufWords),
    .ReadPorts  (BeatWords),
    .WritePorts (ColWords)
  ) u_obuf (
    .clk_i,
    .rst_ni,
    .we_i    (obuf_we),
    .waddr_i (obuf_waddr_t),
    .wdata_i (obuf_wdata),
    .wbe_i   (obuf_wbe),
    .raddr_i (obuf_raddr_t),
    .rdata_o (obuf_dma_rdata)
  );

  assign dbg_state_o    = ctrl_state;
  assign dbg_progress_o = rd_data_valid_i || (wr_data_valid_o && wr_data_ready_i) ||
                          (ev_macs != '0) || (|obuf_we) || comp_start || vec_start || vec_step ||
                          job_valid;

  // Address bits above each buffer's size are checked by the compiler (and asserted here).
  logic unused_addr_bits;
  assign unused_addr_bits = ^{buf_waddr, obuf_waddr, obuf_dma_raddr, abuf_raddr, wbuf_raddr};

  for (genvar i = 0; i < BeatWords; i++) begin : g_load_checks
    `SA_ASSERT(LoadInRange, buf_we[i] |-> (buf_sel == sa_pkg::BufAct ?
                                           32'(buf_waddr) + i < AbufWords :
                                           32'(buf_waddr) + i < WbufWords))
  end
  for (genvar g = 0; g < ColWords; g++) begin : g_obuf_checks
    `SA_ASSERT(ObufWriteInRange, obuf_we[g] |-> 32'(obuf_waddr[16*g +: 16]) < ObufWords)
  end
  `SA_ASSERT(OneComputeEngineJob, !(arr_busy && vec_busy))
  `SA_ASSERT_KNOWN(CsrValidKnown, csr_valid_i)
  `SA_ASSERT_KNOWN(ReadDataValidKnown, rd_data_valid_i)
  `SA_ASSERT_KNOWN(WriteResponseKnown, wr_resp_valid_i)

endmodule
