// sa_top: the sasim accelerator. A controller (sa_ctrl) runs a command stream from DRAM,
// a DMA engine (sa_dma) moves tiles between DRAM and three on-chip buffers, and the compute
// engine (sa_compute) runs conv/linear tiles on a Rows x 16 systolic array with im2col address
// generation, requantization and max-pool. DMA and compute run concurrently, so with the
// buffers split in halves by the compiler, loading the next tile overlaps computing this one.
// Ports: an MMIO slave for the CSRs, a burst master to DRAM (valid/ready requests, 16-byte data
// beats), an interrupt, and a debug view of the controller for the platform's watchdog.
// Latency: see the blocks; CSR reads are combinational, CSR writes take effect on the edge.
module sa_top
  import sa_pkg::*;
#(
  parameter int unsigned Rows      = 16,
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
  output logic [15:0]  rd_req_beats_o,
  input  logic         rd_data_valid_i,
  input  logic [127:0] rd_data_i,
  // DRAM master: write channel.
  output logic         wr_req_valid_o,
  input  logic         wr_req_ready_i,
  output logic [31:0]  wr_req_addr_o,
  output logic [15:0]  wr_req_beats_o,
  output logic         wr_data_valid_o,
  input  logic         wr_data_ready_i,
  output logic [127:0] wr_data_o,
  input  logic         wr_resp_valid_i,
  // Debug view.
  output logic [2:0]   dbg_state_o,
  output logic [31:0]  dbg_cmd_index_o,
  output logic [7:0]   dbg_opcode_o,
  output logic         dbg_progress_o
);

  localparam int unsigned Cols = 16;

  // Internal nets are traced inside the blocks that own them (sa_ctrl, sa_dma, sa_compute).
  /* verilator tracing_off */
  // DMA <-> controller.
  logic         job_valid, job_ready, job_store, job_fetch, job_done;
  logic [1:0]   job_buf;
  logic [31:0]  job_dram_addr, job_dram_stride;
  logic [15:0]  job_sram_addr, job_sram_stride, job_row_words, job_rows;
  logic         busy_load, busy_store, busy_fetch;
  logic         cmd_beat_valid;
  logic [127:0] cmd_beat;

  // DMA <-> buffers.
  logic         buf_we;
  logic [1:0]   buf_sel;
  logic [15:0]  buf_waddr;
  logic [127:0] buf_wdata;
  logic         obuf_re;
  logic [15:0]  obuf_dma_raddr;

  // Compute <-> controller and buffers.
  logic         comp_start, comp_busy, comp_done;
  compute_cmd_t comp_cmd;
  logic [15:0]  abuf_raddr [Rows];
  logic [127:0] abuf_rdata [Rows];
  logic [15:0]  wbuf_raddr [5];
  logic [127:0] wbuf_rdata [5];
  logic         obuf_we;
  logic [15:0]  obuf_waddr;
  logic [127:0] obuf_wdata;
  logic [15:0]  ev_abuf_reads, ev_macs, ev_macs_zero;
  logic [2:0]   ev_wbuf_reads;
  logic [4:0]   ev_requant, ev_pool;
  logic         ev_issue;

  ctrl_state_e  ctrl_state;
  logic [127:0] snap_beat;

  // Buffer ports (declared before the blocks that use them).
  localparam int unsigned AbufAw = $clog2(AbufWords);
  localparam int unsigned WbufAw = $clog2(WbufWords);
  localparam int unsigned ObufAw = $clog2(ObufWords);
  logic [AbufAw-1:0] abuf_raddr_t [Rows];
  logic [WbufAw-1:0] wbuf_raddr_t [5];
  logic [ObufAw-1:0] obuf_raddr_t [1];
  logic [127:0]      obuf_dma_rdata [1];

  // Instances declared after tracing_off would vanish from waveforms with all they contain.
  /* verilator tracing_on */
  sa_ctrl #(
    .Rows (Rows),
    .Cols (Cols)
  ) u_ctrl (
    .clk_i,
    .rst_ni,
    .csr_valid_i,
    .csr_write_i,
    .csr_addr_i,
    .csr_wdata_i,
    .csr_rdata_o,
    .irq_o,
    .dma_job_valid_o       (job_valid),
    .dma_job_ready_i       (job_ready),
    .dma_job_store_o       (job_store),
    .dma_job_fetch_o       (job_fetch),
    .dma_job_buf_o         (job_buf),
    .dma_job_dram_addr_o   (job_dram_addr),
    .dma_job_dram_stride_o (job_dram_stride),
    .dma_job_sram_addr_o   (job_sram_addr),
    .dma_job_sram_stride_o (job_sram_stride),
    .dma_job_row_words_o   (job_row_words),
    .dma_job_rows_o        (job_rows),
    .dma_job_done_i        (job_done),
    .dma_busy_load_i       (busy_load),
    .dma_busy_store_i      (busy_store),
    .dma_busy_fetch_i      (busy_fetch),
    .cmd_beat_valid_i      (cmd_beat_valid),
    .cmd_beat_i            (cmd_beat),
    .comp_start_o          (comp_start),
    .comp_cmd_o            (comp_cmd),
    .comp_busy_i           (comp_busy),
    .comp_done_i           (comp_done),
    .ev_abuf_reads_i       (ev_abuf_reads),
    .ev_abuf_write_i       (buf_we && buf_sel == 2'd0),
    .ev_wbuf_reads_i       (ev_wbuf_reads),
    .ev_wbuf_write_i       (buf_we && buf_sel == 2'd1),
    .ev_obuf_read_i        (obuf_re && buf_sel != 2'd3),
    .ev_obuf_write_i       (obuf_we),
    .ev_macs_i             (ev_macs),
    .ev_macs_zero_i        (ev_macs_zero),
    .ev_dram_read_beat_i   (rd_data_valid_i),
    .ev_dram_write_beat_i  (wr_data_valid_o && wr_data_ready_i && buf_sel != 2'd3),
    .ev_requant_i          (ev_requant),
    .ev_pool_i             (ev_pool),
    .ev_issue_i            (ev_issue),
    .snap_beat_idx_i       (obuf_dma_raddr),
    .snap_beat_o           (snap_beat),
    .state_o               (ctrl_state),
    .cmd_index_o           (dbg_cmd_index_o),
    .last_opcode_o         (dbg_opcode_o)
  );

  sa_dma u_dma (
    .clk_i,
    .rst_ni,
    .job_valid_i       (job_valid),
    .job_ready_o       (job_ready),
    .job_store_i       (job_store),
    .job_fetch_i       (job_fetch),
    .job_buf_i         (job_buf),
    .job_dram_addr_i   (job_dram_addr),
    .job_dram_stride_i (job_dram_stride),
    .job_sram_addr_i   (job_sram_addr),
    .job_sram_stride_i (job_sram_stride),
    .job_row_words_i   (job_row_words),
    .job_rows_i        (job_rows),
    .job_done_o        (job_done),
    .busy_load_o       (busy_load),
    .busy_store_o      (busy_store),
    .busy_fetch_o      (busy_fetch),
    .buf_we_o          (buf_we),
    .buf_sel_o         (buf_sel),
    .buf_waddr_o       (buf_waddr),
    .buf_wdata_o       (buf_wdata),
    .obuf_re_o         (obuf_re),
    .obuf_raddr_o      (obuf_dma_raddr),
    .obuf_rdata_i      (buf_sel == 2'd3 ? snap_beat : obuf_dma_rdata[0]),
    .cmd_beat_valid_o  (cmd_beat_valid),
    .cmd_beat_o        (cmd_beat),
    .rd_req_valid_o,
    .rd_req_ready_i,
    .rd_req_addr_o,
    .rd_req_beats_o,
    .rd_data_valid_i,
    .rd_data_i,
    .wr_req_valid_o,
    .wr_req_ready_i,
    .wr_req_addr_o,
    .wr_req_beats_o,
    .wr_data_valid_o,
    .wr_data_ready_i,
    .wr_data_o,
    .wr_resp_valid_i
  );

  sa_compute #(
    .Rows (Rows)
  ) u_compute (
    .clk_i,
    .rst_ni,
    .start_i         (comp_start),
    .cmd_i           (comp_cmd),
    .busy_o          (comp_busy),
    .done_o          (comp_done),
    .abuf_raddr_o    (abuf_raddr),
    .abuf_rdata_i    (abuf_rdata),
    .wbuf_raddr_o    (wbuf_raddr),
    .wbuf_rdata_i    (wbuf_rdata),
    .obuf_we_o       (obuf_we),
    .obuf_waddr_o    (obuf_waddr),
    .obuf_wdata_o    (obuf_wdata),
    .ev_abuf_reads_o (ev_abuf_reads),
    .ev_wbuf_reads_o (ev_wbuf_reads),
    .ev_macs_o       (ev_macs),
    .ev_macs_zero_o  (ev_macs_zero),
    .ev_requant_o    (ev_requant),
    .ev_pool_o       (ev_pool),
    .ev_issue_o      (ev_issue)
  );

  // ---------------------------------------------------------------------------------------------
  // Buffers.
  /* verilator tracing_off */

  for (genvar r = 0; r < Rows; r++) begin : g_abuf_addr
    assign abuf_raddr_t[r] = abuf_raddr[r][AbufAw-1:0];
  end
  for (genvar i = 0; i < 5; i++) begin : g_wbuf_addr
    assign wbuf_raddr_t[i] = wbuf_raddr[i][WbufAw-1:0];
  end
  assign obuf_raddr_t[0] = obuf_dma_raddr[ObufAw-1:0];

  sa_sram #(
    .Words     (AbufWords),
    .ReadPorts (Rows)
  ) u_abuf (
    .clk_i,
    .we_i    (buf_we && buf_sel == 2'd0),
    .waddr_i (buf_waddr[AbufAw-1:0]),
    .wdata_i (buf_wdata),
    .raddr_i (abuf_raddr_t),
    .rdata_o (abuf_rdata)
  );

  sa_sram #(
    .Words     (WbufWords),
    .ReadPorts (5)
  ) u_wbuf (
    .clk_i,
    .we_i    (buf_we && buf_sel == 2'd1),
    .waddr_i (buf_waddr[WbufAw-1:0]),
    .wdata_i (buf_wdata),
    .raddr_i (wbuf_raddr_t),
    .rdata_o (wbuf_rdata)
  );

  sa_sram #(
    .Words     (ObufWords),
    .ReadPorts (1)
  ) u_obuf (
    .clk_i,
    .we_i    (obuf_we),
    .waddr_i (obuf_waddr[ObufAw-1:0]),
    .wdata_i (obuf_wdata),
    .raddr_i (obuf_raddr_t),
    .rdata_o (obuf_dma_rdata)
  );

  assign dbg_state_o    = ctrl_state;
  assign dbg_progress_o = rd_data_valid_i || (wr_data_valid_o && wr_data_ready_i) ||
                          (ev_macs != '0) || obuf_we || comp_start || job_valid;

  // Address bits above each buffer's size are checked by the compiler (and asserted here).
  logic unused_addr_bits;
  always_comb begin
    unused_addr_bits = ^{buf_waddr, obuf_waddr, obuf_dma_raddr};
    for (int unsigned r = 0; r < Rows; r++) unused_addr_bits ^= ^abuf_raddr[r];
    for (int unsigned i = 0; i < 5; i++) unused_addr_bits ^= ^wbuf_raddr[i];
  end

`ifndef SYNTHESIS
  LoadInRange: assert property (@(posedge clk_i) disable iff (!rst_ni)
      buf_we |-> (buf_sel == 2'd0 ? 32'(buf_waddr) < AbufWords : 32'(buf_waddr) < WbufWords));
  ObufWriteInRange: assert property (@(posedge clk_i) disable iff (!rst_ni)
      obuf_we |-> 32'(obuf_waddr) < ObufWords);
`endif

endmodule
