`include "sa_assert.svh"

// sa_ctrl: command fetch and dispatch. On start (from sa_csr) it fetches the command stream from
// DRAM through the DMA engine, FetchBeats beats at a time, into a FIFO of 16-byte beats whenever
// the DMA engine can take a job, no fetch is in flight and the FIFO has room for a whole fetch
// (a fetch goes before the head's own DMA job). It decodes the command at the head (two beats)
// and dispatches in order: LOAD/STORE/SNAPSHOT to the DMA engine's queue (sa_dma_queue; a
// SNAPSHOT once the queue and the engine are idle),
// COMPUTE (to sa_compute) and VECTOR (to sa_vec) to the compute engine (the two engines run
// concurrently), SYNC waits until the given numbers of DMA and compute-engine (COMPUTE and
// VECTOR) jobs of this run have completed, END stops (once the DMA engine is idle: no fetch in
// flight) and an illegal opcode stops with an error; sa_csr turns those into STATUS bits and the
// interrupt.
// Latency: at most one command leaves the head per cycle; a dispatch is combinational from the
// head of the FIFO and the engines' ready signals. The first command can dispatch one cycle
// after its second beat arrived.
module sa_ctrl #(
  parameter int unsigned FetchBeats = 2 * sa_pkg::FetchCommands,  // beats per command fetch
  parameter int unsigned FifoBeats  = 2 * sa_pkg::FifoCommands    // command FIFO depth in beats
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  // From sa_csr.
  input  logic                 start_i,       // CTRL.start written (taken only when stopped)
  input  logic [31:0]          cmd_base_i,
  // DMA engine.
  output logic                 dma_job_valid_o,
  input  logic                 dma_fetch_ready_i,  // a fetch goes to the DMA engine now
  input  logic                 dma_push_ready_i,   // the DMA queue has room for a job
  output sa_pkg::dma_job_t     dma_job_o,
  input  logic                 dma_job_done_i,
  input  logic                 dma_done_fetch_i,  // the job done was a fetch
  input  logic                 dma_idle_i,        // no job in flight
  input  logic                 dma_busy_fetch_i,  // a fetch in flight
  input  logic                 cmd_beat_valid_i,
  input  logic [127:0]         cmd_beat_i,
  // Compute engine: the array path (COMPUTE) and the vector unit (VECTOR) share busy and done.
  output logic                 comp_start_o,
  output sa_pkg::compute_cmd_t comp_cmd_o,
  output logic                 vec_start_o,
  output sa_pkg::vector_cmd_t  vec_cmd_o,
  input  logic                 comp_busy_i,
  input  logic                 comp_ready_i,  // the compute engine takes comp_cmd_o now
  input  logic                 comp_done_i,
  // Run events, to sa_csr.
  output logic                 running_o,     // executing a stream (FETCH, DISPATCH or SYNC)
  output logic                 end_o,         // END dispatched: the run is done
  output logic                 error_o,       // illegal opcode: the run stopped
  output logic                 snap_take_o,   // SNAPSHOT dispatched: freeze the counters now
  output logic                 cmd_pop_o,     // a command left the FIFO
  // State, for the CSRs and the platform's watchdog.
  output sa_pkg::ctrl_state_e  state_o,
  output logic [31:0]          cmd_index_o,
  output logic [7:0]           last_opcode_o
);

  localparam int unsigned FifoIdxW = $clog2(FifoBeats);

  `SA_ASSERT_INIT(g_fifo_pow2, FifoBeats >= 2 && (1 << FifoIdxW) == FifoBeats)
  `SA_ASSERT_INIT(g_fetch_fits, FetchBeats >= 2 && FetchBeats <= FifoBeats && FetchBeats % 2 == 0)

  sa_pkg::ctrl_state_e state_q, state_d;
  logic [31:0] cmd_index_q, cmd_index_d;
  logic [7:0]  last_op_q, last_op_d;

  // Command fetch.
  logic [31:0] fetch_ptr_q, fetch_ptr_d;
  /* verilator tracing_off */
  logic [127:0]        fifo_q [FifoBeats];  // a memory: one beat written a cycle
  logic [FifoIdxW-1:0] fifo_rd_q, fifo_rd_d, fifo_wr_q, fifo_wr_d;
  logic [FifoIdxW:0]   fifo_count_q, fifo_count_d;
  logic [FifoIdxW:0]   fifo_reserved;  // beats stored plus beats of a fetch in flight
  /* verilator tracing_on */

  // Completed jobs of this run, for SYNC.
  logic [31:0] dma_done_q, dma_done_d;
  logic [31:0] comp_done_q, comp_done_d;

  logic running;
  logic restart;  // a start while stopped: a new run from an empty FIFO

  // The head command, seen through each command's layout (sa_pkg, contract/isa.cc).
  /* verilator tracing_off */
  logic [sa_pkg::CmdBits-1:0] cmd;
  sa_pkg::cmd_transfer_t      cmd_xfer;
  sa_pkg::cmd_compute_t       cmd_comp;
  sa_pkg::cmd_vector_t        cmd_vec;
  sa_pkg::cmd_sync_t          cmd_sync;
  sa_pkg::cmd_snapshot_t      cmd_snap;
  logic                       cmd_ready;
  sa_pkg::opcode_e            opcode;
  logic                       pop;
  /* verilator tracing_on */

  always_comb begin
    running  = (state_q == sa_pkg::CtrlDispatch || state_q == sa_pkg::CtrlFetch ||
                state_q == sa_pkg::CtrlSync);
    restart  = start_i && !running;
    cmd       = {fifo_q[fifo_rd_q + 1'b1], fifo_q[fifo_rd_q]};
    cmd_xfer  = cmd;  // a view: same bits
    cmd_comp  = cmd;  // a view: same bits
    cmd_vec   = cmd;  // a view: same bits
    cmd_sync  = cmd;  // a view: same bits
    cmd_snap  = cmd;  // a view: same bits
    opcode    = cmd_xfer.opcode;
    cmd_ready = (fifo_count_q >= 2);
    fifo_reserved = fifo_count_q + (dma_busy_fetch_i ? (FifoIdxW+1)'(FetchBeats) : '0);
  end

  // COMPUTE fields, as the compute engine keeps them.
  always_comb begin
    comp_cmd_o.acc_in    = cmd_comp.acc_in;
    comp_cmd_o.acc_out   = cmd_comp.acc_out;
    comp_cmd_o.relu      = cmd_comp.relu;
    comp_cmd_o.round     = cmd_comp.round;
    comp_cmd_o.pool      = cmd_comp.pool;
    comp_cmd_o.shift     = cmd_comp.shift;
    comp_cmd_o.kernel_h  = cmd_comp.kernel_h;
    comp_cmd_o.kernel_w  = cmd_comp.kernel_w;
    comp_cmd_o.stride    = cmd_comp.stride;
    comp_cmd_o.channels  = cmd_comp.channels;
    comp_cmd_o.in_width  = cmd_comp.in_width;
    comp_cmd_o.in_rows   = cmd_comp.in_rows;
    comp_cmd_o.y_off     = cmd_comp.y_off;
    comp_cmd_o.x_off     = cmd_comp.x_off;
    comp_cmd_o.out_rows  = cmd_comp.out_rows;
    comp_cmd_o.out_width = cmd_comp.out_width;
    comp_cmd_o.abuf_base = cmd_comp.abuf_base;
    comp_cmd_o.wbuf_base = cmd_comp.wbuf_base;
    comp_cmd_o.obuf_base = cmd_comp.obuf_base;
    comp_cmd_o.n_valid   = cmd_comp.n_valid;
    comp_cmd_o.obuf_stride = cmd_comp.obuf_stride;
    comp_cmd_o.lane_off  = cmd_comp.lane_off;
  end

  // VECTOR fields, as the vector unit keeps them.
  always_comb begin
    vec_cmd_o.op             = cmd_vec.op;
    vec_cmd_o.relu           = cmd_vec.relu;
    vec_cmd_o.out_shift      = cmd_vec.out_shift;
    vec_cmd_o.a_shift        = cmd_vec.a_shift;
    vec_cmd_o.b_shift        = cmd_vec.b_shift;
    vec_cmd_o.stride         = cmd_vec.stride;
    vec_cmd_o.kernel_h       = cmd_vec.kernel_h;
    vec_cmd_o.kernel_w       = cmd_vec.kernel_w;
    vec_cmd_o.channel_blocks = cmd_vec.channel_blocks;
    vec_cmd_o.in_rows        = cmd_vec.in_rows;
    vec_cmd_o.in_width       = cmd_vec.in_width;
    vec_cmd_o.out_rows       = cmd_vec.out_rows;
    vec_cmd_o.out_width      = cmd_vec.out_width;
    vec_cmd_o.a_base         = cmd_vec.a_base;
    vec_cmd_o.b_base         = cmd_vec.b_base;
    vec_cmd_o.o_base         = cmd_vec.o_base;
    vec_cmd_o.y_off          = cmd_vec.y_off;
    vec_cmd_o.x_off          = cmd_vec.x_off;
    vec_cmd_o.recip          = cmd_vec.recip;
  end

  // Dispatch.
  always_comb begin
    logic fetch_go;        // a command fetch goes to the DMA engine this cycle
    logic head_wants_dma;  // the head command is a DMA job
    state_d     = state_q;
    cmd_index_d = cmd_index_q;
    last_op_d   = last_op_q;
    fetch_ptr_d = fetch_ptr_q;
    pop          = 1'b0;
    snap_take_o  = 1'b0;
    comp_start_o = 1'b0;
    vec_start_o  = 1'b0;
    end_o        = 1'b0;
    error_o      = 1'b0;
    // Fetch ahead when the DMA engine can take a job, no fetch is in flight (the FIFO's
    // reservation counts one) and the FIFO has room for a whole fetch; while the FIFO is less
    // than half full, before the head's own DMA job, so that the commands arrive ahead of the
    // data loads they follow. Not past an END.
    head_wants_dma = cmd_ready && (opcode == sa_pkg::OpLoad || opcode == sa_pkg::OpStore ||
                                   opcode == sa_pkg::OpSnap);
    fetch_go = dma_fetch_ready_i && !dma_busy_fetch_i &&
               (32'(fifo_reserved) + FetchBeats <= FifoBeats) &&
               !(cmd_ready && opcode == sa_pkg::OpEnd) &&
               (32'(fifo_count_q) < FifoBeats / 2 || !head_wants_dma);

    // A LOAD/STORE job straight from the head command; SNAPSHOT and fetch jobs replace fields.
    dma_job_valid_o       = 1'b0;
    dma_job_o.op          = (opcode == sa_pkg::OpStore) ? sa_pkg::DmaOpStore : sa_pkg::DmaOpLoad;
    dma_job_o.buffer      = cmd_xfer.buffer;
    dma_job_o.dram_addr   = cmd_xfer.dram_addr;
    dma_job_o.dram_stride = cmd_xfer.dram_stride;
    dma_job_o.sram_addr   = cmd_xfer.sram_addr;
    dma_job_o.sram_stride = cmd_xfer.sram_stride;
    dma_job_o.row_words   = cmd_xfer.row_words;
    dma_job_o.rows        = cmd_xfer.rows;

    unique case (state_q)
      sa_pkg::CtrlIdle, sa_pkg::CtrlDone, sa_pkg::CtrlError: begin
        if (start_i) begin
          state_d     = sa_pkg::CtrlDispatch;
          fetch_ptr_d = cmd_base_i;
          cmd_index_d = '0;
        end
      end
      sa_pkg::CtrlDispatch, sa_pkg::CtrlFetch, sa_pkg::CtrlSync: begin
        state_d = cmd_ready ? sa_pkg::CtrlDispatch : sa_pkg::CtrlFetch;
        if (cmd_ready) begin
          last_op_d = opcode;
          unique case (opcode)
            sa_pkg::OpEnd: begin
              // Stop only once no fetch is in flight, so the next run starts clean.
              if (dma_idle_i) begin
                pop     = 1'b1;
                state_d = sa_pkg::CtrlDone;
                end_o   = 1'b1;
              end
            end
            sa_pkg::OpLoad, sa_pkg::OpStore: begin
              if (dma_push_ready_i && !fetch_go) begin
                dma_job_valid_o = 1'b1;
                pop             = 1'b1;
              end
            end
            sa_pkg::OpSnap: begin
              // A DMA job that writes the counters, frozen now, to DRAM: taken only when the
              // DMA engine is idle, so no job (or fetch) is half done in the snapshot.
              if (dma_idle_i && !fetch_go) begin
                dma_job_valid_o       = 1'b1;
                dma_job_o.op          = sa_pkg::DmaOpStore;
                dma_job_o.buffer      = sa_pkg::BufCounters;
                dma_job_o.dram_addr   = cmd_snap.dram_addr;
                dma_job_o.dram_stride = '0;
                dma_job_o.sram_addr   = '0;
                dma_job_o.sram_stride = '0;
                dma_job_o.row_words   = 16'(sa_pkg::SnapshotBeats);
                dma_job_o.rows        = 16'd1;
                snap_take_o           = 1'b1;
                pop                   = 1'b1;
              end
            end
            sa_pkg::OpCompute: begin
              if (comp_ready_i) begin
                comp_start_o = 1'b1;
                pop          = 1'b1;
              end
            end
            sa_pkg::OpVector: begin
              if (!comp_busy_i) begin
                vec_start_o = 1'b1;
                pop         = 1'b1;
              end
            end
            sa_pkg::OpSync: begin
              state_d = sa_pkg::CtrlSync;
              if (dma_done_q >= cmd_sync.dma_jobs && comp_done_q >= cmd_sync.compute_jobs) begin
                pop     = 1'b1;
                state_d = sa_pkg::CtrlDispatch;
              end
            end
            default: begin
              state_d = sa_pkg::CtrlError;
              error_o = 1'b1;
            end
          endcase
        end
        if (fetch_go && state_d != sa_pkg::CtrlDone && state_d != sa_pkg::CtrlError) begin
          dma_job_valid_o       = 1'b1;
          dma_job_o.op          = sa_pkg::DmaOpFetch;
          dma_job_o.buffer      = sa_pkg::BufAct;
          dma_job_o.dram_addr   = fetch_ptr_q;
          dma_job_o.dram_stride = '0;
          dma_job_o.sram_addr   = '0;
          dma_job_o.sram_stride = '0;
          dma_job_o.row_words   = 16'(FetchBeats);
          dma_job_o.rows        = 16'd1;
          fetch_ptr_d           = fetch_ptr_q + 32'(FetchBeats * sa_pkg::WordBytes);
        end
        if (pop) begin
          cmd_index_d = cmd_index_q + 32'd1;
        end
      end
      default: state_d = sa_pkg::CtrlIdle;
    endcase
  end

  // Completed jobs (fetches are not jobs of the stream). Kept apart from dispatch, which drives
  // the engines' job inputs: one block for both would look like a loop through the engines.
  always_comb begin
    dma_done_d  = dma_done_q + ((dma_job_done_i && !dma_done_fetch_i) ? 32'd1 : 32'd0);
    comp_done_d = comp_done_q + (comp_done_i ? 32'd1 : 32'd0);
    if (restart) begin
      dma_done_d  = '0;
      comp_done_d = '0;
    end
  end

  // Command FIFO: beats in from the DMA engine, two out per dispatched command.
  always_comb begin
    fifo_wr_d    = fifo_wr_q;
    fifo_rd_d    = fifo_rd_q;
    if (cmd_beat_valid_i) begin
      fifo_wr_d         = fifo_wr_q + 1'b1;
    end
    if (pop) begin
      fifo_rd_d = fifo_rd_q + FifoIdxW'(2);
    end
    fifo_count_d = fifo_count_q + (FifoIdxW+1)'(cmd_beat_valid_i) - (pop ? (FifoIdxW+1)'(2) : '0);
    if (restart) begin
      fifo_rd_d    = '0;
      fifo_wr_d    = '0;
      fifo_count_d = '0;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q      <= sa_pkg::CtrlIdle;
      cmd_index_q  <= '0;
      last_op_q    <= '0;
      fetch_ptr_q  <= '0;
      fifo_rd_q    <= '0;
      fifo_wr_q    <= '0;
      fifo_count_q <= '0;
      dma_done_q   <= '0;
      comp_done_q  <= '0;
    end else begin
      state_q      <= state_d;
      cmd_index_q  <= cmd_index_d;
      last_op_q    <= last_op_d;
      fetch_ptr_q  <= fetch_ptr_d;
      fifo_rd_q    <= fifo_rd_d;
      fifo_wr_q    <= fifo_wr_d;
      fifo_count_q <= fifo_count_d;
      dma_done_q   <= dma_done_d;
      comp_done_q  <= comp_done_d;
    end
  end

  // The FIFO's beats, written as a memory is (no reset, one entry a cycle): copying all 64
  // entries every cycle, as a register file, would cost the simulation more than the rest of
  // the controller.
  always_ff @(posedge clk_i) begin
    if (cmd_beat_valid_i) begin
      fifo_q[fifo_wr_q] <= cmd_beat_i;
    end
  end

  // Reserved command bits, and fields each view does not use.
  logic unused_cmd;
  assign unused_cmd = ^{cmd_xfer.rsvd7, cmd_xfer.rsvd6, cmd_xfer.rsvd5, cmd_xfer.rsvd4,
                        cmd_xfer.rsvd3, cmd_xfer.rsvd0, cmd_comp.rsvd7,
                        cmd_comp.rsvd5, cmd_comp.rsvd0, cmd_comp.opcode, cmd_vec.rsvd6,
                        cmd_vec.opcode, cmd_sync.rsvd7_3,
                        cmd_sync.rsvd0, cmd_sync.opcode, cmd_snap.rsvd7_2, cmd_snap.rsvd0,
                        cmd_snap.opcode};

  assign running_o     = running;
  assign cmd_pop_o     = pop;
  assign state_o       = state_q;
  assign cmd_index_o   = cmd_index_q;
  assign last_opcode_o = last_op_q;

  `SA_ASSERT(FifoNoOverflow, !(cmd_beat_valid_i && 32'(fifo_count_q) == FifoBeats))
  `SA_ASSERT(FetchOnlyWhenRoom, (dma_job_valid_o && dma_job_o.op == sa_pkg::DmaOpFetch) |->
                                (32'(fifo_reserved) + FetchBeats <= FifoBeats))
  `SA_ASSERT(DmaJobOnlyWhenReady, dma_job_valid_o |->
                                 (dma_job_o.op == sa_pkg::DmaOpFetch ? dma_fetch_ready_i
                                                                     : dma_push_ready_i))
  `SA_ASSERT(NoVectorWhileBusy, vec_start_o |-> !comp_busy_i)
  `SA_ASSERT(ComputeOnlyWhenReady, comp_start_o |-> comp_ready_i)
  `SA_ASSERT_KNOWN(StateKnown, state_q)
  `SA_ASSERT_KNOWN(BeatValidKnown, cmd_beat_valid_i)
  `SA_ASSERT_KNOWN(DmaJobValidKnown, dma_job_valid_o)
  `SA_ASSERT_KNOWN(CompStartKnown, comp_start_o)
  `SA_ASSERT_KNOWN(VecStartKnown, vec_start_o)

endmodule
