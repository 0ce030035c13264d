// sa_ctrl: the controller. Holds the CSRs (MMIO), fetches the command stream from DRAM through
// the DMA engine into a beat FIFO, decodes commands in order and dispatches them: LOAD/STORE to
// the DMA engine, COMPUTE to the compute engine (both run concurrently), SYNC waits for job
// counts, END stops and raises the interrupt. It also keeps the performance counters.
// Latency: one command is dispatched per cycle at most; CSR reads are combinational.
module sa_ctrl
  import sa_pkg::*;
#(
  parameter int unsigned Rows       = 16,
  parameter int unsigned Cols       = 16,
  parameter int unsigned FetchBeats = 8,   // beats per command fetch (4 commands)
  parameter int unsigned FifoBeats  = 16,  // command FIFO depth in beats
  localparam int unsigned NumCounters = 20
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
  // DMA engine.
  output logic         dma_job_valid_o,
  input  logic         dma_job_ready_i,
  output logic         dma_job_store_o,
  output logic         dma_job_fetch_o,
  output logic [1:0]   dma_job_buf_o,
  output logic [31:0]  dma_job_dram_addr_o,
  output logic [31:0]  dma_job_dram_stride_o,
  output logic [15:0]  dma_job_sram_addr_o,
  output logic [15:0]  dma_job_sram_stride_o,
  output logic [15:0]  dma_job_row_words_o,
  output logic [15:0]  dma_job_rows_o,
  input  logic         dma_job_done_i,
  input  logic         dma_busy_load_i,
  input  logic         dma_busy_store_i,
  input  logic         dma_busy_fetch_i,
  input  logic         cmd_beat_valid_i,
  input  logic [127:0] cmd_beat_i,
  // Compute engine.
  output logic         comp_start_o,
  output compute_cmd_t comp_cmd_o,
  input  logic         comp_busy_i,
  input  logic         comp_done_i,
  // Events for the counters.
  input  logic [15:0]  ev_abuf_reads_i,
  input  logic         ev_abuf_write_i,
  input  logic [2:0]   ev_wbuf_reads_i,
  input  logic         ev_wbuf_write_i,
  input  logic         ev_obuf_read_i,
  input  logic         ev_obuf_write_i,
  input  logic [15:0]  ev_macs_i,
  input  logic [15:0]  ev_macs_zero_i,
  input  logic         ev_dram_read_beat_i,
  input  logic         ev_dram_write_beat_i,
  input  logic [4:0]   ev_requant_i,
  input  logic [4:0]   ev_pool_i,
  input  logic         ev_issue_i,
  // Counter snapshot beats for the DMA (SNAPSHOT command).
  input  logic [15:0]  snap_beat_idx_i,
  output logic [127:0] snap_beat_o,
  // Debug view for the platform's watchdog.
  output ctrl_state_e  state_o,
  output logic [31:0]  cmd_index_o,
  output logic [7:0]   last_opcode_o
);

  localparam int unsigned FifoIdxW = $clog2(FifoBeats);

  ctrl_state_e state_q, state_d;

  // CSRs.
  logic        irq_en_q, irq_en_d;
  logic        irq_pending_q, irq_pending_d;
  logic        done_q, done_d;
  logic        error_q, error_d;
  logic [31:0] cmd_base_q, cmd_base_d;
  logic [31:0] cmd_index_q, cmd_index_d;
  logic [7:0]  last_op_q, last_op_d;

  // Command fetch.
  logic [31:0] fetch_ptr_q, fetch_ptr_d;
  /* verilator tracing_off */
  logic [127:0] fifo_q [FifoBeats];
  logic [FifoIdxW-1:0] fifo_rd_q, fifo_wr_q;
  logic [FifoIdxW:0] fifo_count_q, fifo_count_d;
  logic [FifoIdxW:0] fifo_reserved;  // beats stored plus beats of a fetch in flight

  /* verilator tracing_on */
  // Job accounting.
  logic [31:0] dma_issued_q, dma_issued_d, dma_done_q, dma_done_d;
  logic [31:0] comp_done_q, comp_done_d;

  // Counters are read through the CSRs; tracing them would double a waveform's size.
  /* verilator tracing_off */
  logic [63:0] counter_q [NumCounters];
  logic [63:0] snap_q [NumCounters];
  logic [63:0] counter_inc [NumCounters];
  /* verilator tracing_on */
  logic        snap_take;

  // Decoded head command.
  /* verilator tracing_off */
  logic [255:0] cmd;
  logic         cmd_ready;
  opcode_e      opcode;
  logic         pop;
  logic         start_req;
  /* verilator tracing_on */

  always_comb begin
    cmd       = {fifo_q[fifo_rd_q + 1'b1], fifo_q[fifo_rd_q]};
    cmd_ready = (fifo_count_q >= 2);
    opcode    = opcode_e'(cmd[7:0]);
    start_req = csr_valid_i && csr_write_i && (csr_addr_i == 12'h008) && csr_wdata_i[0];
    fifo_reserved = fifo_count_q + (dma_busy_fetch_i ? (FifoIdxW+1)'(FetchBeats) : '0);
  end

  // COMPUTE fields (contract/isa.h EncodeCompute).
  always_comb begin
    comp_cmd_o.relu      = cmd[8];
    comp_cmd_o.round     = round_mode_e'(cmd[9]);
    comp_cmd_o.pool      = cmd[10];
    comp_cmd_o.shift     = cmd[15:11];
    comp_cmd_o.kernel_h  = cmd[19:16];
    comp_cmd_o.kernel_w  = cmd[23:20];
    comp_cmd_o.stride    = cmd[27:24];
    comp_cmd_o.channels  = cmd[32 +: 16];
    comp_cmd_o.in_width  = cmd[48 +: 16];
    comp_cmd_o.in_rows   = cmd[64 +: 16];
    comp_cmd_o.y_off     = cmd[80 +: 16];
    comp_cmd_o.out_rows  = cmd[96 +: 16];
    comp_cmd_o.out_width = cmd[112 +: 16];
    comp_cmd_o.abuf_base = cmd[128 +: 16];
    comp_cmd_o.wbuf_base = cmd[144 +: 16];
    comp_cmd_o.obuf_base = cmd[160 +: 16];
    comp_cmd_o.n_valid   = cmd[176 +: 5];
    comp_cmd_o.x_off     = cmd[192 +: 16];
  end

  // Dispatch.
  always_comb begin
    logic want_dma;
    state_d       = state_q;
    irq_en_d      = irq_en_q;
    irq_pending_d = irq_pending_q;
    done_d        = done_q;
    error_d       = error_q;
    cmd_base_d    = cmd_base_q;
    cmd_index_d   = cmd_index_q;
    last_op_d     = last_op_q;
    fetch_ptr_d   = fetch_ptr_q;
    dma_issued_d  = dma_issued_q;
    dma_done_d    = dma_done_q + ((dma_job_done_i && !dma_busy_fetch_i) ? 32'd1 : 32'd0);
    comp_done_d   = comp_done_q + (comp_done_i ? 32'd1 : 32'd0);
    pop           = 1'b0;
    snap_take     = 1'b0;
    comp_start_o  = 1'b0;
    want_dma      = 1'b0;

    dma_job_valid_o       = 1'b0;
    dma_job_store_o       = (opcode == OpStore);
    dma_job_fetch_o       = 1'b0;
    dma_job_buf_o         = cmd[9:8];
    dma_job_dram_addr_o   = cmd[32 +: 32];
    dma_job_dram_stride_o = cmd[64 +: 32];
    dma_job_sram_addr_o   = cmd[96 +: 16];
    dma_job_sram_stride_o = cmd[128 +: 16];
    dma_job_row_words_o   = cmd[160 +: 16];
    dma_job_rows_o        = cmd[192 +: 16];

    // CSR writes.
    if (csr_valid_i && csr_write_i) begin
      unique case (csr_addr_i)
        12'h010: irq_en_d = csr_wdata_i[0];
        12'h014: if (csr_wdata_i[0]) irq_pending_d = 1'b0;
        12'h018: cmd_base_d = csr_wdata_i;
        default: ;
      endcase
    end

    unique case (state_q)
      CtrlIdle, CtrlDone, CtrlError: begin
        if (start_req) begin
          state_d      = CtrlDispatch;
          done_d       = 1'b0;
          error_d      = 1'b0;
          fetch_ptr_d  = cmd_base_q;
          cmd_index_d  = '0;
          dma_issued_d = '0;
          dma_done_d   = '0;
          comp_done_d  = '0;
        end
      end
      CtrlDispatch, CtrlFetch, CtrlSync: begin
        state_d = cmd_ready ? CtrlDispatch : CtrlFetch;
        if (cmd_ready) begin
          last_op_d = cmd[7:0];
          unique case (opcode)
            OpEnd: begin
              // Stop only once no fetch is in flight, so the next run starts clean.
              want_dma = 1'b1;
              if (dma_job_ready_i) begin
                pop           = 1'b1;
                state_d       = CtrlDone;
                done_d        = 1'b1;
                irq_pending_d = 1'b1;
              end
            end
            OpLoad, OpStore: begin
              want_dma = 1'b1;
              if (dma_job_ready_i) begin
                dma_job_valid_o = 1'b1;
                dma_issued_d    = dma_issued_q + 32'd1;
                pop             = 1'b1;
              end
            end
            OpSnap: begin
              // A DMA job that writes the counters, frozen now, to DRAM.
              want_dma = 1'b1;
              if (dma_job_ready_i) begin
                dma_job_valid_o     = 1'b1;
                dma_job_store_o     = 1'b1;
                dma_job_buf_o       = 2'd3;
                dma_job_sram_addr_o = '0;
                dma_job_row_words_o = 16'((NumCounters * 8 + 15) / 16);
                dma_job_rows_o      = 16'd1;
                dma_issued_d        = dma_issued_q + 32'd1;
                snap_take           = 1'b1;
                pop                 = 1'b1;
              end
            end
            OpCompute: begin
              if (!comp_busy_i) begin
                comp_start_o = 1'b1;
                pop          = 1'b1;
              end
            end
            OpSync: begin
              state_d = CtrlSync;
              if (dma_done_q >= cmd[32 +: 32] && comp_done_q >= cmd[64 +: 32]) begin
                pop     = 1'b1;
                state_d = CtrlDispatch;
              end
            end
            default: begin
              state_d       = CtrlError;
              error_d       = 1'b1;
              irq_pending_d = 1'b1;
            end
          endcase
        end
        // Fetch ahead when the DMA engine is free and the FIFO has room for a whole fetch.
        if (!want_dma && dma_job_ready_i && !dma_busy_fetch_i &&
            (32'(fifo_reserved) + FetchBeats <= FifoBeats) && state_d != CtrlDone &&
            state_d != CtrlError) begin
          dma_job_valid_o     = 1'b1;
          dma_job_fetch_o     = 1'b1;
          dma_job_store_o     = 1'b0;
          dma_job_dram_addr_o = fetch_ptr_q;
          dma_job_row_words_o = 16'(FetchBeats);
          dma_job_rows_o      = 16'd1;
          dma_job_sram_addr_o = '0;
          fetch_ptr_d         = fetch_ptr_q + 32'(FetchBeats * 16);
        end
        if (pop) begin
          cmd_index_d = cmd_index_q + 32'd1;
        end
      end
      default: state_d = CtrlIdle;
    endcase
  end

  // Counters.
  logic running;
  assign running = (state_q == CtrlDispatch || state_q == CtrlFetch || state_q == CtrlSync);
  always_comb begin
    logic comp_idle;
    comp_idle = running && !comp_busy_i;
    counter_inc[0]  = 64'(running);
    counter_inc[1]  = 64'(running && comp_busy_i);
    counter_inc[2]  = 64'(comp_idle && dma_busy_load_i);
    counter_inc[3]  = 64'(comp_idle && dma_busy_store_i);
    counter_inc[4]  = 64'(comp_idle && !dma_busy_load_i && !dma_busy_store_i);
    counter_inc[5]  = 64'(ev_macs_i);
    counter_inc[6]  = 64'(ev_macs_zero_i);
    counter_inc[7]  = 64'(ev_abuf_reads_i);
    counter_inc[8]  = 64'(ev_abuf_write_i);
    counter_inc[9]  = 64'(ev_wbuf_reads_i);
    counter_inc[10] = 64'(ev_wbuf_write_i);
    counter_inc[11] = 64'(ev_obuf_read_i);
    counter_inc[12] = 64'(ev_obuf_write_i);
    counter_inc[13] = (ev_dram_read_beat_i && !dma_busy_fetch_i) ? 64'd16 : 64'd0;
    counter_inc[14] = ev_dram_write_beat_i ? 64'd16 : 64'd0;
    counter_inc[15] = 64'(ev_requant_i);
    counter_inc[16] = 64'(ev_pool_i);
    counter_inc[17] = 64'(pop);
    counter_inc[18] = (ev_dram_read_beat_i && dma_busy_fetch_i) ? 64'd16 : 64'd0;
    counter_inc[19] = 64'(ev_issue_i);
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q       <= CtrlIdle;
      irq_en_q      <= 1'b0;
      irq_pending_q <= 1'b0;
      done_q        <= 1'b0;
      error_q       <= 1'b0;
      cmd_base_q    <= '0;
      cmd_index_q   <= '0;
      last_op_q     <= '0;
      fetch_ptr_q   <= '0;
      fifo_rd_q     <= '0;
      fifo_wr_q     <= '0;
      fifo_count_q  <= '0;
      dma_issued_q  <= '0;
      dma_done_q    <= '0;
      comp_done_q   <= '0;
      for (int unsigned i = 0; i < FifoBeats; i++) fifo_q[i] <= '0;
      for (int unsigned i = 0; i < NumCounters; i++) begin
        counter_q[i] <= '0;
        snap_q[i]    <= '0;
      end
    end else begin
      state_q       <= state_d;
      irq_en_q      <= irq_en_d;
      irq_pending_q <= irq_pending_d;
      done_q        <= done_d;
      error_q       <= error_d;
      cmd_base_q    <= cmd_base_d;
      cmd_index_q   <= cmd_index_d;
      last_op_q     <= last_op_d;
      fetch_ptr_q   <= fetch_ptr_d;
      dma_issued_q  <= dma_issued_d;
      dma_done_q    <= dma_done_d;
      comp_done_q   <= comp_done_d;
      fifo_count_q  <= fifo_count_d;
      if (snap_take) begin
        for (int unsigned i = 0; i < NumCounters; i++) snap_q[i] <= counter_q[i];
      end
      if (cmd_beat_valid_i) begin
        fifo_q[fifo_wr_q] <= cmd_beat_i;
        fifo_wr_q <= fifo_wr_q + 1'b1;
      end
      if (pop) begin
        fifo_rd_q <= fifo_rd_q + FifoIdxW'(2);
      end
      if (start_req && !running) begin
        // A new run starts from an empty FIFO and zeroed counters.
        fifo_rd_q    <= '0;
        fifo_wr_q    <= '0;
        for (int unsigned i = 0; i < NumCounters; i++) counter_q[i] <= '0;
      end else begin
        for (int unsigned i = 0; i < NumCounters; i++) begin
          counter_q[i] <= counter_q[i] + counter_inc[i];
        end
      end
    end
  end

  always_comb begin
    fifo_count_d = fifo_count_q + (FifoIdxW+1)'(cmd_beat_valid_i) - (pop ? (FifoIdxW+1)'(2) : '0);
    if (start_req && !running) fifo_count_d = '0;
  end

  // CSR reads.
  always_comb begin
    logic [4:0] idx;
    idx = 5'((csr_addr_i - 12'h040) >> 3);
    csr_rdata_o = '0;
    unique case (csr_addr_i)
      12'h000: csr_rdata_o = 32'h5341534d;
      12'h004: csr_rdata_o = {16'd0, 8'(Cols), 8'(Rows)};
      12'h00c: csr_rdata_o = {29'd0, error_q, done_q, running};
      12'h010: csr_rdata_o = {31'd0, irq_en_q};
      12'h014: csr_rdata_o = {31'd0, irq_pending_q};
      12'h018: csr_rdata_o = cmd_base_q;
      12'h01c: csr_rdata_o = cmd_index_q;
      12'h020: csr_rdata_o = {29'd0, state_q};
      12'h024: csr_rdata_o = {24'd0, last_op_q};
      default: begin
        if (csr_addr_i >= 12'h040 && 32'(idx) < NumCounters) begin
          csr_rdata_o = csr_addr_i[2] ? counter_q[idx][63:32] : counter_q[idx][31:0];
        end
      end
    endcase
  end

  // Snapshot beat i holds counters 2i (bits 63:0) and 2i+1 (bits 127:64).
  always_comb begin
    snap_beat_o = '0;
    for (int unsigned i = 0; i < NumCounters; i++) begin
      if (32'(snap_beat_idx_i) == i / 2) snap_beat_o[64*(i%2) +: 64] = snap_q[i];
    end
  end

  // Reserved command bits.
  logic unused_cmd;
  assign unused_cmd = ^{cmd[255:208], cmd[191:181], cmd[31:28]};

  assign irq_o         = irq_en_q && irq_pending_q;
  assign state_o       = state_q;
  assign cmd_index_o   = cmd_index_q;
  assign last_opcode_o = last_op_q;

`ifndef SYNTHESIS
  FifoNoOverflow: assert property (@(posedge clk_i) disable iff (!rst_ni)
      !(cmd_beat_valid_i && 32'(fifo_count_q) == FifoBeats));
`endif

endmodule
