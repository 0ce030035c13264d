// sa_ctrl_tb: the controller block for tests/rtl/ctrl_test.cc: sa_csr and sa_ctrl wired as in
// sa_top, with the DMA engine, the compute engine and the counter events left to the test.
// The run events the controller itself produces (a command popped) and the fetch flag are
// taken from the controller and the DMA port, so the test cannot contradict them.
module sa_ctrl_tb #(
  parameter int unsigned Rows = 8
) (
  input  logic                            clk_i,
  input  logic                            rst_ni,
  input  logic                            csr_valid_i,
  input  logic                            csr_write_i,
  input  logic [11:0]                     csr_addr_i,
  input  logic [31:0]                     csr_wdata_i,
  output logic [31:0]                     csr_rdata_o,
  output logic                            irq_o,
  output logic                            dma_job_valid_o,
  input  logic                            dma_fetch_ready_i,
  input  logic                            dma_push_ready_i,
  output sa_pkg::dma_job_t                dma_job_o,
  input  logic                            dma_job_done_i,
  input  logic                            dma_done_fetch_i,
  input  logic                            dma_idle_i,
  input  logic                            dma_busy_fetch_i,
  input  logic                            cmd_beat_valid_i,
  input  logic [127:0]                    cmd_beat_i,
  output logic                            comp_start_o,
  output sa_pkg::compute_cmd_t            comp_cmd_o,
  output logic                            vec_start_o,
  output sa_pkg::vector_cmd_t             vec_cmd_o,
  input  logic                            comp_busy_i,
  input  logic                            comp_done_i,
  input  sa_pkg::perf_events_t            events_i,
  input  logic [15:0]                     snap_beat_idx_i,
  output logic [127:0]                    snap_beat_o,
  output logic [2:0]                      state_o,
  output logic [31:0]                     cmd_index_o
);

  logic                 start, running, run_end, run_error, snap_take, cmd_pop;
  logic [31:0]          cmd_base;
  logic [7:0]           last_opcode;
  sa_pkg::ctrl_state_e  state;
  sa_pkg::perf_events_t events;

  always_comb begin
    events           = events_i;
    events.cmd_pop   = cmd_pop;
    events.cmd_fetch_beat = cmd_beat_valid_i;
  end

  sa_csr #(
    .Rows (Rows),
    .Cols (16)
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
    .state_i         (state),
    .cmd_index_i     (cmd_index_o),
    .last_opcode_i   (last_opcode),
    .events_i        (events),
    .snap_beat_idx_i,
    .snap_beat_o
  );

  sa_ctrl u_ctrl (
    .clk_i,
    .rst_ni,
    .start_i          (start),
    .cmd_base_i       (cmd_base),
    .dma_job_valid_o,
    .dma_fetch_ready_i,
    .dma_push_ready_i,
    .dma_job_o,
    .dma_job_done_i,
    .dma_done_fetch_i,
    .dma_idle_i,
    .dma_busy_fetch_i,
    .cmd_beat_valid_i,
    .cmd_beat_i,
    .comp_start_o,
    .comp_cmd_o,
    .vec_start_o,
    .vec_cmd_o,
    .comp_busy_i,
    .comp_ready_i (!comp_busy_i),
    .comp_done_i,
    .running_o        (running),
    .end_o            (run_end),
    .error_o          (run_error),
    .snap_take_o      (snap_take),
    .cmd_pop_o        (cmd_pop),
    .state_o          (state),
    .cmd_index_o,
    .last_opcode_o    (last_opcode)
  );

  assign state_o = state;

endmodule
